/** Types shared by the BfdManager (main thread) and the BFD worker process. */
import type { BfdAuthTypeName, BfdStateName, DiscardCounters } from '../bfd/constants.js';
import type { BfdSessionSnapshot, BfdStateEvent } from '../fsm/bfd-session.js';

export interface BfdAuthOptions {
  type: BfdAuthTypeName;
  keyId: number;
  /** Password or key, UTF-8. */
  secret: string;
}

export interface BfdSessionOptions {
  /** Peer IPv4 address. */
  peer: string;
  /** Local IPv4 address to send from (and to match received packets against). */
  local?: string;
  /** RFC 5883 multihop (port 4784) instead of RFC 5881 single hop (port 3784). */
  multihop: boolean;
  minTxMs: number;
  minRxMs: number;
  multiplier: number;
  /** RFC 5880 6.1 passive role: do not transmit until the peer has been heard. */
  passive: boolean;
  auth?: BfdAuthOptions;
  /** Tests only: send to this UDP port instead of 3784/4784. */
  peerPort?: number;
}

export type BfdWorkerState = 'starting' | 'running' | 'restarting' | 'failed' | 'closed';

export interface BfdStatus extends Omit<BfdSessionSnapshot, 'lastStateChangeAt'> {
  key: string;
  peer: string;
  local?: string;
  multihop: boolean;
  /** UDP source port of this session (RFC 5881 4). */
  sourcePort: number;
  /** Wall-clock time of the last state change (ISO 8601). */
  lastStateChange: string;
  /** Whether the received TTL is checked (raw socket available). */
  ttlCheck: boolean;
  worker: BfdWorkerState;
  /** Set when the state shown was not learnt on the wire, e.g. 'worker-exited'. */
  reason?: string;
  /** Why the session could not be created (e.g. the local address is not configured); retried every 5 s. */
  error?: string;
}

/** The session's own state event (src/fsm/bfd-session.ts), with which session and why. */
export interface BfdStateEventOut extends BfdStateEvent {
  key: string;
  peer: string;
  reason?: string;
}

/** Counters for packets that could not be tied to any session. */
export interface BfdGlobalCounters {
  received: number;
  discards: DiscardCounters;
  ttlCheck: boolean;
  workerRestarts: number;
  /** Event-loop delay of the worker since it started (ms): how late its timers can fire. */
  loopDelay: { p99Ms: number; maxMs: number };
}

// ---- IPC ----
export type ToWorker =
  | { t: 'add'; key: string; o: BfdSessionOptions }
  | { t: 'update'; key: string; o: BfdSessionOptions }
  | { t: 'remove'; key: string; id: number }
  | { t: 'close'; id: number };

export type FromWorker =
  | { t: 'ready'; ttlCheck: boolean; ports: { single: boolean; multi: boolean } }
  | { t: 'state'; ev: BfdStateEventOut }
  | { t: 'status'; sessions: BfdStatus[]; global: Omit<BfdGlobalCounters, 'workerRestarts'> }
  | { t: 'done'; id: number }
  | { t: 'session-error'; key: string; error: string }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> };

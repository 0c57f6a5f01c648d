/**
 * What the daemon needs from the components it wires, as the contracts in
 * docs/architecture.md state them. The real classes satisfy these shapes;
 * tests pass fakes. Keeping the daemon on these narrow ports is what lets a
 * reload or a drain be tested without sockets.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config, PeerConfig } from '../config/schema.js';
import type { SpeakerPeer } from '../speaker/types.js';
import type { BfdSessionOptions } from '../io/bfd-types.js';
import type { LoopbackManager } from '../host/loopback.js';
import type { Announcement } from '../policy/types.js';
import type { Clock } from '../util/clock.js';

export type { Announcement };

export interface SpeakerPort extends EventEmitter {
  start(): Promise<void> | void;
  /** The BGP Identifier in use once started. */
  readonly bgpId?: string | null;
  set(routes: Announcement[]): void;
  /** True once what set() queued is written on every Established peer's socket; false after timeoutMs. Never rejects. */
  flushed(timeoutMs: number): Promise<boolean>;
  resetPeer(address: string, code: number, subcode: number, data?: Uint8Array): void;
  setPeers(peers: SpeakerPeer[]): void;
  status(): unknown[];
  stop(o?: { drain?: Announcement[]; reason?: string; timeoutMs?: number }): Promise<void>;
  /**
   * An internal fault the speaker cannot recover from by itself (a bug, a broken invariant),
   * or undefined. While it returns one, the daemon withholds systemd watchdog pings, so
   * systemd restarts it. Optional: a speaker without it never reports a fault.
   */
  fault?(): string | undefined;
}

export interface BfdPort extends EventEmitter {
  add(key: string, o: BfdSessionOptions): void;
  update(key: string, o: BfdSessionOptions): void;
  remove(key: string): Promise<void>;
  /** Per session; each entry's `worker` is the worker process state (BfdWorkerState: running, starting, restarting, failed, closed). */
  status(key?: string): unknown[];
  close(): Promise<void>;
}

export interface HealthPort extends EventEmitter {
  start(): void;
  stop(): Promise<void>;
  status(): unknown;
  setDrain(on: boolean, reason?: string): void;
}

export interface FallbackPort {
  onVerdict(v: unknown): Promise<void>;
  status(): unknown;
  close(): Promise<void>;
}

/**
 * Route Server status poller (src/aws/rs-status-poller.ts RsStatusPoller): what Route Server
 * reports for this appliance's peers and prefixes. status() is an RsStatusSnapshot
 * ({ at?, result?, error?, polls }); `at` is on the daemon's clock.
 */
export interface RsStatusPort {
  status(): { at?: number; error?: string; polls: number; result?: unknown };
  close(): void;
}

/** Loopback address management (src/host/loopback.ts LoopbackManager). */
export type LoopbackPort = LoopbackManager;

/** State-change hooks: command and SNS (src/host/hooks.ts StateHooks). */
export interface HooksPort {
  onTransition(t: { verdict: string; previousVerdict: string; state: string; reason: string }, prefixes: readonly string[]): void;
  idle(timeoutMs?: number): Promise<void>;
  status(): unknown;
  close(): void;
}

export type { SpeakerPeer };

/** What the speaker is built from (a subset of SpeakerOptions). */
export interface SpeakerSettings {
  localAsn: number;
  routerId?: string;
  peers: SpeakerPeer[];
  listen?: { address: string; port: number };
}

/** Config peer -> speaker peer: only the keys the speaker knows (a BFD change must not reset BGP). */
export function speakerPeer(p: PeerConfig): SpeakerPeer {
  return {
    address: p.address,
    asn: p.asn,
    port: p.port,
    holdTime: p.holdTime,
    openHoldMs: p.openHoldTime * 1000,
    passive: p.passive,
    ...(p.localAddress !== undefined ? { localAddress: p.localAddress } : {}),
    ...(p.ipv6NextHop !== undefined ? { ipv6NextHop: p.ipv6NextHop } : {}),
    ...(p.ipv4NextHop !== undefined ? { ipv4NextHop: p.ipv4NextHop } : {}),
    ...(p.maxPrefixes !== undefined ? { maxPrefixes: p.maxPrefixes } : {}),
  };
}

export interface Components {
  createSpeaker(o: SpeakerSettings, logger: Logger, clock: Clock): SpeakerPort;
  /** Only called when some peer has bfd. */
  createBfd?(cfg: Config, logger: Logger): Promise<BfdPort>;
  /** Only called when a health section exists. */
  createHealth?(cfg: Config, logger: Logger, clock: Clock): HealthPort;
  /** Only called when loopback.manage is true. */
  createLoopback?(cfg: Config, logger: Logger): LoopbackPort;
  createHooks?(cfg: Config, logger: Logger): HooksPort | undefined;
  /** Only called when a fallback is configured; imports AWS clients lazily. */
  createFallback?(cfg: Config, logger: Logger): Promise<FallbackPort>;
  /** Only called when aws.rs-status-interval is set; imports AWS clients lazily. */
  createRsStatus?(cfg: Config, logger: Logger, clock: Clock): Promise<RsStatusPort>;
  /**
   * Registers the AWS layer's metrics (fallback runs, Route Server status) on the daemon's
   * registry, read at scrape time from the sources; called at most once per daemon.
   */
  registerAwsMetrics?(registry: Registry, sources: { fallback: () => unknown; rsStatus: () => unknown; now: () => number }): Promise<void>;
}

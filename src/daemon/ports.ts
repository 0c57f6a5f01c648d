/**
 * What the daemon needs from the components it wires, as the contracts in
 * docs/architecture.md state them. The real classes satisfy these shapes;
 * tests pass fakes. Keeping the daemon on these narrow ports is what lets a
 * reload or a drain be tested without sockets.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Config, PeerConfig } from '../config/schema.js';
import type { Announcement } from '../policy/types.js';
import type { Clock } from '../util/clock.js';

export type { Announcement };

export interface SpeakerPort extends EventEmitter {
  start(): void;
  set(routes: Announcement[]): void;
  resetPeer(address: string, code: number, subcode: number, data?: Uint8Array): void;
  setPeers(peers: PeerConfig[]): void;
  status(): unknown[];
  stop(o?: { drain?: Announcement[]; reason?: string; timeoutMs?: number }): Promise<void>;
}

export interface BfdPort extends EventEmitter {
  add(key: string, o: unknown): void;
  update(key: string, o: unknown): void;
  remove(key: string): Promise<void>;
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

/** Loopback address management and hooks (src/host). */
export interface HostPort {
  /** The prefixes are (or are about to be) announced: make sure the addresses are on the interface. */
  ensure(prefixes: string[]): Promise<void>;
  /** Remove what ensure() added; called after the withdraw went out. */
  cleanup(): Promise<void>;
}

export interface HookPort {
  run(event: { verdict: string; previous: string; reason: string }): Promise<void>;
}

export interface Components {
  createSpeaker(cfg: Config, routerId: string, logger: Logger, clock: Clock): SpeakerPort;
  /** Only called when some peer has bfd. */
  createBfd?(cfg: Config, logger: Logger): Promise<BfdPort>;
  /** Only called when a health section exists. */
  createHealth?(cfg: Config, logger: Logger, clock: Clock): HealthPort;
  createHost?(cfg: Config, logger: Logger): HostPort | undefined;
  createHooks?(cfg: Config, logger: Logger): HookPort | undefined;
  /** Only called when a fallback is configured; imports AWS clients lazily. */
  createFallback?(cfg: Config, logger: Logger): Promise<FallbackPort>;
}

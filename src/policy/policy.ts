/**
 * Verdict -> announcements, with failback delay.
 *
 * Phases: init, up, failback, down, maintenance.
 * - down / maintenance: the configured spec at once (a failover must be fast).
 * - up, coming from anything but up (init, down, maintenance): if `failback-delay` > 0 the
 *   appliance first enters FAILBACK. It announces its `up` route (same MED and communities)
 *   with `failback-prepend` (default: one more than a standby's prepend), so it is reachable
 *   but less preferred than the standby that carried the traffic meanwhile. Only after the
 *   delay has passed with the health state steadily UP does it take its `up` announcement.
 *   A single failed check (FALLING) during the delay stops the countdown; back to UP, it
 *   starts over from zero. A flapping service therefore never pulls traffic back.
 *   Announcing (rather than withdrawing) during failback keeps the prefix reachable when
 *   the recovering appliance is the only healthy one.
 * - FALLING after UP keeps the `up` announcement (hysteresis: `fall` decides, not one probe).
 * - init: nothing, unless announce-before-verdict, which announces like FAILBACK.
 *
 * `change` is emitted only when the announcements actually differ from the previous ones,
 * never per check result.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AnnounceSpec, HealthState, PolicyConfig } from '../config/health.js';
import type { Verdict } from '../health/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Announcement } from './types.js';

export type PolicyPhase = 'init' | 'up' | 'failback' | 'down' | 'maintenance';

export interface PolicyOptions {
  config: PolicyConfig;
  prefixes: readonly string[];
  clock: Clock;
  /** health.announce-before-verdict */
  announceBeforeVerdict?: boolean;
  logger?: Logger;
}

export interface PolicyInput { state: HealthState; verdict: Verdict }

export interface PolicyChange {
  announcements: Announcement[];
  previous: Announcement[];
  phase: PolicyPhase;
  reason: string;
}

export interface PolicyStatus {
  phase: PolicyPhase;
  /** Clock ms at which failback completes, while the countdown runs. */
  failbackAt?: number;
  failbackRemainingMs?: number;
  /** Failback is waiting for the health state to be UP again (a check failed during it). */
  failbackPaused?: boolean;
  announcements: Announcement[];
}

export declare interface Policy {
  on(event: 'change', fn: (c: PolicyChange) => void): this;
  emit(event: 'change', c: PolicyChange): boolean;
}

export class Policy extends EventEmitter {
  private readonly cfg: PolicyConfig;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly announceBeforeVerdict: boolean;
  private prefixes: string[];
  private phase: PolicyPhase = 'init';
  private timer: TimerHandle | undefined;
  private failbackAt: number | undefined;
  private lastState: HealthState = 'init';
  private announced: Announcement[] = [];

  constructor(o: PolicyOptions) {
    super();
    this.cfg = o.config;
    this.clock = o.clock;
    this.log = o.logger?.child({ component: 'policy' });
    this.announceBeforeVerdict = o.announceBeforeVerdict ?? false;
    this.prefixes = [...o.prefixes];
    this.announced = this.build(this.phase);
  }

  /** The announcements a phase calls for (no failback logic): for tests, dry runs, `status`. */
  announcementsFor(state: HealthState | PolicyPhase, prefixes: readonly string[] = this.prefixes): Announcement[] {
    const phase: PolicyPhase = state === 'rising' ? 'down' : state === 'falling' ? 'up' : state;
    return this.build(phase, prefixes);
  }

  /** What is announced now. */
  current(): Announcement[] {
    return this.announced.map(clone);
  }

  status(): PolicyStatus {
    const s: PolicyStatus = { phase: this.phase, announcements: this.current() };
    if (this.phase === 'failback') {
      if (this.failbackAt !== undefined) {
        s.failbackAt = this.failbackAt;
        s.failbackRemainingMs = Math.max(0, this.failbackAt - this.clock.now());
      } else {
        s.failbackPaused = true;
      }
    }
    return s;
  }

  /** Feed the health state and verdict (a monitor `verdict` event, or its status at start). Returns true if announcements changed. */
  update(input: PolicyInput): boolean {
    const { state, verdict } = input;
    this.lastState = state;
    switch (verdict) {
      case 'init': return this.enter('init', `health ${state}`);
      case 'down': return this.enter('down', `health ${state}`);
      case 'maintenance': return this.enter('maintenance', 'health maintenance');
      case 'up': break;
    }
    if (this.phase === 'up') return false; // UP or FALLING: keep the preferred route.
    if (this.cfg.failbackDelayMs <= 0) return this.enter('up', `health ${state}`);
    if (this.phase !== 'failback') {
      const changed = this.enter('failback', `health ${state}, failback delay ${this.cfg.failbackDelayMs}ms`);
      this.armFailback(state);
      return changed;
    }
    this.armFailback(state);
    return false;
  }

  /** Replace the floating prefixes (config reload). */
  setPrefixes(prefixes: readonly string[]): boolean {
    this.prefixes = [...prefixes];
    return this.publish('prefixes changed');
  }

  /** Cancel the failback timer (daemon shutdown). */
  stop(): void {
    this.cancelTimer();
  }

  private armFailback(state: HealthState): void {
    if (state !== 'up') {
      if (this.timer) {
        this.log?.info({ event: 'failback-reset', state }, 'failback countdown stopped: health not steadily up');
      }
      this.cancelTimer();
      return;
    }
    if (this.timer) return;
    this.failbackAt = this.clock.now() + this.cfg.failbackDelayMs;
    this.log?.info({ event: 'failback-start', delayMs: this.cfg.failbackDelayMs }, 'failback countdown started');
    this.timer = this.clock.setTimer(this.cfg.failbackDelayMs, () => {
      this.timer = undefined;
      this.failbackAt = undefined;
      if (this.phase === 'failback' && this.lastState === 'up') this.enter('up', 'failback delay passed healthy');
    });
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.failbackAt = undefined;
  }

  private enter(phase: PolicyPhase, reason: string): boolean {
    if (phase !== 'failback') this.cancelTimer();
    if (phase !== this.phase) {
      this.log?.info({ event: 'phase', phase, previous: this.phase, reason }, 'policy phase');
      this.phase = phase;
    }
    return this.publish(reason);
  }

  private publish(reason: string): boolean {
    const next = this.build(this.phase);
    if (sameAnnouncements(next, this.announced)) return false;
    const previous = this.announced;
    this.announced = next;
    this.emit('change', { announcements: next.map(clone), previous: previous.map(clone), phase: this.phase, reason });
    return true;
  }

  private build(phase: PolicyPhase, prefixes: readonly string[] = this.prefixes): Announcement[] {
    const spec = this.specFor(phase);
    if (spec.withdraw) return [];
    return prefixes.map((prefix) => {
      const a: Announcement = { prefix, prepend: spec.prepend };
      if (spec.med !== undefined) a.med = spec.med;
      if (spec.communities !== undefined) a.communities = [...spec.communities];
      if (spec.largeCommunities !== undefined) a.largeCommunities = [...spec.largeCommunities];
      return a;
    });
  }

  private specFor(phase: PolicyPhase): AnnounceSpec {
    switch (phase) {
      case 'up': return this.cfg.up;
      case 'down': return this.cfg.down;
      case 'maintenance': return this.cfg.maintenance;
      case 'failback': return this.failbackSpec();
      case 'init': return this.announceBeforeVerdict ? this.failbackSpec() : { withdraw: true };
    }
  }

  private failbackSpec(): AnnounceSpec {
    if (this.cfg.up.withdraw) return this.cfg.up;
    return { ...this.cfg.up, prepend: this.cfg.failbackPrepend };
  }
}

function clone(a: Announcement): Announcement {
  const c: Announcement = { ...a };
  if (a.communities) c.communities = [...a.communities];
  if (a.largeCommunities) c.largeCommunities = [...a.largeCommunities];
  return c;
}

function key(a: Announcement): string {
  return JSON.stringify([a.prefix, a.prepend, a.med ?? null, [...(a.communities ?? [])].sort(), [...(a.largeCommunities ?? [])].sort()]);
}

/** Order-insensitive equality of two announcement sets. */
export function sameAnnouncements(a: readonly Announcement[], b: readonly Announcement[]): boolean {
  if (a.length !== b.length) return false;
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.every((k, i) => k === kb[i]);
}

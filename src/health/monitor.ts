/**
 * HealthMonitor: runs the checks (I/O) on their own schedules and feeds the pure
 * HealthMachine. Each check:
 * - runs at its `interval`, or at `fast-interval` while it is rising, falling or has no
 *   result yet; intervals are measured start to start;
 * - never overlaps itself: the next run is scheduled only when the previous one ended;
 * - has a hard deadline (`timeout`; for icmp count x timeout + 500ms): its AbortSignal fires,
 *   and if the runner still has not settled 1s later the run is recorded as failed. Until
 *   that stuck run ends, each due run is recorded as failed without starting another.
 * Emits `verdict` (Transition) on every change of the overall state or verdict, and
 * `check` after every result (for metrics).
 */
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import type { CheckConfig, HealthConfig, HealthState } from '../config/health.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { createRunner, runDeadlineMs } from './checks/index.js';
import { HealthMachine } from './machine.js';
import type { Cause, CheckResult, CheckRunner, CheckState, Transition, Verdict } from './types.js';

/** Grace after the deadline's abort before a run is declared stuck. */
export const STUCK_GRACE_MS = 1000;

export interface HealthMonitorOptions {
  config: HealthConfig;
  clock?: Clock;
  logger?: Logger;
  /** Wall time for status timestamps (default Date.now). */
  wallClock?: () => number;
  /** Tests inject runners; default: the real check for the type. */
  createRunner?: (c: CheckConfig) => CheckRunner;
}

export interface CheckStatus {
  name: string;
  type: CheckConfig['type'];
  target: string;
  state: CheckState | 'maintenance';
  /** Consecutive equal results. */
  streak: number;
  rise: number;
  fall: number;
  /** Interval in force now (fast while rising/falling). */
  intervalMs: number;
  timeoutMs: number;
  running: boolean;
  runs: number;
  passes: number;
  failures: number;
  stateSince: string;
  last?: { ok: boolean; detail: string; latencyMs: number; at: string; output?: string };
}

export interface HealthStatus {
  state: HealthState;
  verdict: Verdict;
  /** ISO wall time the state began. */
  since: string;
  forMs: number;
  reason: string;
  /** The checks behind the current state. */
  causes: Cause[];
  drain: { on: boolean; reason?: string };
  combine: string;
  checks: CheckStatus[];
}

export interface CheckEvent { name: string; type: CheckConfig['type']; result: CheckResult; state: CheckState | 'maintenance' }

interface Slot {
  cfg: CheckConfig;
  runner: CheckRunner;
  log: Logger;
  timer?: TimerHandle;
  inflight?: Promise<void>;
  abort?: AbortController;
  runs: number;
  passes: number;
  failures: number;
}

export declare interface HealthMonitor {
  on(event: 'verdict', fn: (t: Transition) => void): this;
  on(event: 'check', fn: (e: CheckEvent) => void): this;
  emit(event: 'verdict', t: Transition): boolean;
  emit(event: 'check', e: CheckEvent): boolean;
}

export class HealthMonitor extends EventEmitter {
  private readonly cfg: HealthConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly wall: () => number;
  private readonly machine: HealthMachine;
  private readonly slots: Slot[];
  private started = false;
  private stopped = false;

  constructor(o: HealthMonitorOptions) {
    super();
    this.cfg = o.config;
    this.clock = o.clock ?? systemClock;
    this.log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'health' });
    this.wall = o.wallClock ?? Date.now;
    this.machine = new HealthMachine({
      checks: o.config.checks.map((c) => ({ name: c.name, maintenance: c.type === 'file', rise: c.rise, fall: c.fall })),
      combine: o.config.combine,
      startState: o.config.startState,
    }, this.clock);
    const make = o.createRunner ?? createRunner;
    this.slots = o.config.checks.map((c) => ({
      cfg: c, runner: make(c), log: this.log.child({ check: c.name, type: c.type }), runs: 0, passes: 0, failures: 0,
    }));
  }

  get state(): HealthState { return this.machine.state; }
  get verdict(): Verdict { return this.machine.verdict; }

  /** Start every check now. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.log.info({ event: 'start', state: this.machine.state, checks: this.slots.length, combine: describeCombine(this.cfg) }, 'health monitor started');
    for (const s of this.slots) this.schedule(s, 0);
  }

  /** Stop scheduling, abort running checks and wait (at most 2s) for them to end. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const pending: Promise<void>[] = [];
    for (const s of this.slots) {
      s.timer?.cancel();
      s.abort?.abort();
      if (s.inflight) pending.push(s.inflight);
    }
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(pending), new Promise<void>((r) => { t = setTimeout(r, 2000); })]);
    if (t) clearTimeout(t);
    for (const s of this.slots) {
      try { s.runner.close?.(); } catch { /* best effort */ }
    }
    this.log.info({ event: 'stop' }, 'health monitor stopped');
  }

  /** Drain (control socket): MAINTENANCE until undrained, whatever the checks say. */
  setDrain(on: boolean, reason?: string): void {
    const t = this.machine.setDrain(on, reason);
    this.log.info({ event: on ? 'drain' : 'undrain', reason }, on ? 'drain requested' : 'drain lifted');
    if (t) this.transition(t);
  }

  status(): HealthStatus {
    const m = this.machine.snapshot();
    const now = this.clock.now();
    const iso = (t: number) => new Date(this.wall() - (now - t)).toISOString();
    const bySlot = new Map(this.slots.map((s) => [s.cfg.name, s]));
    return {
      state: m.state,
      verdict: m.verdict,
      since: iso(m.since),
      forMs: Math.max(0, now - m.since),
      reason: m.reason,
      causes: m.checks,
      drain: m.drain,
      combine: describeCombine(this.cfg),
      checks: m.perCheck.map((pc) => {
        const s = bySlot.get(pc.name);
        if (!s) throw new Error(`no slot for ${pc.name}`);
        const c: CheckStatus = {
          name: pc.name, type: s.cfg.type, target: describeTarget(s.cfg), state: pc.state, streak: pc.streak,
          rise: pc.rise, fall: pc.fall, intervalMs: this.intervalFor(s), timeoutMs: s.cfg.timeoutMs,
          running: s.inflight !== undefined, runs: s.runs, passes: s.passes, failures: s.failures,
          stateSince: iso(pc.stateSince),
        };
        if (pc.last && pc.lastAt !== undefined) {
          c.last = { ok: pc.last.ok, detail: pc.last.detail, latencyMs: round(pc.last.latencyMs), at: iso(pc.lastAt) };
          if (pc.last.output !== undefined) c.last.output = pc.last.output;
        }
        return c;
      }),
    };
  }

  private intervalFor(s: Slot): number {
    return this.machine.isTransitional(s.cfg.name) ? s.cfg.fastIntervalMs : s.cfg.intervalMs;
  }

  private schedule(s: Slot, delayMs: number): void {
    if (this.stopped) return;
    s.timer = this.clock.setTimer(delayMs, () => this.tick(s));
  }

  private tick(s: Slot): void {
    s.timer = undefined;
    if (this.stopped) return;
    const start = this.clock.now();
    if (s.inflight) {
      // The previous run is stuck past its deadline: count this due run as failed, start none.
      this.record(s, { ok: false, detail: 'previous run has not ended (stuck past its timeout)', latencyMs: 0 });
      this.schedule(s, this.intervalFor(s));
      return;
    }
    const ac = new AbortController();
    s.abort = ac;
    let settled = false;
    const deadlineMs = runDeadlineMs(s.cfg);
    const deadline = this.clock.setTimer(deadlineMs, () => ac.abort());
    const backstop = this.clock.setTimer(deadlineMs + STUCK_GRACE_MS, () => {
      if (settled || this.stopped) return;
      settled = true;
      s.log.warn({ event: 'stuck', deadlineMs }, 'check run did not end after its deadline');
      this.record(s, { ok: false, detail: `no result ${deadlineMs + STUCK_GRACE_MS}ms after start`, latencyMs: this.clock.now() - start });
      this.schedule(s, this.intervalFor(s)); // from now: one failure per interval while stuck
    });
    let p: Promise<CheckResult>;
    try {
      p = s.runner.run(ac.signal);
    } catch (err) {
      p = Promise.reject(err);
    }
    s.inflight = p
      .catch((err: unknown): CheckResult => ({ ok: false, detail: `check error: ${err instanceof Error ? err.message : String(err)}`, latencyMs: this.clock.now() - start }))
      .then((result) => {
        deadline.cancel();
        backstop.cancel();
        s.inflight = undefined;
        s.abort = undefined;
        if (settled || this.stopped) return;
        settled = true;
        // A run that ended after its deadline fired does not pass, whatever it says.
        if (ac.signal.aborted && result.ok) result = { ...result, ok: false, detail: `timeout after ${deadlineMs}ms` };
        this.record(s, result);
        this.scheduleNext(s, start);
      });
  }

  private scheduleNext(s: Slot, start: number): void {
    this.schedule(s, Math.max(0, start + this.intervalFor(s) - this.clock.now()));
  }

  private record(s: Slot, result: CheckResult): void {
    s.runs++;
    if (result.ok) s.passes++;
    else s.failures++;
    const before = this.machine.snapshot().perCheck.find((c) => c.name === s.cfg.name)?.state;
    const t = this.machine.onResult(s.cfg.name, result);
    const after = this.machine.snapshot().perCheck.find((c) => c.name === s.cfg.name)?.state ?? 'init';
    const fields: Record<string, unknown> = { event: 'result', ok: result.ok, detail: result.detail, latencyMs: round(result.latencyMs), state: after };
    if (result.output !== undefined) fields['output'] = result.output;
    if (before !== after) {
      fields['event'] = 'check-state';
      fields['previous'] = before;
      if (result.ok) s.log.info(fields, 'check state');
      else s.log.warn(fields, 'check state');
    } else {
      s.log.debug(fields, 'check result');
    }
    this.emit('check', { name: s.cfg.name, type: s.cfg.type, result, state: after });
    if (t) this.transition(t);
  }

  private transition(t: Transition): void {
    const fields = {
      event: 'health-state', state: t.state, previous: t.previous, verdict: t.verdict, previousVerdict: t.previousVerdict,
      reason: t.reason, checks: t.checks.map((c) => ({ check: c.check, ok: c.ok, state: c.state, detail: c.detail })),
    };
    if (t.verdict !== t.previousVerdict) this.log.warn(fields, 'health verdict');
    else this.log.info(fields, 'health state');
    this.emit('verdict', t);
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function describeCombine(c: HealthConfig): string {
  return c.combine.mode === 'at-least' ? `at-least ${c.combine.n}` : c.combine.mode;
}

export function describeTarget(c: CheckConfig): string {
  switch (c.type) {
    case 'tcp': return `${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`;
    case 'icmp': return `${c.host} x${c.count}`;
    case 'http': case 'https': return c.url;
    case 'exec': return [c.command, ...c.args].join(' ');
    case 'file': return c.path;
    case 'interface': return c.interface;
  }
}

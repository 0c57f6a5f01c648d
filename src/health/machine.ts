/**
 * The health state machine, pure: check results and drain requests in, transitions
 * out. No I/O and no timers; the clock is read only to stamp `since`.
 *
 * Overall state, from the per-check trackers (see check-tracker.ts):
 * - MAINTENANCE while drained (control socket) or while any `file` check sees its file;
 *   entered and left at once: it is an operator's explicit intent.
 * - otherwise E = combine(effective of each pass/fail check), R = combine(latest results):
 *     E pass:    UP, or FALLING while R fails (fall count not reached yet)
 *     E fail:    DOWN, or RISING while R passes (rise count not reached yet)
 *     E unknown: INIT before any result, else RISING / FALLING toward the first verdict
 * The verdict (what policy acts on) is MAINTENANCE, or E: pass -> up, fail -> down,
 * unknown -> init. RISING and FALLING therefore never change what is announced.
 */
import type { Combine, HealthState, StartState } from '../config/health.js';
import type { Clock } from '../util/clock.js';
import { CheckTracker, type Effective } from './check-tracker.js';
import { combine } from './combine.js';
import type { Cause, CheckResult, CheckState, Transition, Verdict } from './types.js';

export interface MachineCheck {
  name: string;
  /** `file` checks signal maintenance; every other type passes or fails. */
  maintenance: boolean;
  rise: number;
  fall: number;
}

export interface MachineOptions {
  checks: readonly MachineCheck[];
  combine: Combine;
  startState: StartState;
}

export interface MachineCheckSnapshot {
  name: string;
  kind: 'pass-fail' | 'maintenance';
  state: CheckState | 'maintenance';
  streak: number;
  rise: number;
  fall: number;
  last?: CheckResult;
  /** Clock time of the last result. */
  lastAt?: number;
  /** Clock time the check's state last changed. */
  stateSince: number;
}

export interface MachineSnapshot {
  state: HealthState;
  verdict: Verdict;
  since: number;
  reason: string;
  checks: Cause[];
  drain: { on: boolean; reason?: string };
  perCheck: MachineCheckSnapshot[];
}

interface Entry {
  def: MachineCheck;
  tracker: CheckTracker;
  /** file checks: the maintenance file was present at the last readable result. */
  inMaintenance: boolean;
  last?: CheckResult;
  lastAt?: number;
  stateSince: number;
}

export class HealthMachine {
  private readonly entries = new Map<string, Entry>();
  private current: HealthState;
  private currentVerdict: Verdict;
  private sinceT: number;
  private reasonText: string;
  private causes: Cause[] = [];
  private drained = false;
  private drainReason: string | undefined;

  constructor(private readonly opts: MachineOptions, private readonly clock: Clock) {
    for (const c of opts.checks) {
      if (this.entries.has(c.name)) throw new Error(`duplicate check name ${c.name}`);
      this.entries.set(c.name, {
        def: c, tracker: new CheckTracker(c.rise, c.fall, opts.startState), inMaintenance: false, stateSince: clock.now(),
      });
    }
    const { state, verdict } = this.evaluate();
    this.current = state;
    this.currentVerdict = verdict;
    this.sinceT = clock.now();
    this.reasonText = opts.startState === 'init' ? 'start: no result yet' : `start-state ${opts.startState}`;
  }

  get state(): HealthState { return this.current; }
  get verdict(): Verdict { return this.currentVerdict; }
  get since(): number { return this.sinceT; }

  /** Whether a check is rising or falling (or has no result yet): run it at its fast interval. */
  isTransitional(name: string): boolean {
    const e = this.entries.get(name);
    return !!e && !e.def.maintenance && e.tracker.transitional;
  }

  /** Feed one check result. Returns the transition when the overall state or verdict changed. */
  onResult(name: string, result: CheckResult): Transition | null {
    const e = this.entries.get(name);
    if (!e) throw new Error(`unknown check ${name}`);
    const now = this.clock.now();
    e.last = result;
    e.lastAt = now;
    if (e.def.maintenance) {
      // Unreadable (maintenance undefined): keep what we knew rather than guess.
      if (result.maintenance !== undefined && result.maintenance !== e.inMaintenance) {
        e.inMaintenance = result.maintenance;
        e.stateSince = now;
      }
    } else if (e.tracker.feed(result.ok)) {
      e.stateSince = now;
    }
    return this.settle(e);
  }

  /** Drain (control socket): force MAINTENANCE until undrained. */
  setDrain(on: boolean, reason?: string): Transition | null {
    this.drained = on;
    this.drainReason = on ? reason ?? 'operator request' : undefined;
    return this.settle(undefined, on ? undefined : 'maintenance ended (drain cleared)');
  }

  snapshot(): MachineSnapshot {
    const drain: MachineSnapshot['drain'] = { on: this.drained };
    if (this.drainReason !== undefined) drain.reason = this.drainReason;
    return {
      state: this.current, verdict: this.currentVerdict, since: this.sinceT, reason: this.reasonText,
      checks: this.causes, drain,
      perCheck: [...this.entries.values()].map((e) => {
        const s: MachineCheckSnapshot = {
          name: e.def.name,
          kind: e.def.maintenance ? 'maintenance' : 'pass-fail',
          state: e.def.maintenance ? (e.inMaintenance ? 'maintenance' : 'up') : e.tracker.state,
          streak: e.tracker.streak,
          rise: e.def.rise,
          fall: e.def.fall,
          stateSince: e.stateSince,
        };
        if (e.def.maintenance) s.streak = 0;
        if (e.last) s.last = e.last;
        if (e.lastAt !== undefined) s.lastAt = e.lastAt;
        return s;
      }),
    };
  }

  private evaluate(): { state: HealthState; verdict: Verdict; effective: Effective; raw: Effective } {
    const pf = [...this.entries.values()].filter((e) => !e.def.maintenance);
    const effective = combine(this.opts.combine, pf.map((e) => e.tracker.effective));
    const raw = combine(this.opts.combine, pf.map((e) => e.tracker.raw));
    if (this.drained || [...this.entries.values()].some((e) => e.inMaintenance)) {
      return { state: 'maintenance', verdict: 'maintenance', effective, raw };
    }
    let state: HealthState;
    if (effective === 'pass') state = raw === 'fail' ? 'falling' : 'up';
    else if (effective === 'fail') state = raw === 'pass' ? 'rising' : 'down';
    else state = raw === 'pass' ? 'rising' : raw === 'fail' ? 'falling' : 'init';
    const verdict: Verdict = effective === 'pass' ? 'up' : effective === 'fail' ? 'down' : 'init';
    return { state, verdict, effective, raw };
  }

  private settle(trigger: Entry | undefined, hint?: string): Transition | null {
    const { state, verdict } = this.evaluate();
    if (state === this.current && verdict === this.currentVerdict) return null;
    const t: Transition = {
      state, previous: this.current, verdict, previousVerdict: this.currentVerdict,
      since: this.clock.now(), reason: '', checks: [],
    };
    t.checks = this.causesFor(state);
    t.reason = hint ?? this.describe(state, trigger, t.checks);
    this.current = state;
    this.currentVerdict = verdict;
    this.sinceT = t.since;
    this.reasonText = t.reason;
    this.causes = t.checks;
    return t;
  }

  /** The checks that explain a state: failing ones for down/falling, passing for up/rising. */
  private causesFor(state: HealthState): Cause[] {
    const out: Cause[] = [];
    for (const e of this.entries.values()) {
      const cause: Cause = {
        check: e.def.name, ok: e.last?.ok ?? false, detail: e.last?.detail ?? 'no result yet',
        state: e.def.maintenance ? (e.inMaintenance ? 'maintenance' : 'up') : e.tracker.state,
      };
      if (state === 'maintenance') { if (e.inMaintenance) out.push(cause); continue; }
      if (e.def.maintenance) continue;
      const raw = e.tracker.raw;
      if ((state === 'down' || state === 'falling') && raw === 'fail') out.push(cause);
      if ((state === 'up' || state === 'rising') && raw === 'pass') out.push(cause);
      if (state === 'init') out.push(cause);
    }
    return out;
  }

  private describe(state: HealthState, trigger: Entry | undefined, causes: Cause[]): string {
    if (state === 'maintenance') {
      if (this.drained) return `drain: ${this.drainReason ?? 'operator request'}`;
      return `maintenance file present: ${causes.map((c) => c.check).join(', ')}`;
    }
    if (!trigger) return state;
    const st = trigger.def.maintenance ? (trigger.inMaintenance ? 'maintenance' : 'cleared') : trigger.tracker.state;
    const detail = trigger.last?.detail ?? '';
    if (trigger.def.maintenance && this.current === 'maintenance') return `maintenance ended: ${trigger.def.name} ${detail}`;
    return `check ${trigger.def.name} ${st} (${detail})`;
  }
}

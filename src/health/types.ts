/** Types shared by the health state machine, the check runners and the monitor. */
import type { HealthState } from '../config/health.js';

export type { HealthState } from '../config/health.js';

/** The stable outcome that policy acts on; rising/falling keep the previous verdict. */
export type Verdict = 'init' | 'up' | 'down' | 'maintenance';

/** The state of one check's own hysteresis (ExaBGP healthcheck's machine, per check). */
export type CheckState = 'init' | 'rising' | 'up' | 'falling' | 'down';

/** One run of one check, as a runner reports it. */
export interface CheckResult {
  /** Passed. For a `file` check: the maintenance file is absent. */
  ok: boolean;
  /** Only `file` checks set this: the maintenance file is present. */
  maintenance?: boolean;
  /** Short, loggable reason: "connected", "status 503", "exit 1", "timeout after 2000ms". */
  detail: string;
  latencyMs: number;
  /** Truncated stdout+stderr of an exec check, for the logs. */
  output?: string;
}

/** Runs one check once. Must settle by itself soon after `signal` aborts. */
export interface CheckRunner {
  run(signal: AbortSignal): Promise<CheckResult>;
  /** Release sockets (icmp). */
  close?(): void;
}

/** A check that moved the overall state, as logged and reported. */
export interface Cause {
  check: string;
  ok: boolean;
  detail: string;
  state: CheckState | 'maintenance';
}

/** One change of the overall state. */
export interface Transition {
  state: HealthState;
  previous: HealthState;
  verdict: Verdict;
  previousVerdict: Verdict;
  /** Clock time (ms, monotonic) the new state began. */
  since: number;
  /** "check web falling (status 503)", "drain: operator request", "maintenance file present". */
  reason: string;
  checks: Cause[];
}

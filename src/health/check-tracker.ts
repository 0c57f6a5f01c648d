/**
 * Hysteresis of one check, pure: results in, state out. ExaBGP healthcheck's machine
 * (INIT, RISING, UP, FALLING, DOWN), kept per check so that a fast check cannot outvote
 * a slow one and each check's streak is visible in `status`.
 *
 * `effective` is what the check counts as in the combination; it flips only after
 * `rise` consecutive passes (to pass) or `fall` consecutive failures (to fail).
 * Unlike ExaBGP (which needs fall+1 failures after UP, and turns a failed RISING into
 * FALLING even when it was never up), `fall: 2` means exactly two failures in a row.
 */
import type { StartState } from '../config/health.js';
import type { CheckState } from './types.js';

export type Effective = 'unknown' | 'pass' | 'fail';

export class CheckTracker {
  /** Consecutive results equal to the last one (0 before any result). */
  streak = 0;
  last: boolean | undefined;
  effective: Effective;

  constructor(readonly rise: number, readonly fall: number, start: StartState) {
    this.effective = start === 'up' ? 'pass' : start === 'down' ? 'fail' : 'unknown';
  }

  /** Feed one result; returns true when `state` changed. */
  feed(ok: boolean): boolean {
    const before = this.state;
    this.streak = this.last === ok ? this.streak + 1 : 1;
    this.last = ok;
    if (ok && this.effective !== 'pass' && this.streak >= this.rise) this.effective = 'pass';
    if (!ok && this.effective !== 'fail' && this.streak >= this.fall) this.effective = 'fail';
    return this.state !== before;
  }

  get state(): CheckState {
    if (this.effective === 'pass') return this.last === false ? 'falling' : 'up';
    if (this.effective === 'fail') return this.last === true ? 'rising' : 'down';
    if (this.last === undefined) return 'init';
    return this.last ? 'rising' : 'falling';
  }

  /** Raw direction of the latest result; unknown before the first one. */
  get raw(): Effective {
    return this.last === undefined ? 'unknown' : this.last ? 'pass' : 'fail';
  }

  /** Rising or falling: the check should run at its fast interval. */
  get transitional(): boolean {
    const s = this.state;
    return s === 'init' || s === 'rising' || s === 'falling';
  }
}

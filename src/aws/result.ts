/** What one run of a fallback action did, for status, logs and tests. */
export type RunOutcome =
  /** Nothing to decide yet, or this appliance may not act (not healthy, peer unknown). */
  | 'skipped'
  /** AWS already matches what we want: no mutating call was made. */
  | 'in-sync'
  /** Changes were planned and reported, none made. */
  | 'dry-run'
  /** Every planned change was made and verified by a fresh read. */
  | 'done'
  /** Some changes failed or did not verify; the next run continues (idempotent). */
  | 'incomplete'
  /** A change was wanted but refused by a safety rule (both down, minimum available...). */
  | 'refused'
  /** The run could not read or decide (permissions, invalid answer...). */
  | 'error';

export interface PlannedChange {
  /** Human-readable: "rtb-1 10.0.0.0/8: eni-a -> eni-b". */
  text: string;
  [k: string]: unknown;
}

export interface RunResult {
  fallback: 'route-tables' | 'tgw-vpn' | 'direct-connect';
  outcome: RunOutcome;
  reason?: string;
  planned: PlannedChange[];
  applied: number;
  failures: string[];
  /** Clock time the run ended. */
  at: number;
  /** Run again this soon (e.g. when a flap guard's wait ends) instead of at the next poll. */
  wakeInMs?: number;
}

export function needsRetry(r: RunResult): boolean {
  return r.outcome === 'incomplete' || r.outcome === 'error';
}

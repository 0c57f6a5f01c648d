/**
 * Capped exponential backoff with jitter for BGP connection attempts.
 *
 * RFC 4271 8.1.1 (DampPeerOscillations / IdleHoldTimer) lets a speaker wait
 * longer before retrying a peer that keeps failing; RFC 4271 section 10 asks
 * that timers be jittered (multiplied by a random factor in 0.75..1.0) so
 * that peers do not synchronise. We do both: delay(n) = min(max, min * 2^n)
 * scaled by a factor in [0.75, 1.0].
 */
export interface BackoffRange {
  /** First retry delay, milliseconds. */
  min: number;
  /** Cap, milliseconds. */
  max: number;
}

export const DEFAULT_CONNECT_RETRY: BackoffRange = { min: 1_000, max: 30_000 };

/** Delay before attempt `failures` + 1, with `random()` in [0, 1). Pure. */
export function backoffDelay(range: BackoffRange, failures: number, random: () => number = Math.random): number {
  const min = Math.max(0, range.min);
  const max = Math.max(min, range.max);
  const exp = Math.min(30, Math.max(0, failures));
  const base = Math.min(max, min * 2 ** exp);
  // RFC 4271 section 10: jitter by a factor uniformly distributed between 0.75 and 1.0.
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(base * (0.75 + 0.25 * r));
}

/** Tracks consecutive failures for one peer. */
export class Backoff {
  private failures = 0;
  constructor(private range: BackoffRange, private readonly random: () => number = Math.random) {}

  /** The delay to wait now, and count this as one more failure. */
  next(): number {
    const d = backoffDelay(this.range, this.failures, this.random);
    this.failures++;
    return d;
  }

  reset(): void {
    this.failures = 0;
  }

  get count(): number {
    return this.failures;
  }

  setRange(range: BackoffRange): void {
    this.range = range;
  }
}

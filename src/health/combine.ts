/**
 * Combination of per-check outcomes, in three-valued logic: a check that has not
 * decided yet (`unknown`) can neither pass nor fail an `all`, and so on.
 */
import type { Combine } from '../config/health.js';
import type { Effective } from './check-tracker.js';

export function combine(mode: Combine, values: readonly Effective[]): Effective {
  let pass = 0;
  let fail = 0;
  for (const v of values) {
    if (v === 'pass') pass++;
    else if (v === 'fail') fail++;
  }
  const unknown = values.length - pass - fail;
  const need = mode.mode === 'all' ? values.length : mode.mode === 'any' ? Math.min(1, values.length) : mode.n;
  if (pass >= need) return 'pass';
  if (pass + unknown < need) return 'fail';
  return 'unknown';
}

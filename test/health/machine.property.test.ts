/**
 * Property: the machine's verdict equals a deliberately different formulation of
 * rise/fall hysteresis. For each check, find the latest position where `rise` passes in
 * a row end and the latest where `fall` failures in a row end; whichever is later decides
 * (neither yet: undecided). The overall verdict combines those per check.
 */
import t from 'tap';
import fc from 'fast-check';
import { HealthMachine } from '../../src/health/machine.js';
import type { Combine } from '../../src/config/health.js';
import { ManualClock } from '../../src/util/clock.js';

type V = 'pass' | 'fail' | 'unknown';

function oracleCheck(results: boolean[], rise: number, fall: number, start: V): V {
  let lastPass = -1;
  let lastFail = -1;
  for (let j = 0; j < results.length; j++) {
    if (j + 1 >= rise && results.slice(j + 1 - rise, j + 1).every((r) => r)) lastPass = j;
    if (j + 1 >= fall && results.slice(j + 1 - fall, j + 1).every((r) => !r)) lastFail = j;
  }
  if (lastPass > lastFail) return 'pass';
  if (lastFail > lastPass) return 'fail';
  return start;
}

function oracleCombine(mode: Combine, vs: V[]): V {
  const pass = vs.filter((v) => v === 'pass').length;
  const unknown = vs.filter((v) => v === 'unknown').length;
  const need = mode.mode === 'all' ? vs.length : mode.mode === 'any' ? 1 : mode.n;
  if (pass >= need) return 'pass';
  if (pass + unknown < need) return 'fail';
  return 'unknown';
}

const toVerdict = (v: V) => (v === 'pass' ? 'up' : v === 'fail' ? 'down' : 'init');

t.test('verdict matches the window oracle for any result sequence', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.record({ rise: fc.integer({ min: 1, max: 4 }), fall: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3 }),
      fc.constantFrom<'all' | 'any' | 'at-least'>('all', 'any', 'at-least'),
      fc.constantFrom<'init' | 'up' | 'down'>('init', 'up', 'down'),
      fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 60 }),
      (n, defs, modeName, start, feed) => {
        const mode: Combine = modeName === 'at-least' ? { mode: 'at-least', n: Math.min(n, defs.length) } : { mode: modeName };
        const m = new HealthMachine({
          checks: defs.map((d, i) => ({ name: `c${i}`, maintenance: false, rise: d.rise, fall: d.fall })),
          combine: mode, startState: start,
        }, new ManualClock());
        const seen: boolean[][] = defs.map(() => []);
        const startV: V = start === 'up' ? 'pass' : start === 'down' ? 'fail' : 'unknown';
        for (const [idx, ok] of feed) {
          const i = idx % defs.length;
          seen[i]?.push(ok);
          m.onResult(`c${i}`, { ok, detail: '', latencyMs: 0 });
          const per = defs.map((d, k) => oracleCheck(seen[k] ?? [], d.rise, d.fall, startV));
          const want = toVerdict(oracleCombine(mode, per));
          if (m.verdict !== want) return false;
          // RISING/FALLING never disagree with the verdict they keep
          if (m.state === 'falling' && m.verdict === 'down') return false;
          if (m.state === 'rising' && m.verdict === 'up') return false;
        }
        return true;
      },
    ),
    { numRuns: 500 },
  );
  t.pass('500 random sequences agree with the oracle');
});

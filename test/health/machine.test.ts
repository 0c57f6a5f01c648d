import t from 'tap';
import { HealthMachine, type MachineCheck } from '../../src/health/machine.js';
import type { CheckResult, Transition } from '../../src/health/types.js';
import type { Combine, StartState } from '../../src/config/health.js';
import { ManualClock } from '../../src/util/clock.js';

const PASS: CheckResult = { ok: true, detail: 'ok', latencyMs: 1 };
const FAIL: CheckResult = { ok: false, detail: 'status 503', latencyMs: 1 };
const MAINT: CheckResult = { ok: false, maintenance: true, detail: 'maintenance file present', latencyMs: 0 };
const NO_MAINT: CheckResult = { ok: true, maintenance: false, detail: 'no maintenance file', latencyMs: 0 };

function machine(o: { checks?: MachineCheck[]; combine?: Combine; start?: StartState; rise?: number; fall?: number } = {}) {
  const clock = new ManualClock(1000);
  const rise = o.rise ?? 3;
  const fall = o.fall ?? 2;
  const m = new HealthMachine({
    checks: o.checks ?? [{ name: 'web', maintenance: false, rise, fall }],
    combine: o.combine ?? { mode: 'all' },
    startState: o.start ?? 'init',
  }, clock);
  const seen: Transition[] = [];
  const feed = (name: string, r: CheckResult) => { const tr = m.onResult(name, r); if (tr) seen.push(tr); return tr; };
  return { m, clock, seen, feed };
}

t.test('INIT -> RISING -> UP after exactly `rise` passes', async (t) => {
  const { m, seen, feed, clock } = machine({ rise: 3 });
  t.equal(m.state, 'init');
  t.equal(m.verdict, 'init');
  t.match(feed('web', PASS), { state: 'rising', previous: 'init', verdict: 'init' });
  clock.advance(1000);
  t.equal(feed('web', PASS), null, 'second pass: still rising, no transition');
  clock.advance(1000);
  const up = feed('web', PASS);
  t.match(up, { state: 'up', previous: 'rising', verdict: 'up', previousVerdict: 'init', since: 3000 });
  t.match(up?.checks, [{ check: 'web', ok: true, state: 'up' }]);
  t.match(up?.reason, /check web up/);
  t.equal(seen.length, 2);
  t.equal(m.snapshot().perCheck[0]?.streak, 3);
});

t.test('INIT -> FALLING -> DOWN after exactly `fall` failures', async (t) => {
  const { m, feed } = machine({ fall: 2 });
  t.match(feed('web', FAIL), { state: 'falling', verdict: 'init' });
  const down = feed('web', FAIL);
  t.match(down, { state: 'down', previous: 'falling', verdict: 'down', previousVerdict: 'init' });
  t.match(down?.checks, [{ check: 'web', ok: false, detail: 'status 503', state: 'down' }]);
  t.equal(m.verdict, 'down');
});

t.test('UP -> FALLING keeps verdict up; a pass in between resets the streak (debounce)', async (t) => {
  const { m, feed } = machine({ rise: 1, fall: 3 });
  feed('web', PASS);
  t.equal(m.state, 'up');
  t.match(feed('web', FAIL), { state: 'falling', previous: 'up', verdict: 'up', previousVerdict: 'up' });
  feed('web', FAIL);
  t.match(feed('web', PASS), { state: 'up', previous: 'falling' }, 'recovered before fall count');
  feed('web', FAIL);
  feed('web', FAIL);
  t.equal(m.state, 'falling', 'two failures after the reset: still falling');
  t.match(feed('web', FAIL), { state: 'down', verdict: 'down', previousVerdict: 'up' });
});

t.test('DOWN -> RISING -> DOWN on a failure (never went up: no FALLING), then UP', async (t) => {
  const { m, feed } = machine({ rise: 2, fall: 1 });
  feed('web', FAIL);
  t.equal(m.state, 'down');
  t.match(feed('web', PASS), { state: 'rising', verdict: 'down' });
  t.match(feed('web', FAIL), { state: 'down', previous: 'rising', verdict: 'down' });
  feed('web', PASS);
  t.match(feed('web', PASS), { state: 'up', previous: 'rising', verdict: 'up' });
});

t.test('flapping check never changes the verdict', async (t) => {
  const { m, feed, seen } = machine({ rise: 3, fall: 3, start: 'up' });
  for (let i = 0; i < 50; i++) feed('web', i % 2 ? PASS : FAIL);
  t.equal(m.verdict, 'up');
  t.ok(seen.every((s) => s.verdict === 'up'), 'every transition kept verdict up');
});

t.test('start-state up and down', async (t) => {
  const up = machine({ start: 'up', fall: 2 });
  t.equal(up.m.state, 'up');
  t.equal(up.m.verdict, 'up');
  t.match(up.m.snapshot().reason, /start-state up/);
  t.match(up.feed('web', FAIL), { state: 'falling', verdict: 'up' });
  t.match(up.feed('web', FAIL), { state: 'down', verdict: 'down' });

  const down = machine({ start: 'down', rise: 2 });
  t.equal(down.m.state, 'down');
  t.equal(down.m.verdict, 'down');
  t.equal(down.feed('web', FAIL), null, 'already down');
  t.match(down.feed('web', PASS), { state: 'rising', verdict: 'down' });
  t.match(down.feed('web', PASS), { state: 'up', verdict: 'up' });
});

const two = (rise = 1, fall = 1): MachineCheck[] => [
  { name: 'a', maintenance: false, rise, fall },
  { name: 'b', maintenance: false, rise, fall },
  { name: 'c', maintenance: false, rise, fall },
];

t.test('combine all: one failing check is enough for down; causes name it', async (t) => {
  const { m, feed } = machine({ checks: two() });
  feed('a', PASS);
  feed('b', PASS);
  t.equal(m.state, 'init', 'c has no result yet: all of (pass, pass, unknown) is undecided');
  t.equal(m.verdict, 'init');
  feed('c', PASS);
  t.equal(m.state, 'up');
  const down = feed('b', FAIL);
  t.match(down, { state: 'down', verdict: 'down' });
  t.same(down?.checks.map((c) => c.check), ['b']);
  t.match(down?.reason, /check b down \(status 503\)/);
});

t.test('combine any: down only when every check fails', async (t) => {
  const { m, feed } = machine({ checks: two(), combine: { mode: 'any' } });
  t.match(feed('a', PASS), { state: 'up', verdict: 'up' }, 'one pass is enough even before others report');
  feed('b', FAIL);
  feed('c', FAIL);
  t.equal(m.state, 'up');
  t.match(feed('a', FAIL), { state: 'down' });
});

t.test('combine at-least 2', async (t) => {
  const { m, feed } = machine({ checks: two(), combine: { mode: 'at-least', n: 2 } });
  feed('a', PASS);
  t.equal(m.verdict, 'init');
  feed('b', FAIL);
  t.equal(m.verdict, 'init', 'a pass, b fail, c unknown: undecided');
  feed('c', PASS);
  t.equal(m.verdict, 'up');
  t.match(feed('a', FAIL), { state: 'down', verdict: 'down' });
});

t.test('per-check hysteresis: a fast flapping check cannot outvote rise/fall', async (t) => {
  const { m, feed } = machine({ checks: two(2, 2) });
  for (const n of ['a', 'b', 'c']) { feed(n, PASS); feed(n, PASS); }
  t.equal(m.state, 'up');
  feed('a', FAIL);
  t.equal(m.state, 'falling');
  t.equal(m.verdict, 'up');
  feed('b', FAIL);
  t.equal(m.verdict, 'up', 'two checks failed once each: no check reached its fall count');
  feed('a', FAIL);
  t.equal(m.verdict, 'down');
});

t.test('maintenance file: immediate, overrides checks, exit returns to the checks verdict', async (t) => {
  const { m, feed } = machine({
    checks: [{ name: 'web', maintenance: false, rise: 1, fall: 1 }, { name: 'maint', maintenance: true, rise: 1, fall: 1 }],
  });
  feed('maint', NO_MAINT);
  feed('web', PASS);
  t.equal(m.state, 'up');
  const into = feed('maint', MAINT);
  t.match(into, { state: 'maintenance', previous: 'up', verdict: 'maintenance', previousVerdict: 'up' });
  t.match(into?.reason, /maintenance file present: maint/);
  t.same(into?.checks.map((c) => c.check), ['maint']);
  t.equal(feed('web', FAIL), null, 'checks keep running but cannot leave maintenance');
  t.equal(feed('maint', MAINT), null, 'still present: no transition');
  const out = feed('maint', NO_MAINT);
  t.match(out, { state: 'down', previous: 'maintenance', verdict: 'down' }, 'web failed meanwhile: down');
  t.match(out?.reason, /maintenance ended/);
});

t.test('maintenance file unreadable: keep the last known flag', async (t) => {
  const { m, feed } = machine({ checks: [{ name: 'maint', maintenance: true, rise: 1, fall: 1 }] });
  feed('maint', MAINT);
  t.equal(m.state, 'maintenance');
  t.equal(feed('maint', { ok: false, detail: 'cannot stat: EACCES', latencyMs: 0 }), null);
  t.equal(m.state, 'maintenance');
});

t.test('only a file check: up unless the file is there', async (t) => {
  const { m, feed } = machine({ checks: [{ name: 'maint', maintenance: true, rise: 1, fall: 1 }] });
  t.equal(m.state, 'up', 'no pass/fail check: all of nothing passes');
  feed('maint', MAINT);
  t.equal(m.state, 'maintenance');
});

t.test('drain override: maintenance whatever the checks; undrain returns to them', async (t) => {
  const { m, feed, clock } = machine({ rise: 1, fall: 1 });
  feed('web', PASS);
  clock.advance(500);
  const d = m.setDrain(true, 'patching');
  t.match(d, { state: 'maintenance', previous: 'up', verdict: 'maintenance', reason: 'drain: patching', since: 1500 });
  t.equal(feed('web', PASS), null);
  t.equal(m.setDrain(true, 'again'), null, 'draining twice is no transition');
  t.match(m.snapshot().drain, { on: true, reason: 'again' });
  const u = m.setDrain(false);
  t.match(u, { state: 'up', previous: 'maintenance', verdict: 'up' });
  t.match(u?.reason, /maintenance ended \(drain cleared\)/);
  t.same(m.snapshot().drain, { on: false });
});

t.test('drain while the maintenance file is present: undrain stays in maintenance', async (t) => {
  const { m, feed } = machine({ checks: [{ name: 'maint', maintenance: true, rise: 1, fall: 1 }] });
  feed('maint', MAINT);
  t.equal(m.setDrain(true), null);
  t.equal(m.setDrain(false), null);
  t.equal(m.state, 'maintenance');
});

t.test('isTransitional drives the fast interval', async (t) => {
  const { m, feed } = machine({ rise: 2, fall: 2 });
  t.ok(m.isTransitional('web'), 'init: fast');
  feed('web', PASS);
  t.ok(m.isTransitional('web'), 'rising: fast');
  feed('web', PASS);
  t.notOk(m.isTransitional('web'), 'up: normal');
  feed('web', FAIL);
  t.ok(m.isTransitional('web'), 'falling: fast');
  feed('web', FAIL);
  t.notOk(m.isTransitional('web'), 'down: normal');
});

t.test('snapshot carries per-check state, streak, last result and times', async (t) => {
  const { m, feed, clock } = machine({ rise: 2, fall: 2 });
  feed('web', PASS);
  clock.advance(250);
  feed('web', PASS);
  const s = m.snapshot();
  t.match(s, { state: 'up', verdict: 'up', since: 1250 });
  t.match(s.perCheck[0], { name: 'web', kind: 'pass-fail', state: 'up', streak: 2, rise: 2, fall: 2, lastAt: 1250, stateSince: 1250, last: { ok: true } });
});

t.test('unknown check and duplicate names are programming errors', async (t) => {
  const { m } = machine();
  t.throws(() => m.onResult('nope', PASS), /unknown check/);
  t.throws(() => machine({ checks: [{ name: 'x', maintenance: false, rise: 1, fall: 1 }, { name: 'x', maintenance: false, rise: 1, fall: 1 }] }), /duplicate/);
});

import t from 'tap';
import { healthSchema, type CheckConfig } from '../../src/config/health.js';
import { HealthMonitor, STUCK_GRACE_MS } from '../../src/health/monitor.js';
import type { CheckResult, CheckRunner, Transition } from '../../src/health/types.js';
import { ManualClock } from '../../src/util/clock.js';

const flush = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };

/** A runner the test drives: each run waits for the test to answer it (or answers from `auto`). */
class FakeRunner implements CheckRunner {
  starts: number[] = [];
  pending: Array<{ resolve: (r: CheckResult) => void; signal: AbortSignal }> = [];
  auto: boolean | undefined;
  ignoreAbort = false;
  closed = false;
  constructor(private readonly clock: ManualClock) {}
  run(signal: AbortSignal): Promise<CheckResult> {
    this.starts.push(this.clock.now());
    if (this.auto !== undefined) return Promise.resolve({ ok: this.auto, detail: this.auto ? 'ok' : 'refused', latencyMs: 3 });
    return new Promise((resolve) => {
      this.pending.push({ resolve, signal });
      if (!this.ignoreAbort) signal.addEventListener('abort', () => resolve({ ok: false, detail: 'timeout', latencyMs: 0 }));
    });
  }
  answer(ok: boolean, extra: Partial<CheckResult> = {}) {
    const p = this.pending.shift();
    if (!p) throw new Error('no pending run');
    p.resolve({ ok, detail: ok ? 'ok' : 'refused', latencyMs: 7, ...extra });
  }
  close() { this.closed = true; }
}

function setup(raw: Record<string, unknown>) {
  const cfg = healthSchema.parse(raw);
  const clock = new ManualClock(10_000);
  const runners = new Map<string, FakeRunner>();
  const mon = new HealthMonitor({
    config: cfg, clock, wallClock: () => Date.UTC(2026, 0, 1, 12, 0, 0) + clock.now(),
    createRunner: (c: CheckConfig) => { const r = new FakeRunner(clock); runners.set(c.name, r); return r; },
  });
  const verdicts: Transition[] = [];
  mon.on('verdict', (v) => verdicts.push(v));
  const step = async (ms: number) => { clock.advance(ms); await flush(); clock.advance(0); await flush(); };
  return { mon, clock, runners, verdicts, step, r: (n: string) => runners.get(n) as FakeRunner };
}

t.test('interval, fast-interval while rising/falling, start to start', async (t) => {
  const { mon, r, step, verdicts } = setup({ rise: 2, fall: 2, interval: '5s', 'fast-interval': '1s', checks: [{ name: 'a', type: 'tcp', host: 'h', port: 1 }] });
  const a = r('a');
  a.auto = true;
  mon.start();
  await step(0);
  t.same(a.starts, [10_000], 'first run at start');
  await step(1000);
  t.same(a.starts, [10_000, 11_000], 'rising: fast interval');
  t.equal(mon.state, 'up');
  await step(1000);
  t.equal(a.starts.length, 2, 'up: back to the normal interval');
  await step(4000);
  t.same(a.starts.at(-1), 16_000);
  a.auto = false;
  await step(5000);
  t.equal(mon.state, 'falling');
  await step(1000);
  t.equal(mon.state, 'down');
  t.same(a.starts.slice(-2), [21_000, 22_000], 'falling: fast interval');
  t.same(verdicts.map((v) => v.state), ['rising', 'up', 'falling', 'down']);
  await mon.stop();
  t.ok(a.closed, 'runner closed on stop');
  const n = a.starts.length;
  await step(60_000);
  t.equal(a.starts.length, n, 'no run after stop');
});

t.test('a run never overlaps itself; a slow run delays the next one', async (t) => {
  const { mon, r, step } = setup({ interval: '1s', 'fast-interval': '1s', rise: 1, checks: [{ name: 'a', type: 'tcp', host: 'h', port: 1, timeout: '10s' }] });
  mon.start();
  await step(0);
  await step(3000);
  t.equal(r('a').starts.length, 1, 'still running after 3 intervals: not started again');
  t.equal(mon.status().checks[0]?.running, true);
  r('a').answer(true);
  await step(0);
  t.equal(r('a').starts.length, 2, 'overdue: next run right after the slow one ended');
  await mon.stop();
});

t.test('timeout aborts the run; a run that passes after its deadline counts as failed', async (t) => {
  const { mon, r, step } = setup({ rise: 1, fall: 1, checks: [{ name: 'a', type: 'tcp', host: 'h', port: 1, timeout: '2s' }] });
  mon.start();
  await step(0);
  const p = r('a').pending[0];
  await step(2000);
  t.ok(p?.signal.aborted, 'signal aborted at the deadline');
  t.equal(mon.state, 'down');
  t.match(mon.status().checks[0]?.last, { ok: false, detail: 'timeout' });
  await mon.stop();

  const s2 = setup({ rise: 1, fall: 1, checks: [{ name: 'a', type: 'tcp', host: 'h', port: 1, timeout: '2s' }] });
  s2.r('a').ignoreAbort = true;
  s2.mon.start();
  await s2.step(0);
  await s2.step(2000);
  s2.r('a').answer(true);
  await s2.step(0);
  t.match(s2.mon.status().checks[0]?.last, { ok: false, detail: 'timeout after 2000ms' });
  await s2.mon.stop();
});

t.test('a runner stuck past its deadline is recorded as failed, and no second run starts', async (t) => {
  const { mon, r, step } = setup({ interval: '1s', rise: 1, fall: 2, checks: [{ name: 'a', type: 'tcp', host: 'h', port: 1, timeout: '2s' }] });
  r('a').ignoreAbort = true;
  mon.start();
  await step(0);
  await step(2000 + STUCK_GRACE_MS);
  t.match(mon.status().checks[0]?.last, { ok: false, detail: 'no result 3000ms after start' });
  t.equal(mon.state, 'falling');
  await step(1000);
  t.match(mon.status().checks[0]?.last, { ok: false, detail: /previous run has not ended/ });
  t.equal(mon.state, 'down');
  t.equal(r('a').starts.length, 1, 'no overlap even when stuck');
  r('a').answer(true); // the stuck run finally ends: its late result is ignored
  await step(0);
  t.equal(mon.state, 'down');
  await step(1000);
  t.equal(r('a').starts.length, 2, 'runs resume');
  await mon.stop();
});

t.test('a runner that throws is a failure with the error', async (t) => {
  const { mon, runners, step } = setup({ rise: 1, fall: 1, checks: [{ name: 'a', type: 'tcp', host: 'h', port: 1 }] });
  (runners.get('a') as FakeRunner).run = () => { throw new Error('boom'); };
  mon.start();
  await step(0);
  t.match(mon.status().checks[0]?.last, { ok: false, detail: 'check error: boom' });
  await mon.stop();
});

t.test('status(): everything `bgp-sidecar status` shows', async (t) => {
  const { mon, r, step } = setup({ rise: 2, fall: 2, combine: { 'at-least': 1 }, checks: [
    { name: 'web', type: 'http', url: 'http://127.0.0.1:8080/h' },
    { name: 'maint', type: 'file', path: '/etc/m' },
  ] });
  mon.start();
  await step(0);
  r('web').answer(true);
  r('maint').answer(true, { maintenance: false, detail: 'no maintenance file' });
  await step(0);
  let s = mon.status();
  t.match(s, { state: 'rising', verdict: 'init', combine: 'at-least 1', drain: { on: false }, since: '2026-01-01T12:00:10.000Z' });
  t.match(s.checks[0], { name: 'web', type: 'http', target: 'http://127.0.0.1:8080/h', state: 'rising', streak: 1, rise: 2, fall: 2,
    intervalMs: 1000, timeoutMs: 2000, running: false, runs: 1, passes: 1, failures: 0,
    last: { ok: true, detail: 'ok', latencyMs: 7, at: '2026-01-01T12:00:10.000Z' } });
  t.match(s.checks[1], { name: 'maint', type: 'file', state: 'up', target: '/etc/m' });
  await step(1000);
  r('web').answer(true);
  await step(0);
  s = mon.status();
  t.match(s, { state: 'up', verdict: 'up', since: '2026-01-01T12:00:11.000Z', forMs: 0, reason: /check web up/ });
  t.same(s.causes.map((c) => c.check), ['web']);
  t.equal(s.checks[0]?.intervalMs, 5000, 'interval in force');
  await step(2500);
  t.equal(mon.status().forMs, 2500);
  mon.setDrain(true, 'kernel update');
  s = mon.status();
  t.match(s, { state: 'maintenance', verdict: 'maintenance', reason: 'drain: kernel update', drain: { on: true, reason: 'kernel update' } });
  mon.setDrain(false);
  t.equal(mon.status().state, 'up');
  await mon.stop();
});

t.test('exec output is kept in status', async (t) => {
  const { mon, r, step } = setup({ rise: 1, checks: [{ name: 'x', type: 'exec', command: '/bin/false' }] });
  mon.start();
  await step(0);
  r('x').answer(false, { detail: 'exit 1', output: 'db unreachable\n' });
  await step(0);
  t.match(mon.status().checks[0]?.last, { ok: false, detail: 'exit 1', output: 'db unreachable\n' });
  await mon.stop();
});

t.test('nothing is recorded or emitted after stop, even for a stuck run', async (t) => {
  const { mon, r, step, clock } = setup({ rise: 1, checks: [{ name: 'a', type: 'tcp', host: 'h', port: 1, timeout: '2s' }] });
  r('a').ignoreAbort = true;
  mon.start();
  await step(0);
  let events = 0;
  mon.on('check', () => events++);
  const stopping = mon.stop();
  r('a').answer(true);
  await stopping;
  await step(10_000);
  t.equal(events, 0);
  t.equal(clock.timerCount, 0, 'no timer left');
});

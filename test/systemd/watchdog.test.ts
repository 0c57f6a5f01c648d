/** Watchdog logic on a ManualClock: cadence, first ping, withheld pings, lag. */
import t from 'tap';
import { ManualClock } from '../../src/util/clock.js';
import { Watchdog } from '../../src/daemon/watchdog.js';

function setup(usec: number | undefined, healthy?: () => true | string) {
  const clock = new ManualClock(1000);
  const pings: number[] = [];
  const logs: Array<{ level: string; o: object; msg?: string }> = [];
  const logger = {
    debug: (o: object, msg?: string) => logs.push({ level: 'debug', o, ...(msg ? { msg } : {}) }),
    warn: (o: object, msg?: string) => logs.push({ level: 'warn', o, ...(msg ? { msg } : {}) }),
    error: (o: object, msg?: string) => logs.push({ level: 'error', o, ...(msg ? { msg } : {}) }),
  };
  const notifier = { watchdogUsec: usec, watchdog: () => { pings.push(clock.now()); return true; } };
  const w = new Watchdog({ notifier, clock, logger, ...(healthy ? { healthy } : {}) });
  return { clock, pings, logs, w };
}

t.test('pings at once, then every WATCHDOG_USEC/2', async (t) => {
  const { clock, pings, w } = setup(10_000_000);
  t.equal(w.periodMs, 5000);
  w.start();
  t.same(pings, [1000]);
  clock.advance(20_000);
  t.same(pings, [1000, 6000, 11000, 16000, 21000]);
  w.stop();
  clock.advance(20_000);
  t.equal(pings.length, 5, 'no pings after stop');
  t.equal(clock.timerCount, 0, 'no timer left behind');
});

t.test('disabled without WATCHDOG_USEC', async (t) => {
  const { clock, pings, w } = setup(undefined);
  t.equal(w.enabled, false);
  w.start();
  clock.advance(60_000);
  t.same(pings, []);
});

t.test('a failing liveness probe withholds pings (so systemd restarts us), logged once', async (t) => {
  let verdict: true | string = true;
  const { clock, pings, logs, w } = setup(2_000_000, () => verdict);
  w.start();
  clock.advance(2000);
  t.equal(pings.length, 3);
  verdict = 'bfd worker exited';
  clock.advance(5000);
  t.equal(pings.length, 3, 'no pings while unhealthy');
  t.equal(logs.filter((l) => l.level === 'error').length, 1, 'logged once, not every tick');
  t.equal(w.status().withheld, 'bfd worker exited');
  verdict = true;
  clock.advance(1000);
  t.equal(pings.length, 4, 'pings resume');
  t.ok(logs.some((l) => l.msg === 'watchdog pings resumed'));
  w.stop();
});

t.test('a throwing probe counts as unhealthy, never as an exception in the loop', async (t) => {
  const { clock, pings, w } = setup(2_000_000, () => { throw new Error('oops'); });
  w.start();
  clock.advance(3000);
  t.equal(pings.length, 0);
  t.match(w.status().withheld, /liveness probe threw: oops/);
  w.stop();
});

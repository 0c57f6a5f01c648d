import t from 'tap';
import { RouteApplier } from '../../src/host/apply.js';
import type { LoopbackManager } from '../../src/host/loopback.js';
import type { Announcement } from '../../src/policy/types.js';
import { ManualClock } from '../../src/util/clock.js';

const flush = async () => { for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r)); };

/** Records every call in one log, with the loopback's own view of what it holds. */
function fakeLoopback(log: string[], failing = new Set<string>()) {
  const held = new Set<string>();
  const lo = {
    async ensure(prefixes: readonly string[]) {
      const failed = prefixes.filter((p) => failing.has(p));
      for (const p of prefixes) if (!failing.has(p)) held.add(p);
      log.push(`ensure ${prefixes.join(',')}${failed.length ? ` failed=${failed.join(',')}` : ''}`);
      return failed;
    },
    async release(prefixes: readonly string[]) { for (const p of prefixes) held.delete(p); log.push(`release ${prefixes.join(',')}`); },
    async releaseAll() { log.push(`releaseAll ${[...held].join(',')}`); held.clear(); },
  };
  return { lo: lo as unknown as LoopbackManager, held, failing };
}
const A: Announcement = { prefix: '172.16.1.1/32', prepend: 0 };
const B: Announcement = { prefix: '172.16.1.2/32', prepend: 0 };
const names = (r: Announcement[]) => r.map((x) => `${x.prefix}+${x.prepend}`).join(',') || '-';

t.test('order: ensure, announce, release withdrawn', async (t) => {
  const log: string[] = [];
  const { lo } = fakeLoopback(log);
  const ap = new RouteApplier({ loopback: lo, announce: (r) => { log.push(`announce ${names(r)}`); } });
  await ap.apply([A, B]);
  await ap.apply([{ ...A, prepend: 3 }]);
  await ap.apply([]);
  t.same(log, [
    'ensure 172.16.1.1/32,172.16.1.2/32', 'announce 172.16.1.1/32+0,172.16.1.2/32+0',
    'ensure 172.16.1.1/32', 'announce 172.16.1.1/32+3', 'release 172.16.1.2/32',
    'announce -', 'release 172.16.1.1/32',
  ]);
});

t.test('a prefix whose address cannot be added is not announced, and is retried', async (t) => {
  const log: string[] = [];
  const clock = new ManualClock();
  const { lo, failing } = fakeLoopback(log, new Set([B.prefix]));
  const ap = new RouteApplier({ loopback: lo, clock, retryMs: 5000, announce: (r) => { log.push(`announce ${names(r)}`); } });
  await ap.apply([A, B]);
  t.same(log.slice(-1), ['announce 172.16.1.1/32+0']);
  t.same(ap.current(), [A]);
  failing.clear();
  clock.advance(5000);
  await flush();
  t.same(log.slice(-2), ['ensure 172.16.1.1/32,172.16.1.2/32', 'announce 172.16.1.1/32+0,172.16.1.2/32+0']);
  t.equal(clock.timerCount, 0, 'no retry once it worked');
});

t.test('calls are serialized and the latest desired state wins', async (t) => {
  const seen: string[] = [];
  let unblock: (() => void) | undefined;
  const ap = new RouteApplier({
    announce: async (r) => {
      seen.push(names(r));
      if (seen.length === 1) await new Promise<void>((res) => { unblock = res; });
    },
  });
  const p1 = ap.apply([A]);
  await flush();
  const p2 = ap.apply([B]);
  const p3 = ap.apply([]);
  t.equal(seen.length, 1, 'second call waits for the first');
  unblock?.();
  await Promise.all([p1, p2, p3]);
  t.same(seen, ['172.16.1.1/32+0', '-'], 'the intermediate state was skipped');
});

t.test('speaker error: addresses kept, retried later', async (t) => {
  const log: string[] = [];
  const clock = new ManualClock();
  const { lo } = fakeLoopback(log);
  let fail = false;
  const ap = new RouteApplier({ loopback: lo, clock, announce: (r) => { if (fail) throw new Error('speaker stopped'); log.push(`announce ${names(r)}`); } });
  await ap.apply([A]);
  fail = true;
  await ap.apply([]);
  t.notOk(log.includes('release 172.16.1.1/32'), 'no release when the withdraw may not have gone out');
  fail = false;
  clock.advance(5000);
  await flush();
  t.same(log.slice(-2), ['announce -', 'release 172.16.1.1/32']);
});

t.test('close withdraws, then releases everything we added', async (t) => {
  const log: string[] = [];
  const { lo } = fakeLoopback(log);
  const ap = new RouteApplier({ loopback: lo, announce: (r) => { log.push(`announce ${names(r)}`); } });
  await ap.apply([A]);
  await ap.close();
  t.same(log.slice(-3), ['announce -', 'release 172.16.1.1/32', 'releaseAll ']);
  await ap.apply([B]);
  t.equal(log.filter((l) => l.startsWith('announce')).length, 2, 'closed: nothing applied after close');
});

/**
 * After stop() nothing of the speaker is left running: no protocol timer on
 * the (manual) clock, no socket. And the 'peer-state' events carry decoded
 * reasons. Real loopback sockets, protocol time on a ManualClock.
 */
import t from 'tap';
import { pino } from 'pino';
import { Speaker } from '../../src/speaker/speaker.js';
import { ManualClock } from '../../src/util/clock.js';
import type { PeerStateEvent } from '../../src/speaker/types.js';
import { TestPeer } from './bgp-test-peer.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

t.test('stop(): no timer left on the clock, sockets closed, even when the peer does not read', async (t) => {
  const clock = new ManualClock(1_000_000);
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = new Speaker({
    localAsn: 65001,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 100, max: 1_000 } }],
    logger,
    clock,
  });
  t.teardown(() => peer.close());
  const events: PeerStateEvent[] = [];
  sp.on('peer-state', (e) => events.push(e));
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  t.ok(clock.timerCount > 0, 'hold, keepalive and stability timers run while Established');
  // The peer stops reading: our Cease cannot be flushed and the close has to be bounded.
  peer.socket!.pause();
  const stopping = sp.stop({ reason: 'test', timeoutMs: 1_000 });
  let stopped = false;
  void stopping.then(() => (stopped = true));
  for (let i = 0; i < 50 && !stopped; i++) {
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 10));
  }
  t.ok(stopped, 'stop() resolved within its bound (manual time)');
  t.equal(clock.timerCount, 0, 'no timer left on the clock');
  peer.socket!.resume();
  await peer.until(() => peer.socket!.destroyed || peer.socket!.readableEnded, 3_000, 'our side closed the connection');
  t.same(
    events.map((e) => e.state),
    ['Connect', 'OpenSent', 'OpenConfirm', 'Established', 'Idle'],
    'peer-state events in order',
  );
  t.match(events[3], { address: '127.0.0.1', state: 'Established', previous: 'OpenConfirm', reason: 'keepalive-received' });
  t.match(events[4], { state: 'Idle', previous: 'Established', reason: /admin-stop: Cease\/Administrative Shutdown: "test" \(sent\)/ });
});

t.test("peer-state on the peer's NOTIFICATION: decoded reason with the shutdown communication", async (t) => {
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = new Speaker({
    localAsn: 65001,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 60_000, max: 60_000 } }],
    logger,
  });
  t.teardown(async () => {
    await sp.stop({ timeoutMs: 200 });
    await peer.close();
  });
  const events: PeerStateEvent[] = [];
  sp.on('peer-state', (e) => events.push(e));
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  // RFC 9003: length 11, "maintenance".
  peer.send({ type: 'notification', code: 6, subcode: 2, data: Uint8Array.of(11, ...Buffer.from('maintenance')) });
  await peer.until(() => events.some((e) => e.state === 'Idle'), 3_000, 'down');
  t.match(events.at(-1), {
    state: 'Idle',
    previous: 'Established',
    reason: 'notification-received: Cease/Administrative Shutdown: "maintenance" (received)',
  });
});

t.test('stop() with a passive peer that does not read: bounded, listener closed', async (t) => {
  const clock = new ManualClock(1_000_000);
  const sp = new Speaker({
    localAsn: 65001,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.2', asn: 65002, passive: true }],
    logger,
    clock,
    listen: { address: '127.0.0.1', port: 0 },
  });
  const peer = new TestPeer({ asn: 65002 });
  t.teardown(() => peer.close());
  await sp.start();
  const { port } = sp.listenAddress!;
  peer.connect('127.0.0.1', port, '127.0.0.2');
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  peer.socket!.pause();
  const stopping = sp.stop({ timeoutMs: 300 });
  let stopped = false;
  void stopping.then(() => (stopped = true));
  // 1 s of protocol time: more than the 300 ms bound, less than the 2 s a flushing close may linger.
  for (let i = 0; i < 10 && !stopped; i++) {
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 50 && !stopped; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(stopped, 'stop() resolved within its bound');
  t.equal(clock.timerCount, 0, 'no timer left');
  const refused = new TestPeer({ asn: 65002 });
  t.teardown(() => refused.close());
  const s = refused.connect('127.0.0.1', port, '127.0.0.2');
  await refused.until(() => s.destroyed || s.readableEnded, 3_000, 'refused');
  t.equal(refused.connections, 0, 'the listener is closed: nothing accepted');
});

t.test('a peer sending many flawed UPDATEs (RFC 7606 treat-as-withdraw) does not flood the log', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const capture = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const clock = new ManualClock(1_000_000);
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = new Speaker({
    localAsn: 65001,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.1', asn: 65002, port }],
    logger: capture,
    clock,
  });
  t.teardown(async () => {
    const stopping = sp.stop({ timeoutMs: 100 });
    clock.advance(200);
    await stopping;
    await peer.close();
  });
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  // IPv4 NLRI without NEXT_HOP: a missing well-known mandatory attribute, RFC 7606 3(d) treat-as-withdraw.
  const flawed = { type: 'update' as const, withdrawn: [], attributes: { origin: 0 as const, asPath: [{ type: 'sequence' as const, asns: [65002] }] } };
  for (let i = 0; i < 50; i++) peer.send({ ...flawed, nlri: [{ afi: 1, addr: `10.7.${i}.0`, len: 24 }] });
  await peer.until(() => sp.status()[0]?.updatesReceived === 50, 3_000, '50 UPDATEs handled');
  const repaired = () => lines.filter((l) => l.msg === 'update repaired (RFC 7606)').length;
  t.equal(repaired(), 10, 'ten logged in the window, not fifty');
  t.equal(sp.status()[0]?.state, 'Established', 'the session stays up (RFC 7606)');
  t.equal(sp.status()[0]?.receivedPrefixes, 0, 'treated as withdrawn: nothing kept');
  clock.advance(60_000);
  peer.send({ ...flawed, nlri: [{ afi: 1, addr: '10.8.0.0', len: 24 }] });
  await peer.until(() => sp.status()[0]?.updatesReceived === 51, 3_000, 'one more');
  t.match(lines.find((l) => l.msg === 'more updates repaired (RFC 7606), not logged one by one'), { notLogged: 40 }, 'the rest is counted');
  t.equal(repaired(), 11, 'a new window logs again');
});

t.test('stop(): a peer that does not read delays only its own Cease, not the others', async (t) => {
  const clock = new ManualClock(1_000_000);
  const slow = new TestPeer({ asn: 65002 });
  const fast = new TestPeer({ asn: 65003 });
  const slowPort = await slow.listen('127.0.0.1');
  const fastPort = await fast.listen('127.0.0.3');
  const sp = new Speaker({
    localAsn: 65001,
    routerId: '10.255.0.1',
    peers: [
      { address: '127.0.0.1', asn: 65002, port: slowPort },
      { address: '127.0.0.3', asn: 65003, port: fastPort },
    ],
    logger,
    clock,
  });
  t.teardown(async () => {
    await slow.close();
    await fast.close();
  });
  await sp.start();
  await slow.established();
  await fast.established();
  await slow.until(() => sp.status().every((s) => s.state === 'Established'), 3_000, 'both Established');
  // The slow peer stops reading; routes change until our output to it waits in user space.
  slow.socket!.pause();
  const slowQueued = () => sp.status().find((s) => s.address === '127.0.0.1')?.outQueueBytes ?? 0;
  for (let round = 1; round <= 20 && slowQueued() === 0; round++) {
    sp.set(Array.from({ length: 20_000 }, (_, i) => ({ prefix: `10.${i >> 8}.${i & 255}.1/32`, prepend: 0, med: round * 20_000 + i })));
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(slowQueued() > 0, 'a backlog toward the slow peer');
  const stopping = sp.stop({ reason: 'bye', timeoutMs: 5_000 });
  let stopped = false;
  void stopping.then(() => (stopped = true));
  // Protocol time does not move: only what does not wait for the slow peer can happen.
  const n = await fast.until(() => fast.messages(0, 'notification')[0], 10_000, "the fast peer's Cease");
  t.same(n.type === 'notification' && [n.code, n.subcode], [6, 2], 'the fast peer got its Cease at once');
  t.equal(stopped, false, 'stop() still waits for the slow peer (within its bound)');
  for (let i = 0; i < 60 && !stopped; i++) {
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 10));
  }
  t.ok(stopped, 'stop() resolved at its bound');
  t.equal(clock.timerCount, 0, 'no timer left');
});

t.test('stop() with an invalid drain list withdraws everything instead of keeping routes up', async (t) => {
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = new Speaker({ localAsn: 65001, routerId: '10.255.0.1', peers: [{ address: '127.0.0.1', asn: 65002, port }], logger });
  t.teardown(() => peer.close());
  await sp.start();
  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().length >= 3, 3_000, 'route and End-of-RIBs');
  const mark = peer.received.length;
  await sp.stop({ drain: [{ prefix: '172.16.1.1/33', prepend: 0 }], timeoutMs: 2_000 });
  await peer.until(() => peer.messages(mark, 'notification').length === 1, 3_000, 'Cease');
  const [u] = peer.updates(mark);
  t.same(u?.withdrawn.map((p) => `${p.addr}/${p.len}`), ['172.16.1.1/32'], 'withdrawn');
  t.same(u?.nlri, [], 'nothing announced');
});

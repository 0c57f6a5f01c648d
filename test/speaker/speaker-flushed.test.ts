/**
 * speaker.flushed(timeoutMs): resolves once what set() queued has been handed
 * to the kernel on every Established peer's socket. Real loopback sockets; a
 * peer that stops reading makes our output pile up in user space (socket
 * backpressure), so the promise really has to wait. Every wait is bounded.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import { pino } from 'pino';
import { Speaker } from '../../src/speaker/speaker.js';
import type { Announcement } from '../../src/speaker/types.js';
import { isEndOfRib } from '../../src/bgp/index.js';
import type { UpdateMessage } from '../../src/bgp/types.js';
import { TestPeer } from './bgp-test-peer.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const LOCAL = 65001;
const REMOTE = 65002;

async function setup(t: Test): Promise<{ peer: TestPeer; sp: Speaker }> {
  const peer = new TestPeer({ asn: REMOTE });
  const port = await peer.listen('127.0.0.1');
  const sp = new Speaker({
    localAsn: LOCAL,
    routerId: '10.255.0.1',
    // Long backoff: a session that drops in a test must not come back and blur what is measured.
    peers: [{ address: '127.0.0.1', asn: REMOTE, port, connectRetryMs: { min: 60_000, max: 60_000 } }],
    logger,
  });
  t.teardown(async () => {
    await sp.stop({ timeoutMs: 300 });
    await peer.close();
  });
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  return { peer, sp };
}

/** 20,000 /32s, each with its own MED (one UPDATE each, ~60 bytes): a new `round` changes every one. */
function table(round: number, n = 20_000): Announcement[] {
  return Array.from({ length: n }, (_, i) => ({ prefix: `10.${i >> 8}.${i & 255}.1/32`, prepend: 0, med: round * n + i }));
}

/** Stop the peer reading, then change every route until our output waits in user space (bounded rounds). */
async function backlog(t: Test, peer: TestPeer, sp: Speaker): Promise<number> {
  peer.socket!.pause();
  for (let round = 1; round <= 20; round++) {
    sp.set(table(round));
    // Let the kernel take what it will: only what is still queued after that is a backlog.
    await new Promise((r) => setTimeout(r, 100));
    if ((sp.status()[0]?.outQueueBytes ?? 0) > 0) return round;
  }
  t.fail('the kernel buffers never filled: cannot test backpressure');
  return 0;
}

/** Settled state of a promise without waiting for it. */
function track<T>(p: Promise<T>): { done: boolean; value: T | undefined } {
  const s: { done: boolean; value: T | undefined } = { done: false, value: undefined };
  void p.then((v) => {
    s.done = true;
    s.value = v;
  });
  return s;
}

t.test('flushed() waits while the peer does not read, and resolves true once it does', async (t) => {
  const { peer, sp } = await setup(t);
  const last = await backlog(t, peer, sp);
  t.ok((sp.status()[0]?.outQueueBytes ?? 0) > 0, `UPDATEs wait in user space after ${last} round(s) (status().outQueueBytes)`);
  const f = track(sp.flushed(10_000));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(f.done, false, 'still waiting after 300 ms while the peer reads nothing');
  t.equal(sp.status()[0]?.state, 'Established', 'the session itself is fine');

  peer.socket!.resume();
  await peer.until(() => f.done, 10_000, 'flushed() to resolve');
  t.equal(f.value, true, 'resolves true');
  t.equal(sp.status()[0]?.outQueueBytes, 0, 'nothing left in user space when it resolved');
  // Everything handed to the kernel reaches the peer: the last MED of the last round arrives.
  const lastMed = last * 20_000 + 19_999;
  await peer.until(() => peer.updates().some((u) => u.attributes.med === lastMed), 10_000, 'the last UPDATE at the peer');
  t.pass('the last UPDATE queued before flushed() was called reached the peer');
});

t.test('flushed() resolves false on timeout while the peer does not read', async (t) => {
  const { peer, sp } = await setup(t);
  await backlog(t, peer, sp);
  t.equal(await sp.flushed(200), false, 'false after 200 ms');
  t.equal(sp.status()[0]?.state, 'Established');
  peer.socket!.resume();
  t.equal(await sp.flushed(10_000), true, 'true once the peer reads again');
});

t.test('flushed() counts a session that goes down while waiting as flushed', async (t) => {
  const { peer, sp } = await setup(t);
  await backlog(t, peer, sp);
  const f = track(sp.flushed(10_000));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(f.done, false);
  peer.socket!.destroy();
  await peer.until(() => f.done, 5_000, 'flushed() after the session dropped');
  t.equal(f.value, true, 'the peer dropped the session: its routes go with it; resent on session up');
  t.not(sp.status()[0]?.state, 'Established');
});

t.test('flushed(): peers not Established count as flushed; with no backlog it is immediate', async (t) => {
  // A port nobody listens on: the peer never gets Established.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const dead = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const sp = new Speaker({
    localAsn: LOCAL,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.1', asn: REMOTE, port: dead, connectRetryMs: { min: 60_000, max: 60_000 } }],
    logger,
  });
  t.teardown(() => sp.stop({ timeoutMs: 100 }));
  await sp.start();
  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  t.equal(await sp.flushed(0), true, 'nothing Established: flushed at once, even with a zero timeout');
  t.throws(() => sp.flushed(-1), /flushed: timeoutMs: expected a number of milliseconds >= 0/);
  t.throws(() => sp.flushed(Number.NaN), /timeoutMs/);

  const { peer, sp: sp2 } = await setup(t);
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  const mark = peer.received.length;
  sp2.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  t.equal(await sp2.flushed(2_000), true, 'a reading peer: true');
  await peer.until(() => peer.updates(mark).length === 1, 3_000, 'UPDATE at the peer');
  t.same((peer.updates(mark)[0] as UpdateMessage).nlri.map((p) => p.addr), ['172.16.1.1']);
});

t.test('ROUTE-REFRESH while our output is queued: answered once, after the backlog, with the current table', async (t) => {
  const { peer, sp } = await setup(t);
  const last = await backlog(t, peer, sp);
  const refreshAt = peer.received.length;
  // The peer asks five times without reading a byte (it can still write).
  for (let i = 0; i < 5; i++) peer.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
  await new Promise((r) => setTimeout(r, 200));
  t.equal(sp.status()[0]?.state, 'Established');
  peer.socket!.resume();
  // Everything set() queued arrives, then one answer to the five requests.
  const probe = '10.0.0.1';
  const carrying = () => peer.updates(refreshAt).filter((u) => u.nlri.some((p) => p.addr === probe));
  const lastMed = last * 20_000;
  await peer.until(() => carrying().filter((u) => u.attributes.med === lastMed).length >= 2, 15_000, 'the refresh answer');
  await sp.flushed(10_000);
  await new Promise((r) => setTimeout(r, 200));
  // Each round set() announced the probe once; the refresh answers add one more of the last round.
  const withLast = carrying().filter((u) => u.attributes.med === lastMed).length;
  t.equal(withLast, 2, 'the last table once from set(), once as the (single) refresh answer, not five times');
  t.equal(sp.status()[0]?.state, 'Established');
});

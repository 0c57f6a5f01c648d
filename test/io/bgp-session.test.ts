/**
 * TCP behaviour on loopback: reconnect with backoff, the passive listener
 * accepting only configured addresses, RFC 4271 6.8 collisions over real
 * sockets. Short real timers, every wait bounded.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import { pino } from 'pino';
import type { NotificationMessage } from '../../src/bgp/types.js';
import { TestPeer } from '../speaker/bgp-test-peer.js';
import { testSpeaker } from './lib/speaker.js';

t.test('reconnect after the peer closes, with growing backoff', async (t) => {
  const peer = new TestPeer({ asn: 65002 });
  peer.rejectAll = true;
  const port = await peer.listen('127.0.0.1');
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 100, max: 400 } }],
    random: () => 0.999,
  }, peer);
  await sp.start();
  await peer.until(() => peer.connections >= 5, 5_000, 'five attempts');
  const at = peer.acceptTimes;
  const gaps = at.slice(1).map((x, i) => x - at[i]!);
  // Expected waits: 100, 200, 400, 400 ms (x 0.99975 jitter); timers never fire early.
  const expected = [100, 200, 400, 400];
  expected.forEach((e, i) => t.ok(gaps[i]! >= e * 0.95, `gap ${i + 1} is ${gaps[i]!.toFixed(0)} ms, at least ${e} ms`));
  t.not(sp.status()[0]?.state, 'Established');
  t.match(sp.status()[0]?.lastError, /tcp-failed/);
});

t.test('an unreachable peer (connection refused) is retried without blocking another peer', async (t) => {
  // Find a port nobody listens on.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const dead = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const peer = new TestPeer({ asn: 65003 });
  const port = await peer.listen('127.0.0.3');
  const sp = testSpeaker(t, {
    peers: [
      { address: '127.0.0.1', asn: 65002, port: dead, connectRetryMs: { min: 50, max: 100 } },
      { address: '127.0.0.3', asn: 65003, port, connectRetryMs: { min: 50, max: 100 } },
    ],
  }, peer);
  await sp.start();
  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  await peer.until(() => peer.updates().length >= 1, 3_000, 'the healthy peer gets its UPDATE');
  const byAddr = Object.fromEntries(sp.status().map((s) => [s.address, s]));
  t.equal(byAddr['127.0.0.3']?.state, 'Established');
  t.not(byAddr['127.0.0.1']?.state, 'Established');
  t.match(byAddr['127.0.0.1']?.lastError, /ECONNREFUSED/);
});

t.test('passive listener accepts only configured peer addresses', async (t) => {
  const stranger = new TestPeer({ asn: 65002 });
  const peer = new TestPeer({ asn: 65002 });
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.2', asn: 65002, passive: true }],
    listen: { address: '127.0.0.1', port: 0 },
  }, stranger, peer);
  await sp.start();
  const { port } = sp.listenAddress!;
  t.equal(sp.status()[0]?.state, 'Active', 'passive peer waits in Active');

  const s = stranger.connect('127.0.0.1', port, '127.0.0.3');
  await stranger.until(() => s.destroyed || s.readableEnded, 3_000, 'stranger closed');
  t.equal(stranger.received.length, 0, 'an unconfigured address gets not a single byte');

  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  peer.connect('127.0.0.1', port, '127.0.0.2');
  await peer.established();
  await peer.until(() => peer.updates().length >= 1, 3_000, 'UPDATE');
  t.equal(sp.status()[0]?.state, 'Established');
  t.equal(peer.updates()[0]?.attributes.nextHop, '127.0.0.1', 'next hop = the local address of the accepted session');

  // A second connection while Established: RFC 4271 6.8, the new one is closed with 6/7.
  const dup = new TestPeer({ asn: 65002 });
  t.teardown(() => dup.close());
  dup.connect('127.0.0.1', port, '127.0.0.2');
  const n = (await dup.until(() => dup.messages(0, 'notification')[0], 3_000, 'collision NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 7]);
  t.equal(sp.status()[0]?.state, 'Established', 'the established session is untouched');
});

async function collision(t: Test, peerId: string) {
  // The peer listens (our outgoing connection) but does not answer our OPEN there,
  // and connects to our listener itself: both connections reach OpenSent.
  const peer = new TestPeer({ asn: 65002, bgpId: peerId, autoOpen: false });
  const port = await peer.listen('127.0.0.1');
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 50, max: 100 } }],
    listen: { address: '127.0.0.1', port: 0 },
  }, peer);
  await sp.start();
  await peer.until(() => peer.received.some((r) => r.conn === 0 && r.message.type === 'open'), 3_000, 'our OPEN on the outgoing connection');
  const inbound = peer.connect('127.0.0.1', sp.listenAddress!.port);
  await peer.until(() => peer.received.some((r) => r.conn === 1 && r.message.type === 'open'), 3_000, 'our OPEN on the incoming connection');
  // Now the peer answers on the outgoing connection too: both have the peer's OPEN.
  peer.send(peer.open(), peer.sockets[0]);
  return { peer, sp, inbound };
}

t.test('collision: remote BGP Identifier higher, the connection it opened survives', async (t) => {
  const { peer, sp, inbound } = await collision(t, '10.255.0.9');
  const n = (await peer.until(() => peer.received.find((r) => r.conn === 0 && r.message.type === 'notification')?.message, 3_000, '6/7 on ours')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 7], 'our outgoing connection closed with Cease 6/7');
  peer.send({ type: 'keepalive' }, inbound);
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established on the peer connection');
  t.equal(peer.received.filter((r) => r.conn === 1 && r.message.type === 'notification').length, 0, 'the surviving connection got no NOTIFICATION');
});

t.test('collision: local BGP Identifier higher, our connection survives', async (t) => {
  const { peer, sp } = await collision(t, '10.0.0.9');
  const n = (await peer.until(() => peer.received.find((r) => r.conn === 1 && r.message.type === 'notification')?.message, 3_000, '6/7 on theirs')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 7], 'the peer-initiated connection closed with Cease 6/7');
  peer.send({ type: 'keepalive' }, peer.sockets[0]);
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established on our connection');
  t.equal(peer.received.filter((r) => r.conn === 0 && r.message.type === 'notification').length, 0);
});

t.test('send hold timer on a real socket: a peer that stops reading is dropped (RFC 9687)', async (t) => {
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.1', asn: 65002, port, sendHoldMs: 500, connectRetryMs: { min: 60_000, max: 60_000 } }],
  }, peer);
  const states: string[] = [];
  sp.on('peer-state', (e) => states.push(`${e.state}:${e.reason}`));
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'up');
  // The peer stops reading while our routes keep changing: our output piles up past the kernel buffers.
  peer.socket!.pause();
  for (let round = 1; round <= 20 && (sp.status()[0]?.outQueueBytes ?? 0) === 0; round++) {
    sp.set(Array.from({ length: 20_000 }, (_, i) => ({ prefix: `10.${i >> 8}.${i & 255}.1/32`, prepend: 0, med: round * 20_000 + i })));
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok((sp.status()[0]?.outQueueBytes ?? 0) > 0, 'bytes wait in user space');
  await peer.until(() => sp.status()[0]?.state === 'Idle', 10_000, 'dropped by the send hold timer');
  t.match(states.at(-1), /send-hold-timer-expired/);
  t.match(sp.status()[0]?.lastError, /send-hold-timer-expired: Send Hold Timer Expired \(sent\)/);
});

t.test('two connections opened by the peer itself are no RFC 4271 6.8 collision: the first one is kept', async (t) => {
  // The peer's BGP Identifier is higher than ours: a 6.8 comparison would keep "the peer's
  // connection", which here means either; the rule must not drop the older, working one.
  const peer = new TestPeer({ asn: 65002, bgpId: '10.255.0.9', autoOpen: false });
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.2', asn: 65002, passive: true }],
    listen: { address: '127.0.0.1', port: 0 },
  }, peer);
  await sp.start();
  const { port } = sp.listenAddress!;
  peer.connect('127.0.0.1', port, '127.0.0.2');
  await peer.until(() => peer.received.some((r) => r.conn === 0 && r.message.type === 'keepalive'), 3_000, 'first connection in OpenConfirm');
  peer.connect('127.0.0.1', port, '127.0.0.2');
  const n = (await peer.until(() => peer.received.find((r) => r.conn === 1 && r.message.type === 'notification')?.message, 3_000, 'the second one refused')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 7], 'the newer connection gets Cease 6/7');
  peer.send({ type: 'keepalive' }, peer.sockets[0]);
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established on the first connection');
  t.equal(peer.received.filter((r) => r.conn === 0 && r.message.type === 'notification').length, 0, 'the first connection got no NOTIFICATION');
});

t.test('many connections from an unconfigured address: all refused, at most 10 log lines', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const capture = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.2', asn: 65002, passive: true }],
    logger: capture,
    listen: { address: '127.0.0.1', port: 0 },
  });
  await sp.start();
  const { port } = sp.listenAddress!;
  let closed = 0;
  await Promise.all(
    Array.from({ length: 30 }, () => new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' });
      s.on('error', () => undefined);
      s.on('close', () => {
        closed++;
        resolve();
      });
      setTimeout(() => { s.destroy(); resolve(); }, 3_000).unref();
    })),
  );
  t.equal(closed, 30, 'every connection closed by us');
  t.equal(lines.filter((l) => l.msg === 'connection from an unconfigured address refused').length, 10, 'ten lines, not thirty');
});

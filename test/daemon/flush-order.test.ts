/**
 * Loopback ordering with real sockets: the floating address is removed only
 * after the withdraw of its prefix has been written to the peer's socket.
 * Real Speaker and BGP session on 127.0.0.1, the route applier wired with the
 * daemon's flushingAnnounce, and a LoopbackManager whose `ip` is an in-memory
 * fake that notes, at the moment of `ip addr del`, how much of our output
 * still waits in user space. The peer stops reading so the output piles up
 * (socket backpressure): without the wait, `ip addr del` runs while the
 * withdraw is still queued. Every wait is bounded.
 */
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { flushingAnnounce } from '../../src/daemon/flush.js';
import { RouteApplier } from '../../src/host/apply.js';
import { LoopbackManager } from '../../src/host/loopback.js';
import type { Announcement } from '../../src/policy/types.js';
import { Speaker } from '../../src/speaker/speaker.js';
import { FakeIp } from '../host/lib/fake-ip.js';
import { TestPeer } from './lib/test-peer.js';

t.setTimeout(120_000);
const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const FLOATING: Announcement = { prefix: '172.16.1.1/32', prepend: 0 };

/** 20,000 /24s (not host prefixes: the loopback leaves them alone), each with its own MED so a new round changes all. */
function table(round: number, n = 20_000): Announcement[] {
  return Array.from({ length: n }, (_, i) => ({ prefix: `10.${i >> 8}.${i & 255}.0/24`, prepend: 0, med: round * n + i }));
}

async function setup(t: Test) {
  const peer = new TestPeer({ asn: 65002, bgpId: '10.255.0.2' });
  const port = await peer.listen();
  const sp = new Speaker({
    localAsn: 65001,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 60_000, max: 60_000 } }],
    logger,
  });
  const ip = new FakeIp('lo');
  const lo = new LoopbackManager({ interface: 'lo', runIp: ip.run, logger });
  const applier = new RouteApplier({ announce: flushingAnnounce(() => sp, { logger, timeoutMs: 30_000 }), loopback: lo, logger });
  t.teardown(async () => {
    peer.socket?.resume();
    await sp.stop({ timeoutMs: 300 });
    await peer.close();
  });
  await lo.start();
  await sp.start();
  await peer.until('Established', () => sp.status()[0]?.state === 'Established', 10_000);
  return { peer, sp, ip, applier };
}

const queued = (sp: Speaker) => sp.status()[0]?.outQueueBytes ?? 0;

t.test('ip addr del runs only after the withdraw is written, while the peer is slow to read', async (t) => {
  const { peer, sp, ip, applier } = await setup(t);
  await applier.apply([FLOATING, ...table(0)]);
  t.same(ip.changes(), ['add 172.16.1.1/32'], 'address added for the announcement');
  await peer.until('the floating route', () => peer.rib.has('172.16.1.1/32'), 20_000);

  // The peer stops reading; change every route until our output waits in user space (bounded rounds).
  peer.socket!.pause();
  let round = 0;
  for (round = 1; round <= 20 && queued(sp) === 0; round++) {
    sp.set([FLOATING, ...table(round)]);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (queued(sp) === 0) {
    t.fail('the kernel buffers never filled: cannot test the order');
    return;
  }
  t.pass(`output waits in user space after ${round - 1} round(s): ${queued(sp)} bytes`);

  const atDel: number[] = [];
  ip.onCall = (argv) => {
    if (argv[0] === 'addr' && argv[1] === 'del') atDel.push(queued(sp));
  };
  // Withdraw the floating prefix (everything else stays).
  let applied = false;
  const p = applier.apply(table(round)).then(() => (applied = true));
  await new Promise((r) => setTimeout(r, 300));
  t.same(atDel, [], 'no ip addr del while the withdraw waits behind the backlog');
  t.equal(applied, false, 'the applier is still waiting for the write');
  t.ok(queued(sp) > 0, 'and the output is still queued');

  peer.socket!.resume();
  await peer.until('the apply to finish', () => applied, 60_000);
  await p;
  t.same(ip.changes(), ['add 172.16.1.1/32', 'del 172.16.1.1/32'], 'address removed once');
  t.same(atDel, [0], 'at ip addr del nothing of ours was left in user space: the withdraw was in the socket');
  await peer.until('the withdraw', () => !peer.rib.has('172.16.1.1/32'), 20_000);
  t.pass('the peer received the withdraw');
  t.equal(peer.rib.size, 20_000, 'the other routes are still announced');
});

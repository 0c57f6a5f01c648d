/**
 * A peer that does not read while we keep writing: past the write-queue
 * bound the session ends with Cease 6/8 (RFC 4486 Out of Resources) and
 * comes back after the backoff. PeerSession on loopback with a small bound.
 */
import t from 'tap';
import { PeerSession, type SessionStateEvent } from '../../src/io/bgp-session.js';
import { buildLocalOpen } from '../../src/fsm/bgp-open-policy.js';
import { systemClock } from '../../src/util/clock.js';
import type { NotificationMessage } from '../../src/bgp/types.js';
import { TestPeer } from '../speaker/bgp-test-peer.js';
import { logger, testSpeaker } from './lib/speaker.js';

/** 3,449 KEEPALIVEs back to back (19 bytes each: 16 x 0xff marker, length 19, type 4): 65,531 bytes. */
const KEEPALIVES = (() => {
  const one = [...new Array<number>(16).fill(0xff), 0, 19, 4];
  const b = new Uint8Array(19 * 3449);
  for (let i = 0; i < 3449; i++) b.set(one, i * 19);
  return b;
})();

t.test('write queue past its bound: Cease 6/8, session down, back after the backoff', async (t) => {
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const session = new PeerSession({
    address: '127.0.0.1',
    port,
    peerAsn: 65002,
    localAsn: 65001,
    localOpen: buildLocalOpen({ localAsn: 65001, routerId: '10.255.0.1', holdTime: 90 }),
    connectRetry: { min: 300, max: 300 },
    maxWriteQueueBytes: 512 * 1024,
    clock: systemClock,
    logger,
  });
  const states: SessionStateEvent[] = [];
  session.on('state', (s) => states.push(s));
  t.teardown(async () => {
    await session.stop();
    session.dispose();
    await peer.close();
  });
  session.start();
  await peer.established();
  await peer.until(() => session.isEstablished, 3_000, 'Established');
  peer.socket!.pause();
  for (let i = 0; i < 2_000 && session.isEstablished; i++) {
    session.writeUpdates([KEEPALIVES]);
    if (i % 16 === 15) await new Promise((r) => setTimeout(r, 5));
  }
  t.equal(session.state, 'Idle', 'the session went down');
  const down = states.find((s) => s.state === 'Idle');
  t.equal(down?.reason.code, 'write-queue-overflow');
  t.match(down?.reason.notification, { code: 6, subcode: 8, direction: 'sent' });
  peer.socket!.resume();
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 5_000, 'the Cease after the backlog')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 8], 'Cease / Out of Resources reached the peer once it read again');
  await peer.until(() => peer.connections === 2, 5_000, 'reconnect after the backoff');
  t.pass('the session comes back');
});

t.test('speaker: a session ended by the write-queue bound does not show the routes as announced', async (t) => {
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 60_000, max: 60_000 } }],
  }, peer);
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  peer.socket!.pause();
  // More than 16 MiB in one set(): 80,000 /32s with distinct MEDs (one UPDATE each) and
  // 20 large communities (240 bytes): about 300 bytes per UPDATE, 24 MB.
  const large = Array.from({ length: 20 }, (_, i) => `65001:${i}:${i}`);
  sp.set(Array.from({ length: 80_000 }, (_, i) => ({ prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`, prepend: 0, med: i, largeCommunities: large })));
  await peer.until(() => sp.status()[0]?.state === 'Idle', 5_000, 'session ended');
  t.match(sp.status()[0]?.lastError, /write-queue-overflow: Cease\/Out of Resources/);
  t.same(sp.status()[0]?.announced, [], 'nothing shown as announced on a session that is down');
});

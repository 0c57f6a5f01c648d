/**
 * When the session reconnects after the peer closed it with a NOTIFICATION.
 * Real loopback sockets, protocol time on a ManualClock: the IdleHoldTimer
 * only fires when the test advances the clock, so "no reconnect before X ms"
 * is checked exactly, not by sleeping.
 */
import t, { type Test } from 'tap';
import type { Speaker } from '../../src/speaker/speaker.js';
import { ManualClock } from '../../src/util/clock.js';
import { TestPeer } from '../speaker/bgp-test-peer.js';
import { testSpeaker } from './lib/speaker.js';

async function up(t: Test): Promise<{ peer: TestPeer; sp: Speaker; clock: ManualClock }> {
  const clock = new ManualClock(1_000_000);
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = testSpeaker(t, {
    // Backoff from 100 ms up to 8 s; jitter factor ~1.0 so the delays are exact.
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 100, max: 8_000 } }],
    clock,
    random: () => 0.999_999,
  }, peer);
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  return { peer, sp, clock };
}

/** Advance the manual clock by `ms`, then give real sockets a moment; true if a new connection arrived. */
async function reconnectsWithin(peer: TestPeer, clock: ManualClock, ms: number, before: number, expect = false): Promise<boolean> {
  clock.advance(ms);
  try {
    // Expecting none: 300 ms of real time is plenty for a loopback connect that was started.
    await peer.until(() => peer.connections > before, expect ? 3_000 : 300, 'reconnect');
    return true;
  } catch {
    return false;
  }
}

async function notifiedDown(peer: TestPeer, sp: Speaker, subcode: number): Promise<void> {
  peer.send({ type: 'notification', code: 6, subcode, data: new Uint8Array(0) });
  await peer.until(() => sp.status()[0]?.state === 'Idle', 3_000, 'Idle after the NOTIFICATION');
}

t.test('Cease 6/2 (Administrative Shutdown) from the peer: wait the backoff cap before reconnecting', async (t) => {
  const { peer, sp, clock } = await up(t);
  await notifiedDown(peer, sp, 2);
  t.equal(await reconnectsWithin(peer, clock, 7_900, 1), false, 'no reconnect within 7.9 s (the backoff alone would be 100 ms)');
  t.equal(await reconnectsWithin(peer, clock, 100, 1, true), true, 'reconnects at the cap, 8 s');
  t.match(sp.status()[0]?.lastError, /Administrative Shutdown/);
});

t.test('Cease 6/3 (Peer De-configured) and 6/5 (Connection Rejected) hold off too', async (t) => {
  const { peer, sp, clock } = await up(t);
  await notifiedDown(peer, sp, 3);
  t.equal(await reconnectsWithin(peer, clock, 7_900, 1), false, '6/3: not before the cap');
  t.equal(await reconnectsWithin(peer, clock, 100, 1, true), true);
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established again');
  await notifiedDown(peer, sp, 5);
  t.equal(await reconnectsWithin(peer, clock, 7_900, 2), false, '6/5: not before the cap');
  t.equal(await reconnectsWithin(peer, clock, 100, 2, true), true);
});

t.test('Cease 6/4 (Administrative Reset) from the peer: the normal backoff, back at once', async (t) => {
  const { peer, sp, clock } = await up(t);
  await notifiedDown(peer, sp, 4);
  t.equal(await reconnectsWithin(peer, clock, 99, 1), false, 'not before the first backoff step');
  t.equal(await reconnectsWithin(peer, clock, 1, 1, true), true, 'reconnects after 100 ms: the peer asked us back');
});

t.test('a peer that keeps closing the connection: retries at 100, 200, 400, 800 ms, capped, exactly', async (t) => {
  const clock = new ManualClock(1_000_000);
  const peer = new TestPeer({ asn: 65002 });
  peer.rejectAll = true;
  const port = await peer.listen('127.0.0.1');
  const sp = testSpeaker(t, {
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 100, max: 1_000 } }],
    clock,
    random: () => 0.999_999,
  }, peer);
  await sp.start();
  await peer.until(() => peer.connections === 1, 3_000, 'first attempt');
  for (const [i, delay] of [100, 200, 400, 800, 1_000, 1_000].entries()) {
    await peer.until(() => sp.status()[0]?.state === 'Idle', 3_000, `Idle after attempt ${i + 1}`);
    t.equal(await reconnectsWithin(peer, clock, delay - 1, i + 1), false, `attempt ${i + 2} not before ${delay} ms`);
    t.equal(await reconnectsWithin(peer, clock, 1, i + 1, true), true, `attempt ${i + 2} at ${delay} ms`);
  }
});

t.test('a peer that accepts TCP and never sends OPEN: 4/0 after 30 s by default, after openHoldMs when set', async (t) => {
  for (const [openHoldMs, expected] of [[undefined, 30_000], [5_000, 5_000]] as const) {
    const clock = new ManualClock(1_000_000);
    const peer = new TestPeer({ asn: 65002, autoOpen: false });
    const port = await peer.listen('127.0.0.1');
    const sp = testSpeaker(t, {
      peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 100, max: 1_000 }, ...(openHoldMs ? { openHoldMs } : {}) }],
      clock,
    }, peer);
    await sp.start();
    await peer.until(() => peer.messages(0, 'open').length === 1, 3_000, 'our OPEN');
    t.equal(sp.status()[0]?.state, 'OpenSent');
    clock.advance(expected - 1);
    await new Promise((r) => setTimeout(r, 50));
    t.equal(peer.messages(0, 'notification').length, 0, `nothing before ${expected} ms`);
    clock.advance(1);
    const n = await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'Hold Timer Expired');
    t.same(n.type === 'notification' && [n.code, n.subcode], [4, 0], `4/0 at ${expected} ms`);
    t.equal(sp.status()[0]?.state, 'Idle', 'and the session retries after the backoff');
  }
});

import t from 'tap';
import { ManualClock } from '../../src/util/clock.js';
import { BfdSession, type BfdSessionConfig, type BfdStateEvent } from '../../src/fsm/bfd-session.js';
import { decodeControlPacket, type BfdControlPacket } from '../../src/bfd/packet.js';
import { BfdAuthType } from '../../src/bfd/constants.js';
import { dumbKeyed, dumbPacket, dumbSimple, type DumbFields } from './lib/dumb-packet.js';

const LOCAL = 0x0a0a0a0a;
const PEER = 0x22222222;
const AD = 0, DOWN = 1, INIT = 2, UP = 3;

function harness(over: Partial<BfdSessionConfig> = {}, opts: { random?: () => number; start?: boolean } = {}) {
  const clock = new ManualClock(0);
  const sent: Array<{ at: number; pkt: BfdControlPacket }> = [];
  const events: BfdStateEvent[] = [];
  const s = new BfdSession(
    { localDiscr: LOCAL, minTxMs: 300, minRxMs: 300, multiplier: 3, passive: false, ...over },
    {
      clock,
      random: opts.random ?? (() => 0.5),
      randomU32: () => 1000,
      send: (b) => {
        const r = decodeControlPacket(b);
        if (!r.ok) throw new Error(`session sent an undecodable packet: ${r.reason}`);
        sent.push({ at: clock.now(), pkt: r.packet });
      },
      onStateChange: (e) => events.push(e),
    },
  );
  if (opts.start !== false) s.start();
  const feed = (bytes: Uint8Array) => {
    const r = decodeControlPacket(bytes);
    if (!r.ok) throw new Error(`test built a bad packet: ${r.reason}`);
    return s.receive(r.packet, r.bytes);
  };
  const rx = (f: DumbFields) => feed(dumbPacket({ my: PEER, txUs: 300_000, rxUs: 300_000, ...f }));
  /** Down -> Init -> Up with the peer at 300 ms, and the Poll of the Up change answered. */
  const bringUp = () => {
    rx({ state: DOWN, your: 0 });
    rx({ state: INIT, your: LOCAL });
    rx({ state: UP, your: LOCAL, f: true });
  };
  return { clock, s, sent, events, rx, feed, bringUp };
}

t.test('RFC 5880 6.2: Down -> Init -> Up, and the events', async (t) => {
  const h = harness();
  t.equal(h.s.state, 'down');
  t.equal(h.sent.length, 1, 'first packet at start');
  t.match(h.sent[0]!.pkt, { state: DOWN, myDiscr: LOCAL, yourDiscr: 0, detectMult: 3, requiredMinRxUs: 300_000 });
  t.ok(h.sent[0]!.pkt.desiredMinTxUs >= 1_000_000, 'slow desired tx while not Up (6.8.3)');
  t.same(h.rx({ state: DOWN, your: 0 }), { accepted: true });
  t.equal(h.s.state, 'init');
  t.same(h.rx({ state: INIT, your: LOCAL }), { accepted: true });
  t.equal(h.s.state, 'up');
  t.same(h.events.map((e) => [e.previous, e.state, e.wasUp]), [['down', 'init', false], ['init', 'up', false]]);
  const snap = h.s.snapshot();
  t.equal(snap.remoteDiscr, PEER);
  t.equal(snap.everUp, true);
  t.equal(snap.advertisedMinTxMs, 300, 'fast desired tx once Up');
  t.equal(snap.polling, true, 'the change of DesiredMinTx starts a Poll (6.8.3)');
});

t.test('RFC 5880 6.2: every transition from Down', async (t) => {
  for (const [rs, expect] of [[AD, 'down'], [DOWN, 'init'], [INIT, 'up'], [UP, 'down']] as const) {
    const h = harness();
    h.rx({ state: rs, your: rs === DOWN || rs === AD ? 0 : LOCAL });
    t.equal(h.s.state, expect, `Down + received ${rs}`);
  }
});

t.test('RFC 5880 6.2: every transition from Init', async (t) => {
  for (const [rs, expect, diag] of [[AD, 'down', 3], [DOWN, 'init', 0], [INIT, 'up', 0], [UP, 'up', 0]] as const) {
    const h = harness();
    h.rx({ state: DOWN });
    t.equal(h.s.state, 'init');
    h.rx({ state: rs, your: LOCAL });
    t.equal(h.s.state, expect, `Init + received ${rs}`);
    t.equal(h.s.snapshot().diag, diag);
  }
  const h = harness();
  h.rx({ state: DOWN });
  h.clock.advance(901); // detection = 3 * max(our rx 300, peer tx 300) = 900 ms
  t.equal(h.s.state, 'down', 'Init + detection timer -> Down');
  t.equal(h.s.snapshot().diag, 1);
});

t.test('RFC 5880 6.2: every transition from Up', async (t) => {
  for (const [rs, expect, diag] of [[AD, 'down', 3], [DOWN, 'down', 3], [INIT, 'up', 0], [UP, 'up', 0]] as const) {
    const h = harness();
    h.bringUp();
    t.equal(h.s.state, 'up');
    h.rx({ state: rs, your: LOCAL });
    t.equal(h.s.state, expect, `Up + received ${rs}`);
    t.equal(h.s.snapshot().diag, diag, 'diag');
    if (expect === 'down') {
      const ev = h.events.at(-1)!;
      t.match(ev, { state: 'down', previous: 'up', wasUp: true, diag: 3 });
    }
  }
});

t.test('RFC 5880 6.8.4: detection time and expiry from Up', async (t) => {
  const h = harness({ minRxMs: 100 });
  // The peer advertises 50 ms tx, multiplier 4: detection = 4 * max(100, 50) = 400 ms.
  h.rx({ state: DOWN, mult: 4, txUs: 50_000 });
  h.rx({ state: UP, your: LOCAL, mult: 4, txUs: 50_000, f: true });
  t.equal(h.s.state, 'up');
  t.equal(h.s.snapshot().detectTimeMs, 400);
  h.clock.advance(399);
  t.equal(h.s.state, 'up', 'still up just before the detection time');
  h.rx({ state: UP, your: LOCAL, mult: 4, txUs: 50_000 }); // rearms
  h.clock.advance(399);
  t.equal(h.s.state, 'up');
  h.clock.advance(2);
  t.equal(h.s.state, 'down', 'down at the detection time');
  t.match(h.events.at(-1), { state: 'down', previous: 'up', diag: 1, diagName: 'control-detection-time-expired', wasUp: true });
  t.equal(h.s.snapshot().remoteDiscr, 0, 'RemoteDiscr cleared after a detection time of silence (6.8.1)');
  // Peer slower than our rx: detection = 3 * max(100, 700) = 2100.
  const h2 = harness({ minRxMs: 100 });
  h2.rx({ state: DOWN, mult: 3, txUs: 700_000 });
  t.equal(h2.s.snapshot().detectTimeMs, 2100);
});

t.test('RFC 5880 6.8.7: jitter 75-100%, 75-90% with multiplier 1', async (t) => {
  for (const mult of [3, 1]) {
    for (const r of [0, 0.25, 0.5, 0.999999]) {
      const h = harness({ multiplier: mult, minTxMs: 100, minRxMs: 100 }, { random: () => r });
      h.rx({ state: DOWN, rxUs: 100_000, txUs: 100_000 });
      h.rx({ state: UP, your: LOCAL, f: true, rxUs: 100_000, txUs: 100_000 });
      h.sent.length = 0;
      for (let i = 0; i < 40; i++) {
        h.clock.advance(50);
        h.rx({ state: UP, your: LOCAL, rxUs: 100_000, txUs: 100_000 });
      }
      t.equal(h.s.state, 'up');
      const gaps = h.sent.filter((x) => !x.pkt.final).map((x, i, a) => (i ? x.at - a[i - 1]!.at : NaN)).slice(1);
      t.ok(gaps.length > 10);
      const hi = mult === 1 ? 90 : 100;
      for (const g of gaps) {
        if (g < 75 - 1e-6 || g > hi + 1e-6) t.fail(`mult ${mult} r ${r}: gap ${g} outside 75..${hi}`);
      }
      t.pass(`mult ${mult} r ${r}: ${gaps.length} gaps within 75..${hi} ms`);
    }
  }
  // With a real random source the gaps spread over the range.
  const h = harness({ minTxMs: 100, minRxMs: 100 }, { random: Math.random });
  h.rx({ state: DOWN, rxUs: 100_000, txUs: 100_000 });
  h.rx({ state: UP, your: LOCAL, f: true, rxUs: 100_000, txUs: 100_000 });
  h.sent.length = 0;
  for (let i = 0; i < 400; i++) {
    h.clock.advance(50);
    h.rx({ state: UP, your: LOCAL, rxUs: 100_000, txUs: 100_000 });
  }
  const gaps = h.sent.map((x, i, a) => (i ? x.at - a[i - 1]!.at : 0)).slice(1);
  t.ok(Math.min(...gaps) >= 75 && Math.min(...gaps) < 80);
  t.ok(Math.max(...gaps) <= 100 && Math.max(...gaps) > 95);
});

t.test('RFC 5880 6.8.3: at least one second between packets while not Up', async (t) => {
  for (const r of [0, 0.5, 0.999999]) {
    const h = harness({ minTxMs: 50, minRxMs: 50 }, { random: () => r });
    h.clock.advance(10_000);
    const gaps = h.sent.map((x, i, a) => (i ? x.at - a[i - 1]!.at : 0)).slice(1);
    t.ok(gaps.length >= 7);
    t.ok(gaps.every((g) => g >= 1000), `gaps ${gaps.join(',')} all >= 1000 ms`);
    t.ok(h.sent.every((x) => x.pkt.desiredMinTxUs >= 1_000_000 && x.pkt.state === DOWN));
  }
  // Back to slow after going Down.
  const h = harness({ minTxMs: 50, minRxMs: 50 });
  h.bringUp();
  h.clock.advance(5_000); // peer silent: Down
  t.equal(h.s.state, 'down');
  h.sent.length = 0;
  h.clock.advance(10_000);
  const gaps = h.sent.map((x, i, a) => (i ? x.at - a[i - 1]!.at : 0)).slice(1);
  t.ok(gaps.every((g) => g >= 1000), `after Down: ${gaps.join(',')}`);
});

t.test('transmit interval is the larger of ours and the peer RequiredMinRx', async (t) => {
  const h = harness({ minTxMs: 50 }, { random: () => 0.999999 });
  h.rx({ state: DOWN, rxUs: 200_000 });
  h.rx({ state: UP, your: LOCAL, rxUs: 200_000, f: true });
  t.equal(h.s.snapshot().negotiatedTxMs, 200);
  h.sent.length = 0;
  for (let i = 0; i < 10; i++) {
    h.clock.advance(100);
    h.rx({ state: UP, your: LOCAL, rxUs: 200_000 });
  }
  t.ok(h.sent.length >= 5 && h.sent.length <= 7, `${h.sent.length} packets in 1 s at 150-200 ms`);
  // Peer lowers its RequiredMinRx: we speed up.
  h.rx({ state: UP, your: LOCAL, rxUs: 10_000 });
  t.equal(h.s.snapshot().negotiatedTxMs, 50);
  // RFC 5880 6.8.7: RemoteMinRxInterval zero -> no periodic transmission.
  h.rx({ state: UP, your: LOCAL, rxUs: 0 });
  h.sent.length = 0;
  h.clock.advance(200);
  t.equal(h.sent.length, 0);
});

t.test('RFC 5880 6.5/6.8.3: Poll/Final on a live timer change', async (t) => {
  const h = harness({ minTxMs: 100, minRxMs: 100 });
  h.bringUp();
  t.equal(h.s.snapshot().polling, false, 'the Up Poll was answered');
  h.clock.advance(10);
  // Increase tx to 500 ms: P bit on, old interval kept until F (6.8.3).
  h.s.update({ minTxMs: 500, minRxMs: 100, multiplier: 3 });
  t.equal(h.s.snapshot().polling, true);
  h.sent.length = 0;
  for (let i = 0; i < 10; i++) {
    h.clock.advance(100);
    h.rx({ state: UP, your: LOCAL, txUs: 100_000, rxUs: 100_000 });
  }
  t.ok(h.sent.length >= 9, `still sending at ~100 ms before the Final: ${h.sent.length}`);
  t.ok(h.sent.every((x) => x.pkt.poll && !x.pkt.final && x.pkt.desiredMinTxUs === 500_000));
  // The peer answers with F: the new interval applies, P stops.
  h.rx({ state: UP, your: LOCAL, f: true, txUs: 100_000, rxUs: 100_000 });
  t.equal(h.s.snapshot().polling, false);
  t.equal(h.s.snapshot().negotiatedTxMs, 500);
  h.sent.length = 0;
  for (let i = 0; i < 20; i++) {
    h.clock.advance(100);
    h.rx({ state: UP, your: LOCAL, txUs: 100_000, rxUs: 100_000 });
  }
  t.ok(h.sent.length >= 4 && h.sent.length <= 6, `~500 ms after the Final: ${h.sent.length}`);
  t.ok(h.sent.every((x) => !x.pkt.poll));

  // Decrease rx 100 -> 20 ms: detection keeps the old (larger) value until F.
  h.s.update({ minTxMs: 500, minRxMs: 20, multiplier: 3 });
  h.rx({ state: UP, your: LOCAL, txUs: 10_000, rxUs: 100_000 });
  t.equal(h.s.snapshot().detectTimeMs, 300, 'old rx 100 ms * 3 while polling');
  h.rx({ state: UP, your: LOCAL, txUs: 10_000, rxUs: 100_000, f: true });
  t.equal(h.s.snapshot().detectTimeMs, 60, 'new rx 20 ms * 3 after the Final');
});

t.test('RFC 5880 6.8.6: a received Poll gets an immediate Final, without P', async (t) => {
  const h = harness();
  h.bringUp();
  h.s.update({ minTxMs: 200, minRxMs: 300, multiplier: 3 }); // we are polling too
  h.sent.length = 0;
  h.clock.advance(1);
  h.rx({ state: UP, your: LOCAL, p: true });
  t.equal(h.sent.length, 1, 'sent at once');
  t.match(h.sent[0]!.pkt, { final: true, poll: false, state: UP });
  t.equal(h.s.snapshot().polling, true, 'our own Poll still runs');
});

t.test('passive role: silent until the peer is heard, silent again after detection', async (t) => {
  const h = harness({ passive: true });
  h.clock.advance(5000);
  t.equal(h.sent.length, 0);
  h.rx({ state: DOWN });
  h.clock.advance(1);
  t.ok(h.sent.length >= 1, 'answers once the peer is known');
  t.equal(h.s.state, 'init');
  h.clock.advance(10_000);
  t.equal(h.s.state, 'down');
  const n = h.sent.length;
  h.clock.advance(10_000);
  t.equal(h.sent.length, n, 'stops when RemoteDiscr is cleared');
});

t.test('AdminDown: diag 7, keeps telling the peer, discards what it receives, leaves to Down', async (t) => {
  const h = harness();
  h.bringUp();
  h.sent.length = 0;
  h.s.adminDown();
  t.equal(h.s.state, 'admin-down');
  t.match(h.sent[0]!.pkt, { state: AD, diag: 7 });
  t.match(h.events.at(-1), { state: 'admin-down', previous: 'up', diag: 7, wasUp: true });
  t.match(h.rx({ state: UP, your: LOCAL }), { accepted: false, reason: 'admin-down' });
  t.equal(h.s.snapshot().counters.discards['admin-down'], 1);
  h.clock.advance(10_000);
  t.equal(h.s.state, 'admin-down', 'no detection while AdminDown');
  t.ok(h.sent.slice(1).every((x) => x.pkt.state === AD && x.pkt.diag === 7));
  h.s.adminUp();
  t.equal(h.s.state, 'down');
});

t.test('RFC 5880 6.8.6 checks 10-12 in the session: authentication', async (t) => {
  const h = harness();
  t.match(h.feed(dumbSimple({ state: DOWN, my: PEER }, 1, 'pw')), { accepted: false, reason: 'auth-unexpected' });
  const key = { type: BfdAuthType.MeticulousKeyedMd5, keyId: 7, secret: Buffer.from('s3cret') } as const;
  const a = harness({ auth: key });
  t.match(a.rx({ state: DOWN }), { accepted: false, reason: 'auth-missing' });
  const pk = (seq: number, secret = 's3cret', state = DOWN) => dumbKeyed({ state, my: PEER, your: state === DOWN ? 0 : LOCAL, txUs: 300_000, rxUs: 300_000 }, key.type, 7, seq, secret);
  t.match(a.feed(pk(100, 'wrong')), { accepted: false, reason: 'auth-bad-digest' });
  t.same(a.feed(pk(100)), { accepted: true });
  t.match(a.feed(pk(100)), { accepted: false, reason: 'auth-sequence' }, 'meticulous: replay refused');
  t.same(a.feed(pk(101)), { accepted: true });
  t.match(a.feed(pk(111)), { accepted: false, reason: 'auth-sequence' }, 'beyond 3*mult');
  t.same(a.feed(pk(110, 's3cret', INIT)), { accepted: true });
  t.equal(a.s.state, 'up');
  // RFC 5880 6.8.1: AuthSeqKnown resets after 2 x detection time of silence.
  a.clock.advance(3_000);
  t.same(a.feed(pk(5000)), { accepted: true }, 'any sequence after a long silence');
  const d = a.s.snapshot().counters.discards;
  t.equal(d['auth-missing'], 1);
  t.equal(d['auth-bad-digest'], 1);
  t.equal(d['auth-sequence'], 2);
  // What we send is authenticated, sequence incremented per packet.
  const seqs = a.sent.map((x) => x.pkt.auth?.sequence);
  t.ok(a.sent.every((x) => x.pkt.authPresent && x.pkt.auth?.type === key.type));
  t.ok(seqs.every((s, i) => i === 0 || s === ((seqs[i - 1]! + 1) >>> 0)), 'meticulous: +1 per packet');
});

t.test('two sessions over an in-memory link come Up and detect a dead peer', async (t) => {
  const clock = new ManualClock(0);
  let linkUp = true;
  const events: Record<string, BfdStateEvent[]> = { a: [], b: [] };
  const sessions: Record<string, BfdSession> = {};
  const mk = (name: 'a' | 'b', discr: number, other: 'a' | 'b') =>
    new BfdSession(
      { localDiscr: discr, minTxMs: 50, minRxMs: 50, multiplier: 3, passive: name === 'b' },
      {
        clock,
        random: Math.random,
        send: (bytes) => {
          if (!linkUp) return;
          const copy = Uint8Array.from(bytes);
          clock.setTimer(1, () => {
            const r = decodeControlPacket(copy);
            if (r.ok) sessions[other]!.receive(r.packet, r.bytes);
          });
        },
        onStateChange: (e) => events[name]!.push(e),
      },
    );
  sessions.a = mk('a', 1, 'b');
  sessions.b = mk('b', 2, 'a');
  sessions.a.start();
  sessions.b.start();
  clock.advance(5000);
  t.equal(sessions.a.state, 'up');
  t.equal(sessions.b.state, 'up');
  t.equal(sessions.a.snapshot().negotiatedTxMs, 50);
  t.equal(sessions.a.snapshot().polling, false);
  t.equal(sessions.a.snapshot().detectTimeMs, 150);
  const at = clock.now();
  linkUp = false;
  clock.advance(151);
  t.equal(sessions.a.state, 'down');
  t.equal(sessions.b.state, 'down');
  const downAt = clock.now();
  t.ok(downAt - at <= 151);
  t.match(events.a!.at(-1), { state: 'down', diag: 1, wasUp: true });
  linkUp = true;
  clock.advance(10_000);
  t.equal(sessions.a.state, 'up', 'recovers');
  t.equal(sessions.b.state, 'up');
});

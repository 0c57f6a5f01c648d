/**
 * RFC 4271 section 8 FSM, driven event by event on a ManualClock.
 * Every expectation is about what the FSM asks for (actions), never about sockets.
 */
import t from 'tap';
import { ManualClock } from '../../src/util/clock.js';
import { BgpFsm, type BgpFsmOptions } from '../../src/fsm/bgp-fsm.js';
import type { FsmAction } from '../../src/fsm/bgp-fsm-types.js';
import { buildLocalOpen, negotiateSession } from '../../src/fsm/bgp-open-policy.js';
import { checkRemoteOpen } from '../../src/fsm/bgp-open-check.js';
import type { BgpMessage, NotificationMessage, OpenMessage } from '../../src/bgp/types.js';

/* ------------------------------------------------ harness: a BgpFsm on a ManualClock, every action recorded */

const LOCAL_ASN = 65001;
const PEER_ASN = 65002;

function peerOpen(over: Partial<OpenMessage> = {}): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: PEER_ASN,
    holdTime: 30,
    bgpId: '10.0.0.2',
    capabilities: [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
      { code: 2, name: 'route-refresh' },
      { code: 65, name: 'four-octet-as', asn: PEER_ASN },
    ],
    ...over,
  };
}

function harness(over: Partial<BgpFsmOptions> & { peerAsn?: number; holdTime?: number } = {}) {
  const clock = new ManualClock();
  const actions: FsmAction[] = [];
  const localOpen = buildLocalOpen({ localAsn: LOCAL_ASN, routerId: '10.0.0.1', holdTime: over.holdTime ?? 90 });
  const peerAsn = over.peerAsn ?? PEER_ASN;
  let retries = 0;
  const fsm = new BgpFsm({
    clock,
    localOpen,
    retryDelay: () => {
      retries++;
      return 1000;
    },
    validateOpen: (o) => checkRemoteOpen(o, { peerAsn, localOpen }),
    negotiate: negotiateSession,
    onAction: (a) => actions.push(a),
    ...over,
  });
  const h = {
    clock,
    fsm,
    actions,
    localOpen,
    get retries() {
      return retries;
    },
    /** Actions recorded since the last take(). */
    take(): FsmAction[] {
      return actions.splice(0, actions.length);
    },
    sent(list: FsmAction[] = actions): BgpMessage[] {
      return list.flatMap((a) => (a.type === 'send' ? [a.message] : []));
    },
    notifications(list: FsmAction[] = actions): NotificationMessage[] {
      return h.sent(list).filter((m): m is NotificationMessage => m.type === 'notification');
    },
    has(type: FsmAction['type'], list: FsmAction[] = actions): boolean {
      return list.some((a) => a.type === type);
    },
    msg(message: BgpMessage) {
      fsm.handle({ type: 'message', message });
    },
    /** Drive to OpenSent over an outgoing connection. */
    toOpenSent() {
      fsm.handle({ type: 'start' });
      fsm.handle({ type: 'tcp-connected' });
    },
    toOpenConfirm(open: OpenMessage = peerOpen()) {
      h.toOpenSent();
      h.msg(open);
    },
    toEstablished(open: OpenMessage = peerOpen()) {
      h.toOpenConfirm(open);
      h.msg({ type: 'keepalive' });
    },
  };
  return h;
}

const states = (list: FsmAction[]) => list.flatMap((a) => (a.type === 'state' ? [`${a.from}->${a.to}`] : []));

t.test('active open: Idle -> Connect -> OpenSent -> OpenConfirm -> Established', (t) => {
  const h = harness();
  h.fsm.handle({ type: 'start' });
  t.equal(h.fsm.state, 'Connect');
  t.ok(h.has('connect'), 'asks for a TCP connection');
  t.ok(h.fsm.isTimerRunning('connect-retry'), 'ConnectRetryTimer runs while connecting');
  h.take();

  h.fsm.handle({ type: 'tcp-connected', localAddress: '10.0.0.1' });
  t.equal(h.fsm.state, 'OpenSent');
  const [open] = h.sent(h.take());
  t.equal(open?.type, 'open', 'OPEN sent on connect');
  t.notOk(h.fsm.isTimerRunning('connect-retry'), 'ConnectRetryTimer stopped');
  t.ok(h.fsm.isTimerRunning('hold'), 'HoldTimer set to the large OpenSent value');

  h.msg(peerOpen({ holdTime: 30 }));
  t.equal(h.fsm.state, 'OpenConfirm');
  const a = h.take();
  t.same(h.sent(a).map((m) => m.type), ['keepalive'], 'KEEPALIVE answers a valid OPEN');
  t.ok(h.has('negotiated', a), 'codec options announced before the next message');
  t.equal(h.fsm.session?.holdTime, 30, 'hold time is the smaller of 90 and 30');
  t.equal(h.fsm.session?.keepaliveTime, 10, 'keepalive one third');

  h.msg({ type: 'keepalive' });
  t.equal(h.fsm.state, 'Established');
  const up = h.take().find((x) => x.type === 'up');
  t.ok(up, 'session up emitted');
  t.end();
});

t.test('keepalive cadence is hold/3 and the hold timer is reset by each message', (t) => {
  const h = harness();
  h.toEstablished(peerOpen({ holdTime: 30 }));
  h.take();
  // 60 s, the peer keepalives every 20 s: we must send one every 10 s.
  for (let i = 0; i < 3; i++) {
    h.clock.advance(20_000);
    h.msg({ type: 'keepalive' });
  }
  t.equal(h.fsm.state, 'Established');
  t.equal(h.sent().filter((m) => m.type === 'keepalive').length, 6, 'six KEEPALIVEs in 60 s');
  t.end();
});

t.test('hold timer expiry in Established sends 4/0, drops, and restarts after the backoff', (t) => {
  const h = harness();
  h.toEstablished(peerOpen({ holdTime: 30 }));
  h.take();
  h.clock.advance(29_999);
  t.equal(h.fsm.state, 'Established', 'not yet');
  h.clock.advance(1);
  t.equal(h.fsm.state, 'Idle');
  const a = h.take();
  const [n] = h.notifications(a);
  t.same([n?.code, n?.subcode], [4, 0], 'Hold Timer Expired');
  t.ok(a.some((x) => x.type === 'drop' && x.flush), 'connection dropped after the NOTIFICATION is flushed');
  const down = a.find((x) => x.type === 'down');
  t.equal(down?.type === 'down' && down.reason.code, 'hold-timer-expired');
  t.ok(h.fsm.isTimerRunning('idle-hold'), 'IdleHoldTimer (backoff) before the automatic restart');
  h.clock.advance(999);
  t.equal(h.fsm.state, 'Idle');
  h.clock.advance(1);
  t.equal(h.fsm.state, 'Connect', 'automatic restart after the backoff');
  t.ok(h.has('connect'));
  t.end();
});

t.test('hold timer expiry in OpenSent (default 30 s, configurable) and OpenConfirm (negotiated)', (t) => {
  const h = harness();
  h.toOpenSent();
  h.take();
  h.clock.advance(29_999);
  t.equal(h.fsm.state, 'OpenSent', 'a peer silent after TCP is given 30 s by default');
  h.clock.advance(1);
  t.equal(h.fsm.state, 'Idle');
  t.same(h.notifications().map((n) => [n.code, n.subcode]), [[4, 0]]);
  t.ok(h.fsm.isTimerRunning('idle-hold'), 'and retried after the backoff');

  const rfc = harness({ openHoldMs: 240_000 });
  rfc.toOpenSent();
  rfc.clock.advance(239_999);
  t.equal(rfc.fsm.state, 'OpenSent', 'openHoldMs: the RFC 4271 suggested 4 minutes when configured');
  rfc.clock.advance(1);
  t.equal(rfc.fsm.state, 'Idle');
  t.same(rfc.notifications().map((n) => [n.code, n.subcode]), [[4, 0]]);

  const h2 = harness();
  h2.toOpenConfirm(peerOpen({ holdTime: 9 }));
  h2.take();
  h2.clock.advance(9_000);
  t.equal(h2.fsm.state, 'Idle');
  t.same(h2.notifications().map((n) => [n.code, n.subcode]), [[4, 0]]);
  t.end();
});

t.test('hold time 0: no keepalives, no hold timer', (t) => {
  const h = harness();
  h.toEstablished(peerOpen({ holdTime: 0 }));
  h.take();
  t.equal(h.fsm.session?.holdTime, 0);
  t.notOk(h.fsm.isTimerRunning('hold'));
  t.notOk(h.fsm.isTimerRunning('keepalive'));
  h.clock.advance(3_600_000);
  t.equal(h.fsm.state, 'Established');
  t.equal(h.sent().length, 0, 'nothing sent in an hour');
  t.end();
});

t.test('hold time 3 gives a 1 s keepalive', (t) => {
  const h = harness();
  h.toEstablished(peerOpen({ holdTime: 3 }));
  t.equal(h.fsm.session?.keepaliveTime, 1);
  t.end();
});

t.test('OPEN validation failures send OPEN Message Error 2/x and go Idle', (t) => {
  const cases: [string, Partial<OpenMessage>, number, number[] | null, number?][] = [
    ['unsupported version', { version: 3 }, 1, [0, 4]],
    ['bad peer AS', { myAs: 65099, capabilities: [{ code: 65, name: 'four-octet-as', asn: 65099 }] }, 2, []],
    ['zero BGP identifier', { bgpId: '0.0.0.0' }, 3, []],
    ['unsupported optional parameter', { otherParams: [{ type: 1, value: new Uint8Array([1]) }] }, 4, []],
    ['hold time 2', { holdTime: 2 }, 6, []],
    ['hold time 1', { holdTime: 1 }, 6, []],
    // 4-octet peer ASN without the capability: we name the capability we need (RFC 5492 3).
    ['4-octet ASN peer without the capability', { myAs: 23456, capabilities: [] }, 7, null, 4_200_000_001],
  ];
  for (const [name, over, subcode, data, peerAsn] of cases) {
    const h = harness(peerAsn ? { peerAsn } : {});
    h.toOpenSent();
    h.take();
    h.msg(peerOpen(over));
    t.equal(h.fsm.state, 'Idle', `${name}: Idle`);
    const a = h.take();
    const [n] = h.notifications(a);
    t.same([n?.code, n?.subcode], [2, subcode], `${name}: NOTIFICATION 2/${subcode}`);
    if (data) t.same([...(n?.data ?? [])], data, `${name}: data`);
    else t.same([...(n?.data ?? [])].slice(0, 2), [65, 4], `${name}: data names capability 65`);
    const st = a.find((x) => x.type === 'state');
    t.equal(st?.type === 'state' && st.reason.code, 'open-invalid');
    t.ok(h.fsm.isTimerRunning('idle-hold'), `${name}: retry scheduled`);
  }
  t.end();
});

t.test('4-octet ASN peer with the capability is accepted (AS_TRANS in My AS)', (t) => {
  const asn = 4_200_000_001;
  const h = harness({ peerAsn: asn });
  h.toEstablished(peerOpen({ myAs: 23456, capabilities: [{ code: 65, name: 'four-octet-as', asn }] }));
  t.equal(h.fsm.state, 'Established');
  t.equal(h.fsm.session?.peerAsn, asn);
  t.same([...(h.fsm.session?.families ?? [])], ['1/1'], 'no MP capability: IPv4 unicast only');
  t.end();
});

t.test('unexpected messages are FSM errors with RFC 6608 subcodes', (t) => {
  const run = (setup: (h: ReturnType<typeof harness>) => void, m: Parameters<ReturnType<typeof harness>['msg']>[0], sub: number, label: string) => {
    const h = harness();
    setup(h);
    h.take();
    h.msg(m);
    t.equal(h.fsm.state, 'Idle', `${label}: Idle`);
    t.same(h.notifications().map((n) => [n.code, n.subcode]), [[5, sub]], `${label}: 5/${sub}`);
  };
  const update = { type: 'update' as const, withdrawn: [], attributes: {}, nlri: [] };
  run((h) => h.toOpenSent(), { type: 'keepalive' }, 1, 'KEEPALIVE in OpenSent');
  run((h) => h.toOpenSent(), update, 1, 'UPDATE in OpenSent');
  run((h) => h.toOpenSent(), { type: 'route-refresh', afi: 1, safi: 1, subtype: 0 }, 1, 'ROUTE-REFRESH in OpenSent');
  run((h) => h.toOpenConfirm(), peerOpen(), 2, 'OPEN in OpenConfirm');
  run((h) => h.toOpenConfirm(), update, 2, 'UPDATE in OpenConfirm');
  run((h) => h.toEstablished(), peerOpen(), 3, 'OPEN in Established');
  t.end();
});

t.test('NOTIFICATION received: Idle, nothing sent back, reason carries it', (t) => {
  const n = { type: 'notification' as const, code: 6, subcode: 2, data: new Uint8Array([2, 0x68, 0x69]) };
  for (const setup of ['toOpenSent', 'toOpenConfirm', 'toEstablished'] as const) {
    const h = harness();
    h[setup]();
    h.take();
    h.msg(n);
    t.equal(h.fsm.state, 'Idle', `${setup}: Idle`);
    const a = h.take();
    t.equal(h.notifications(a).length, 0, `${setup}: no NOTIFICATION in answer (RFC 4271 6.1)`);
    t.ok(a.some((x) => x.type === 'drop'), `${setup}: dropped`);
    const st = a.find((x) => x.type === 'state');
    t.match(st, { reason: { code: 'notification-received', notification: { code: 6, subcode: 2, direction: 'received' } } });
    t.equal(a.some((x) => x.type === 'down'), setup === 'toEstablished', `${setup}: down only from Established`);
  }
  // Before any connection, a message cannot really arrive; if it does we drop and start over.
  const h = harness();
  h.fsm.handle({ type: 'start' });
  h.take();
  h.msg(n);
  t.equal(h.fsm.state, 'Idle');
  t.end();
});

t.test('decode errors send the codec NOTIFICATION', (t) => {
  const h = harness();
  h.toEstablished();
  h.take();
  h.fsm.handle({ type: 'decode-error', error: { code: 3, subcode: 1, data: new Uint8Array(0), message: 'bad' } });
  t.equal(h.fsm.state, 'Idle');
  t.same(h.notifications().map((n) => [n.code, n.subcode]), [[3, 1]]);
  t.end();
});

t.test('UPDATE and ROUTE-REFRESH are delivered in Established and reset the hold timer', (t) => {
  const h = harness();
  h.toEstablished(peerOpen({ holdTime: 30 }));
  h.take();
  h.clock.advance(20_000);
  h.msg({ type: 'update', withdrawn: [], attributes: {}, nlri: [] });
  h.clock.advance(20_000);
  h.msg({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
  h.clock.advance(20_000);
  t.equal(h.fsm.state, 'Established', 'messages kept the session alive 60 s with hold 30');
  t.equal(h.actions.filter((a) => a.type === 'deliver').length, 2);
  t.end();
});

t.test('collision: losing connection sends Cease 6/7; Event 23 per state', (t) => {
  const h = harness({ collision: () => true });
  h.toOpenSent();
  h.take();
  h.msg(peerOpen());
  t.equal(h.fsm.state, 'Idle');
  t.same(h.notifications().map((n) => [n.code, n.subcode]), [[6, 7]], 'Connection Collision Resolution');

  const keep = harness({ collision: () => false });
  keep.toEstablished();
  t.equal(keep.fsm.state, 'Established', 'winner proceeds');

  for (const setup of ['toOpenSent', 'toOpenConfirm'] as const) {
    const d = harness();
    d[setup]();
    d.take();
    d.fsm.handle({ type: 'collision-dump' });
    t.equal(d.fsm.state, 'Idle', `${setup}: OpenCollisionDump -> Idle`);
    t.same(d.notifications().map((n) => [n.code, n.subcode]), [[6, 7]]);
  }
  const e = harness();
  e.toEstablished();
  e.take();
  e.fsm.handle({ type: 'collision-dump' });
  t.equal(e.fsm.state, 'Established', 'ignored in Established (CollisionDetectEstablishedState off)');
  t.end();
});

t.test('send hold timer (RFC 9687): a peer that stops reading is dropped with 8/0', (t) => {
  const h = harness();
  h.toEstablished(peerOpen({ holdTime: 30 }));
  h.take();
  h.fsm.handle({ type: 'write-state', pending: true, progress: false });
  t.ok(h.fsm.isTimerRunning('send-hold'), 'started when data is stuck');
  // The peer still sends KEEPALIVEs (so the hold timer is fine) but reads nothing.
  for (let i = 0; i < 47; i++) {
    h.clock.advance(10_000);
    h.msg({ type: 'keepalive' });
    h.fsm.handle({ type: 'write-state', pending: true, progress: false });
  }
  h.clock.advance(9_999);
  t.equal(h.fsm.state, 'Established', 'still up before 480 s (max(8 min, 2 x hold))');
  h.take();
  h.clock.advance(1);
  t.equal(h.fsm.state, 'Idle');
  const a = h.take();
  t.same(h.notifications(a).map((n) => [n.code, n.subcode]), [[8, 0]], 'Send Hold Timer Expired');
  t.ok(a.some((x) => x.type === 'drop' && !x.flush), 'dropped without waiting for the socket');
  t.end();
});

t.test('send hold timer: progress restarts it, an empty queue stops it', (t) => {
  const h = harness({ sendHoldMs: 5_000 });
  h.toEstablished(peerOpen({ holdTime: 0 }));
  h.fsm.handle({ type: 'write-state', pending: true, progress: false });
  h.clock.advance(4_000);
  h.fsm.handle({ type: 'write-state', pending: true, progress: true });
  h.clock.advance(4_000);
  t.equal(h.fsm.state, 'Established', 'progress restarted it');
  h.fsm.handle({ type: 'write-state', pending: false, progress: true });
  t.notOk(h.fsm.isTimerRunning('send-hold'));
  h.clock.advance(60_000);
  t.equal(h.fsm.state, 'Established');
  t.end();
});

t.test('ManualStop sends Cease 6/2 and stays down; reset restarts', (t) => {
  const h = harness();
  h.toEstablished();
  h.take();
  h.fsm.handle({ type: 'stop', notification: { code: 6, subcode: 2, data: new Uint8Array([3, 0x61, 0x62, 0x63]) } });
  t.equal(h.fsm.state, 'Idle');
  const a = h.take();
  const [n] = h.notifications(a);
  t.same([n?.code, n?.subcode, [...(n?.data ?? [])]], [6, 2, [3, 0x61, 0x62, 0x63]]);
  t.ok(a.some((x) => x.type === 'drop' && x.flush), 'NOTIFICATION flushed before close');
  h.clock.advance(3_600_000);
  t.equal(h.fsm.state, 'Idle', 'no automatic restart after ManualStop');
  t.notOk(h.has('connect'));

  const r = harness();
  r.toEstablished();
  r.take();
  r.fsm.handle({ type: 'stop', notification: { code: 6, subcode: 10 }, restart: true });
  t.same(r.notifications().map((x) => [x.code, x.subcode]), [[6, 10]], 'BFD Down');
  r.clock.advance(1_000);
  t.equal(r.fsm.state, 'Connect', 'reset comes back after the backoff');

  const c = harness();
  c.fsm.handle({ type: 'start' });
  c.take();
  c.fsm.handle({ type: 'stop' });
  t.equal(c.fsm.state, 'Idle');
  t.equal(c.notifications().length, 0, 'no NOTIFICATION without a connection');
  t.ok(c.has('drop'), 'pending connect abandoned');
  t.end();
});

t.test('Connect: connect failure and ConnectRetryTimer expiry go through the backoff', (t) => {
  const h = harness({ connectRetryMs: 5_000 });
  h.fsm.handle({ type: 'start' });
  h.fsm.handle({ type: 'tcp-failed', detail: 'ECONNREFUSED' });
  t.equal(h.fsm.state, 'Idle');
  t.equal(h.retries, 1);
  h.clock.advance(1_000);
  t.equal(h.fsm.state, 'Connect');
  h.take();
  h.clock.advance(5_000);
  t.equal(h.fsm.state, 'Idle', 'ConnectRetryTimer expired');
  t.ok(h.has('drop'), 'attempt abandoned');
  t.equal(h.retries, 2);
  t.same(states(h.take()), ['Connect->Idle']);
  t.end();
});

t.test('passive: Start waits in Active, never connects', (t) => {
  const h = harness({ passive: true });
  h.fsm.handle({ type: 'start' });
  t.equal(h.fsm.state, 'Active');
  h.clock.advance(3_600_000);
  t.notOk(h.has('connect'), 'never initiates');
  t.equal(h.fsm.state, 'Active');
  h.fsm.handle({ type: 'tcp-connected' });
  t.equal(h.fsm.state, 'OpenSent');
  t.same(h.sent().map((m) => m.type), ['open']);
  h.fsm.handle({ type: 'tcp-failed' });
  t.equal(h.fsm.state, 'Idle');
  h.clock.advance(1_000);
  t.equal(h.fsm.state, 'Active', 'back to listening after the backoff');
  t.end();
});

t.test('tcp failure in OpenSent, OpenConfirm and Established goes Idle and retries', (t) => {
  for (const setup of ['toOpenSent', 'toOpenConfirm', 'toEstablished'] as const) {
    const h = harness();
    h[setup]();
    h.take();
    h.fsm.handle({ type: 'tcp-failed', detail: 'ECONNRESET' });
    t.equal(h.fsm.state, 'Idle', setup);
    t.equal(h.notifications().length, 0);
    t.ok(h.fsm.isTimerRunning('idle-hold'));
  }
  t.end();
});

t.test('idle events are ignored; an unwanted connection in Idle is refused', (t) => {
  const h = harness();
  h.msg({ type: 'keepalive' });
  h.fsm.handle({ type: 'tcp-failed' });
  t.equal(h.fsm.state, 'Idle');
  h.fsm.handle({ type: 'tcp-connected' });
  t.equal(h.fsm.state, 'Idle');
  t.ok(h.has('drop'));
  t.equal(PEER_ASN, 65002);
  t.end();
});

t.test('an exception while handling an event ends the session with Cease 6/8, never escapes', (t) => {
  const h = harness({
    validateOpen: () => {
      throw new Error('boom');
    },
  });
  h.toOpenSent();
  h.take();
  t.doesNotThrow(() => h.msg(peerOpen()), 'handle() does not throw');
  const a = h.take();
  t.equal(h.fsm.state, 'Idle');
  t.same(h.notifications(a).map((n) => [n.code, n.subcode]), [[6, 8]], 'Cease / Out of Resources sent');
  t.ok(a.some((x) => x.type === 'drop'), 'connection dropped');
  const st = a.find((x) => x.type === 'state');
  t.match(st?.type === 'state' && st.reason, { code: 'internal-error', detail: /handling message: boom/ });
  t.ok(h.fsm.isTimerRunning('idle-hold'), 'the session is retried after the backoff');
  t.equal(h.clock.timerCount, 1, 'no other timer left running');
  // Events queued behind the failing one still run: the FSM is not wedged.
  h.clock.advance(1000);
  t.equal(h.fsm.state, 'Connect');
  t.end();
});

t.test('retryDelay is told why the session went Idle', (t) => {
  const reasons: string[] = [];
  const h = harness({
    retryDelay: (r) => {
      reasons.push(`${r.code}:${r.notification ? `${r.notification.direction} ${r.notification.code}/${r.notification.subcode}` : '-'}`);
      return 5_000;
    },
  });
  h.toEstablished();
  h.msg({ type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) });
  t.same(reasons, ['notification-received:received 6/2']);
  h.clock.advance(4_999);
  t.equal(h.fsm.state, 'Idle', 'the delay returned is the IdleHoldTimer');
  h.clock.advance(1);
  t.equal(h.fsm.state, 'Connect');
  h.fsm.handle({ type: 'tcp-failed', detail: 'ECONNREFUSED' });
  t.same(reasons.at(-1), 'tcp-failed:-');
  t.end();
});

t.test('a stop with a reason code reports it (write queue overflow)', (t) => {
  const h = harness();
  h.toEstablished();
  h.take();
  h.fsm.handle({ type: 'stop', notification: { code: 6, subcode: 8 }, restart: true, reason: 'write-queue-overflow' });
  const a = h.take();
  const down = a.find((x) => x.type === 'down');
  t.equal(down?.type === 'down' && down.reason.code, 'write-queue-overflow');
  t.same(h.notifications(a).map((n) => [n.code, n.subcode]), [[6, 8]]);
  t.ok(h.fsm.isTimerRunning('idle-hold'), 'restarts after the backoff');
  t.end();
});

t.test('sending UPDATEs restarts the KeepaliveTimer (RFC 4271 8.2.2), not with hold time 0', (t) => {
  const h = harness();
  h.toEstablished(peerOpen({ holdTime: 30 }));
  h.take();
  h.clock.advance(8_000);
  h.fsm.handle({ type: 'updates-sent' });
  h.clock.advance(9_999);
  t.equal(h.sent().filter((m) => m.type === 'keepalive').length, 0, 'no KEEPALIVE 10 s after the last one: an UPDATE went out at 8 s');
  h.clock.advance(1);
  t.equal(h.sent().filter((m) => m.type === 'keepalive').length, 1, 'one 10 s after the UPDATE');

  const z = harness();
  z.toEstablished(peerOpen({ holdTime: 0 }));
  z.take();
  z.fsm.handle({ type: 'updates-sent' });
  t.notOk(z.fsm.isTimerRunning('keepalive'), 'hold time 0: still no KeepaliveTimer');
  z.clock.advance(3_600_000);
  t.equal(z.sent().length, 0);
  t.end();
});

t.test('Connect and Active: a message, codec error or collision dump before any connection drops and goes Idle, no NOTIFICATION', (t) => {
  const events = [
    { type: 'message', message: { type: 'keepalive' } },
    { type: 'decode-error', error: { code: 1, subcode: 2, data: new Uint8Array(0), message: 'bad length' } },
    { type: 'collision-dump' },
  ] as const;
  for (const passive of [false, true]) {
    const state = passive ? 'Active' : 'Connect';
    for (const ev of events) {
      const h = harness({ passive });
      h.fsm.handle({ type: 'start' });
      h.fsm.handle({ type: 'start' });
      t.equal(h.fsm.state, state, `${state}: a second Start changes nothing`);
      h.take();
      h.fsm.handle(ev);
      const got = h.take();
      t.equal(h.fsm.state, 'Idle', `${ev.type} in ${state}: Idle`);
      t.ok(h.has('drop', got), `${ev.type} in ${state}: drop`);
      t.same(h.notifications(got), [], `${ev.type} in ${state}: nothing to send a NOTIFICATION on`);
      const st = got.find((a) => a.type === 'state');
      t.match(st, { type: 'state', from: state, to: 'Idle', reason: { code: 'fsm-error', detail: `${ev.type} in ${state}` } });
    }
  }
  t.end();
});

t.test('Connect and Active: a failed connection goes Idle (Connect also drops its attempt); Stop sends nothing', (t) => {
  for (const passive of [false, true]) {
    const state = passive ? 'Active' : 'Connect';
    const h = harness({ passive });
    h.fsm.handle({ type: 'start' });
    h.take();
    h.fsm.handle({ type: 'tcp-failed', detail: 'ECONNREFUSED' });
    const got = h.take();
    t.equal(h.fsm.state, 'Idle');
    t.equal(h.has('drop', got), !passive, `${state}: drop ${passive ? 'not ' : ''}emitted`);
    t.match(got.find((a) => a.type === 'state'), { from: state, to: 'Idle', reason: { code: 'tcp-failed', detail: 'ECONNREFUSED' } });

    const s = harness({ passive });
    s.fsm.handle({ type: 'start' });
    s.take();
    s.fsm.handle({ type: 'stop' });
    const stopped = s.take();
    t.equal(s.fsm.state, 'Idle', `${state}: Stop goes Idle`);
    t.same(s.notifications(stopped), [], `${state}: no session, no NOTIFICATION`);
  }
  t.end();
});

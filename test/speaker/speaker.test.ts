/**
 * The speaker against a minimal codec-based peer on loopback: what goes on
 * the wire is decoded and checked (attributes, packing, diff, refresh, EoR,
 * max-prefix, graceful stop order). Real sockets, short bounded waits.
 */
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { Speaker } from '../../src/speaker/speaker.js';
import type { SpeakerPeer } from '../../src/speaker/types.js';
import { isEndOfRib, decodeShutdownCommunication } from '../../src/bgp/index.js';
import type { NotificationMessage, UpdateMessage } from '../../src/bgp/types.js';
import { TestPeer, type TestPeerOptions } from './bgp-test-peer.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const LOCAL = 65001;
const REMOTE = 65002;

async function setup(
  t: Test,
  o: { peer?: Partial<TestPeerOptions>; cfg?: Partial<SpeakerPeer>; start?: boolean } = {},
): Promise<{ peer: TestPeer; sp: Speaker; cfg: SpeakerPeer }> {
  const peer = new TestPeer({ asn: REMOTE, ...o.peer });
  const port = await peer.listen('127.0.0.1');
  const cfg: SpeakerPeer = { address: '127.0.0.1', asn: REMOTE, port, connectRetryMs: { min: 50, max: 200 }, ...o.cfg };
  const sp = new Speaker({ localAsn: LOCAL, routerId: '10.255.0.1', peers: [cfg], logger });
  t.teardown(async () => {
    await sp.stop({ timeoutMs: 500 });
    await peer.close();
  });
  if (o.start !== false) await sp.start();
  return { peer, sp, cfg };
}

const v4 = (u: UpdateMessage) => u.nlri.map((p) => `${p.addr}/${p.len}`);
const v6 = (u: UpdateMessage) => (u.attributes.mpReach?.nlri ?? []).map((p) => `${p.addr}/${p.len}`);
const withdrawn = (u: UpdateMessage) =>
  [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])].map((p) => `${p.addr}/${p.len}`);
const routeUpdates = (list: UpdateMessage[]) => list.filter((u) => !isEndOfRib(u));

t.test('initial sync: attributes as sent, packing, End-of-RIB per family', async (t) => {
  const { peer, sp } = await setup(t, { cfg: { ipv6NextHop: '2001:db8::ff' } });
  sp.set([
    { prefix: '172.16.1.1/32', prepend: 2, med: 50, communities: ['65001:100', 'no-export'], largeCommunities: ['65001:1:2'] },
    { prefix: '172.16.1.2/32', prepend: 2, med: 50, communities: ['no-export', '65001:100'], largeCommunities: ['65001:1:2'] },
    { prefix: '172.16.9.0/24', prepend: 0 },
    { prefix: '2001:db8::1/128', prepend: 1 },
  ]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'two End-of-RIB');
  const ups = peer.updates();
  const routes = routeUpdates(ups);
  t.equal(routes.length, 3, 'two attribute sets for IPv4 (packed) + one IPv6');
  const packed = routes.find((u) => v4(u).length === 2)!;
  t.ok(packed, 'the two /32 sharing attributes travel in one UPDATE');
  t.same(v4(packed).sort(), ['172.16.1.1/32', '172.16.1.2/32']);
  t.same(packed.attributes.asPath, [{ type: 'sequence', asns: [LOCAL, LOCAL, LOCAL] }], 'own ASN + 2 prepends');
  t.equal(packed.attributes.origin, 0, 'ORIGIN IGP');
  t.equal(packed.attributes.nextHop, '127.0.0.1', 'next hop self = session local address');
  t.equal(packed.attributes.med, 50);
  t.same(packed.attributes.communities, [65001 * 65536 + 100, 0xffffff01]);
  t.same(packed.attributes.largeCommunities, [{ globalAdmin: 65001, local1: 1, local2: 2 }]);
  const plain = routes.find((u) => v4(u).includes('172.16.9.0/24'))!;
  t.same(plain.attributes.asPath, [{ type: 'sequence', asns: [LOCAL] }]);
  t.equal(plain.attributes.med, undefined, 'no MED when none asked');
  const six = routes.find((u) => v6(u).length > 0)!;
  t.same(v6(six), ['2001:db8::1/128']);
  t.same(six.attributes.mpReach?.nextHops, ['2001:db8::ff'], 'configured IPv6 next hop');
  t.same(six.attributes.asPath, [{ type: 'sequence', asns: [LOCAL, LOCAL] }]);
  // End-of-RIB comes after every route.
  const lastRoute = Math.max(...routes.map((u) => ups.indexOf(u)));
  t.ok(ups.findIndex(isEndOfRib) > lastRoute, 'End-of-RIB after the initial sync');

  const [st] = sp.status();
  t.equal(st?.state, 'Established');
  t.equal(st?.holdTime, 90);
  t.equal(st?.localAddress, '127.0.0.1');
  t.equal(st?.remoteId, '10.255.0.2');
  t.same(st?.announced.find((a) => a.prefix === '172.16.1.1/32'), {
    prefix: '172.16.1.1/32',
    asPath: [LOCAL, LOCAL, LOCAL],
    nextHop: '127.0.0.1',
    med: 50,
    communities: ['65001:100', 'no-export'],
    largeCommunities: ['65001:1:2'],
  });
  t.equal(st?.updatesSent, 5);
  t.same(st?.problems, []);
});

t.test('IPv6 prefix over an IPv4 session without an IPv6 next hop: not sent, said clearly', async (t) => {
  const { peer, sp } = await setup(t);
  sp.set([{ prefix: '2001:db8::1/128', prepend: 0 }, { prefix: '172.16.1.1/32', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'End-of-RIB');
  t.same(routeUpdates(peer.updates()).flatMap(v6), [], 'nothing in MP_REACH');
  t.same(routeUpdates(peer.updates()).flatMap(v4), ['172.16.1.1/32']);
  t.match(sp.status()[0]?.problems, [/2001:db8::1\/128: not sent, the session is IPv4 and no IPv6 next hop/]);
});

t.test('IPv6 prefix to a peer without MP IPv6: not sent', async (t) => {
  const { peer, sp } = await setup(t, {
    peer: { capabilities: [{ code: 65, name: 'four-octet-as', asn: REMOTE }] },
    cfg: { ipv6NextHop: '2001:db8::ff' },
  });
  sp.set([{ prefix: '2001:db8::1/128', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 1, 3_000, 'End-of-RIB IPv4');
  t.same(sp.status()[0]?.families, ['1/1']);
  t.match(sp.status()[0]?.problems, [/did not negotiate IPv6 unicast/]);
  t.equal(routeUpdates(peer.updates()).length, 0);
});

t.test('Adj-RIB-Out diff: only changes are sent, nothing for the same routes', async (t) => {
  const { peer, sp } = await setup(t);
  const a = { prefix: '172.16.1.1/32', prepend: 0 };
  const b = { prefix: '172.16.1.2/32', prepend: 0 };
  sp.set([a, b]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  const sent = sp.status()[0]!.updatesSent;
  let mark = peer.received.length;

  sp.set([{ ...b }, { ...a }]); // same routes, other order
  sp.set([a, b]);
  t.equal(sp.status()[0]!.updatesSent, sent, 'set() with the same routes sends nothing');

  sp.set([{ ...a, prepend: 3 }, b]); // one prefix changes
  await peer.until(() => peer.updates(mark).length >= 1, 3_000, 'change');
  let ups = peer.updates(mark);
  t.equal(ups.length, 1, 'one UPDATE, and the earlier no-op set() sent nothing before it');
  t.same(v4(ups[0]!), ['172.16.1.1/32'], 'only the changed prefix');
  t.same(ups[0]!.attributes.asPath?.[0]?.asns.length, 4);

  mark = peer.received.length;
  sp.set([{ ...a, prepend: 3 }]); // b withdrawn
  await peer.until(() => peer.updates(mark).length >= 1, 3_000, 'withdraw');
  ups = peer.updates(mark);
  t.same(ups.map(withdrawn), [['172.16.1.2/32']], 'only the removed prefix is withdrawn');
  t.same(ups.map(v4), [[]]);
  t.same(sp.status()[0]!.announced.map((r) => r.prefix), ['172.16.1.1/32']);

  const events: unknown[] = [];
  sp.on('update-sent', (e) => events.push(e));
  sp.set([]);
  t.same(events, [{ address: '127.0.0.1', announced: [], withdrawn: ['172.16.1.1/32'] }], 'update-sent event');
  t.throws(() => sp.set([{ prefix: '172.16.1.300/32', prepend: 0 }]), /announcements\[0\]\.prefix/);
  t.throws(() => sp.set([{ prefix: '10.0.0.1/32', prepend: 0, communities: ['65536:1'] }]), /announcements\[0\]\.communities/);
});

t.test('ROUTE-REFRESH: everything resent, inside BoRR/EoRR when enhanced route refresh was negotiated', async (t) => {
  const { peer, sp } = await setup(t, { peer: { enhancedRouteRefresh: true }, cfg: { ipv6NextHop: '2001:db8::ff' } });
  sp.set([{ prefix: '172.16.1.1/32', prepend: 1 }, { prefix: '2001:db8::1/128', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  const mark = peer.received.length;
  peer.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
  await peer.until(() => peer.messages(mark, 'route-refresh').length === 2, 3_000, 'BoRR and EoRR');
  const seq = peer.messages(mark).map((m) => (m.type === 'route-refresh' ? `rr${m.subtype}` : m.type === 'update' ? v4(m).join(',') : m.type));
  t.same(seq, ['rr1', '172.16.1.1/32', 'rr2'], 'BoRR, the IPv4 routes only, EoRR');
});

t.test('ROUTE-REFRESH without enhanced route refresh: plain resend', async (t) => {
  const { peer, sp } = await setup(t);
  sp.set([{ prefix: '172.16.1.1/32', prepend: 1 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  const mark = peer.received.length;
  peer.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 0 });
  await peer.until(() => peer.updates(mark).length === 1, 3_000, 'resend');
  t.same(v4(peer.updates(mark)[0]!), ['172.16.1.1/32']);
  t.equal(peer.messages(mark, 'route-refresh').length, 0);
});

t.test('session up again: full resend and End-of-RIB after the peer drops us', async (t) => {
  const { peer, sp } = await setup(t);
  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  const mark = peer.received.length;
  peer.socket!.destroy();
  await peer.until(() => peer.connections === 2, 3_000, 'reconnect');
  await peer.until(() => peer.updates(mark).filter(isEndOfRib).length === 2, 3_000, 'second sync');
  t.same(routeUpdates(peer.updates(mark)).flatMap(v4), ['172.16.1.1/32'], 'routes resent on the new session');
  t.equal(sp.status()[0]?.state, 'Established');
});

t.test('maximum prefixes: Cease 6/1 with RFC 4486 data, then reconnect', async (t) => {
  const { peer, sp } = await setup(t, { cfg: { maxPrefixes: 2 } });
  await peer.established();
  const states: string[] = [];
  sp.on('peer-state', (e) => states.push(e.state));
  const nlri = (n: number) => Array.from({ length: n }, (_, i) => ({ afi: 1 as const, addr: `10.9.${i}.0`, len: 24 }));
  const attrs = { origin: 0 as const, asPath: [{ type: 'sequence' as const, asns: [REMOTE] }], nextHop: '127.0.0.1' };
  peer.send({ type: 'update', withdrawn: [], attributes: attrs, nlri: nlri(2) });
  await peer.until(() => sp.status()[0]?.receivedPrefixes === 2, 3_000, 'two received');
  peer.send({ type: 'update', withdrawn: [], attributes: attrs, nlri: nlri(3) });
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 1]);
  t.same([...n.data], [0, 1, 1, 0, 0, 0, 2], 'AFI 1, SAFI 1, limit 2');
  await peer.until(() => peer.connections === 2, 3_000, 'reconnect after backoff');
  t.ok(states.includes('Idle'));
  t.match(sp.status()[0]?.lastError, /Maximum Number of Prefixes Reached/);
});

t.test('maximum prefixes crossed by IPv6 routes: Cease 6/1 data names AFI 2', async (t) => {
  const { peer, sp } = await setup(t, { cfg: { maxPrefixes: 1 } });
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'up');
  const nlri = [{ afi: 2 as const, addr: '2001:db8:1::', len: 48 }, { afi: 2 as const, addr: '2001:db8:2::', len: 48 }];
  peer.send({
    type: 'update',
    withdrawn: [],
    attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [REMOTE] }], mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::2'], nlri } },
    nlri: [],
  });
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 1]);
  // RFC 4486 4: AFI (2 octets) = 2 (IPv6), SAFI (1 octet) = 1 (unicast), upper bound (4 octets) = 1.
  t.same([...n.data], [0, 2, 1, 0, 0, 0, 1]);
});

t.test('maximum prefixes lowered by a reload below what an IPv6-only peer sent: 6/1 names AFI 2', async (t) => {
  const { peer, sp, cfg } = await setup(t, { cfg: { maxPrefixes: 10 } });
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'up');
  const nlri = [{ afi: 2 as const, addr: '2001:db8:1::', len: 48 }, { afi: 2 as const, addr: '2001:db8:2::', len: 48 }];
  peer.send({
    type: 'update',
    withdrawn: [],
    attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [REMOTE] }], mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::2'], nlri } },
    nlri: [],
  });
  await peer.until(() => sp.status()[0]?.receivedPrefixes === 2, 3_000, 'two received');
  t.equal(peer.messages(0, 'notification').length, 0, 'within the limit');
  sp.setPeers([{ ...cfg, maxPrefixes: 1 }]);
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 1]);
  t.same([...n.data], [0, 2, 1, 0, 0, 0, 1], 'AFI 2 (the family holding the prefixes), SAFI 1, limit 1');
});

t.test('received routes are counted and kept; withdrawals remove them', async (t) => {
  const { peer, sp } = await setup(t);
  await peer.established();
  const got: number[] = [];
  sp.on('update-received', (e) => got.push(e.count));
  const attrs = { origin: 0 as const, asPath: [{ type: 'sequence' as const, asns: [REMOTE] }], nextHop: '127.0.0.1' };
  peer.send({ type: 'update', withdrawn: [], attributes: attrs, nlri: [{ afi: 1, addr: '10.1.0.0', len: 16 }, { afi: 1, addr: '10.2.0.0', len: 16 }] });
  peer.send({ type: 'update', withdrawn: [{ afi: 1, addr: '10.1.0.0', len: 16 }], attributes: {}, nlri: [] });
  await peer.until(() => got.length === 2, 3_000, 'two updates');
  t.same(got, [2, 1]);
  t.equal(sp.status()[0]?.receivedPrefixes, 1);
  t.equal(sp.status()[0]?.updatesReceived, 2);
  t.same(sp.received('127.0.0.1'), [{ prefix: '10.2.0.0/16', attributes: `as-path [${REMOTE}] next-hop 127.0.0.1` }]);
});

t.test('graceful stop: withdrawals written before Cease 6/2 with the shutdown communication', async (t) => {
  const { peer, sp } = await setup(t);
  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }, { prefix: '172.16.1.2/32', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  const mark = peer.received.length;
  await sp.stop({ reason: 'maintenance window', timeoutMs: 2_000 });
  await peer.until(() => peer.messages(mark, 'notification').length === 1, 3_000, 'Cease');
  const after = peer.messages(mark);
  t.same(after.map((m) => m.type), ['update', 'notification'], 'UPDATE first, then NOTIFICATION');
  t.same(withdrawn(after[0] as UpdateMessage).sort(), ['172.16.1.1/32', '172.16.1.2/32']);
  const n = after[1] as NotificationMessage;
  t.same([n.code, n.subcode], [6, 2]);
  t.same(decodeShutdownCommunication(n.data), { text: 'maintenance window' }, 'RFC 9003 shutdown communication');
  await peer.until(() => peer.socket!.destroyed || peer.socket!.readableEnded, 3_000, 'closed');
  t.equal(sp.status()[0]?.state, 'Idle');
});

t.test('graceful stop with a drain announcement', async (t) => {
  const { peer, sp } = await setup(t);
  sp.set([{ prefix: '172.16.1.1/32', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  const mark = peer.received.length;
  await sp.stop({ drain: [{ prefix: '172.16.1.1/32', prepend: 4, communities: ['65535:0'] }], reason: 'drain', timeoutMs: 2_000 });
  await peer.until(() => peer.messages(mark, 'notification').length === 1, 3_000, 'Cease');
  const [u, n] = peer.messages(mark) as [UpdateMessage, NotificationMessage];
  t.same(u.attributes.asPath?.[0]?.asns.length, 5, 'drained path: ours + 4');
  t.same(u.attributes.communities, [0xffff0000], 'GRACEFUL_SHUTDOWN community (RFC 8326) as given');
  t.equal(n.subcode, 2);
});

t.test('resetPeer (BFD down) sends Cease 6/10 and the session comes back', async (t) => {
  const { peer, sp } = await setup(t);
  await peer.established();
  sp.resetPeer('127.0.0.1', 6, 10);
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 10]);
  await peer.until(() => peer.connections === 2, 3_000, 'reconnect');
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'up again');
  t.match(sp.status()[0]?.lastError, /BFD Down/);
});

t.test('setPeers: unchanged peer stays up, removed peer gets Cease 6/3', async (t) => {
  const { peer, sp, cfg } = await setup(t);
  await peer.established();
  sp.setPeers([{ ...cfg }]);
  t.equal(sp.status()[0]?.state, 'Established', 'same config: untouched');
  t.equal(peer.messages(0, 'notification').length, 0);
  sp.setPeers([]);
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 3], 'Peer De-configured');
  t.same(sp.status(), []);
});

t.test('setPeers: changed peer restarts with Cease 6/6', async (t) => {
  const { peer, sp, cfg } = await setup(t);
  await peer.established();
  sp.setPeers([{ ...cfg, holdTime: 30 }]);
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 6], 'Other Configuration Change');
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'up again');
  t.equal(sp.status()[0]?.holdTime, 30);
});

t.test('bad configuration is refused with the path and what was expected', async (t) => {
  t.throws(() => new Speaker({ localAsn: 0, peers: [], logger }), /localAsn/);
  t.throws(() => new Speaker({ localAsn: 65001, routerId: '0.0.0.0', peers: [], logger }), /RFC 6286/);
  t.throws(() => new Speaker({ localAsn: 65001, peers: [{ address: 'x', asn: 1 }], logger }), /peers\[0\]\.address/);
  t.throws(() => new Speaker({ localAsn: 65001, peers: [{ address: '10.0.0.1', asn: 1, holdTime: 2 }], logger }), /peers\[0\]\.holdTime/);
  t.throws(
    () => new Speaker({ localAsn: 65001, peers: [{ address: '10.0.0.1', asn: 1 }, { address: '10.0.0.1', asn: 2 }], logger }),
    /configured twice/,
  );
  t.throws(() => new Speaker({ localAsn: 65001, peers: [{ address: '10.0.0.1', asn: 1, passive: true }], logger }), /peers\[0\]\.passive: a passive peer needs/);
  t.throws(() => new Speaker({ localAsn: 65001, peers: [{ address: '10.0.0.1', asn: 1, localAddress: 'fd00::1' }], logger }), /same family/);
  t.throws(() => new Speaker({ localAsn: 65001, peers: [{ address: '10.0.0.1', asn: 1, ipv6NextHop: 'fe80::1' }], logger }), /global IPv6/);
  t.throws(() => new Speaker({ localAsn: 65001, peers: [{ address: '10.0.0.1', asn: 65001 }], logger }), /only external \(eBGP\)/);
});

t.test('router id: first peer localAddress, else the source address toward the first peer', async (t) => {
  const a = new Speaker({ localAsn: 65001, peers: [{ address: '127.0.0.1', asn: 1, port: 1, localAddress: '127.0.0.5' }], logger });
  await a.start();
  t.equal(a.bgpId, '127.0.0.5');
  await a.stop({ timeoutMs: 100 });
  const b = new Speaker({ localAsn: 65001, peers: [{ address: '127.0.0.1', asn: 1, port: 1 }], logger });
  await b.start();
  t.equal(b.bgpId, '127.0.0.1', 'kernel source address toward 127.0.0.1');
  await b.stop({ timeoutMs: 100 });
});

t.test('NOTIFICATION received is logged decoded, with the shutdown communication; peer down logged', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const capture = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const peer = new TestPeer({ asn: REMOTE });
  const port = await peer.listen('127.0.0.1');
  const sp = new Speaker({
    localAsn: LOCAL,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.1', asn: REMOTE, port, connectRetryMs: { min: 5_000, max: 5_000 } }],
    logger: capture,
  });
  t.teardown(async () => {
    await sp.stop({ timeoutMs: 200 });
    await peer.close();
  });
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'up');
  peer.send({ type: 'notification', code: 6, subcode: 2, data: Uint8Array.of(3, 0x62, 0x79, 0x65) });
  await peer.until(() => sp.status()[0]?.state === 'Idle', 3_000, 'down');
  const got = lines.find((l) => l.msg === 'notification received');
  t.match(got, { peer: '127.0.0.1', code: 6, subcode: 2, notification: 'Cease/Administrative Shutdown: "bye"' });
  t.ok(lines.some((l) => l.msg === 'peer up'), 'peer up logged');
  const down = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('peer down: '));
  t.match(down?.msg, /peer down: notification-received: Cease\/Administrative Shutdown: "bye" \(received\)/);
  t.match(sp.status()[0]?.lastError, /"bye"/);
});

t.test('hold timer enforced on a real session: a silent peer is dropped with 4/0', async (t) => {
  // Hold time 3 s (the minimum): keepalives every second, silence for 3 s ends the session.
  const { peer, sp } = await setup(t, { peer: { holdTime: 3 }, cfg: { connectRetryMs: { min: 10_000, max: 10_000 } } });
  await peer.established();
  const start = peer.received.length;
  await peer.until(() => peer.messages(start, 'notification').length === 1, 6_000, 'Hold Timer Expired');
  const n = peer.messages(start, 'notification')[0] as NotificationMessage;
  t.same([n.code, n.subcode], [4, 0]);
  t.ok(peer.messages(start, 'keepalive').length >= 2, 'we kept sending KEEPALIVEs about every second meanwhile');
  t.equal(sp.status()[0]?.state, 'Idle');
});

t.test('IPv6 session: IPv6 next hop is the session address; IPv4 prefix needs ipv4NextHop', async (t) => {
  const peer = new TestPeer({ asn: REMOTE });
  const port = await peer.listen('::1');
  const sp = new Speaker({
    localAsn: LOCAL,
    routerId: '10.255.0.1',
    peers: [{ address: '::1', asn: REMOTE, port }],
    logger,
  });
  t.teardown(async () => {
    await sp.stop({ timeoutMs: 200 });
    await peer.close();
  });
  sp.set([{ prefix: '2001:db8::1/128', prepend: 0 }, { prefix: '172.16.1.1/32', prepend: 0 }]);
  await sp.start();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'sync');
  const six = routeUpdates(peer.updates());
  t.equal(six.length, 1);
  t.same(six[0]?.attributes.mpReach?.nextHops, ['::1']);
  t.match(sp.status()[0]?.problems, [/172\.16\.1\.1\/32: not sent, the session is IPv6/]);
});

t.test('setPeers: next hop or prefix-limit change applies without a session reset', async (t) => {
  const { peer, sp, cfg } = await setup(t);
  sp.set([{ prefix: '2001:db8::1/128', prepend: 0 }]);
  await peer.established();
  await peer.until(() => peer.updates().filter(isEndOfRib).length === 2, 3_000, 'initial sync');
  t.match(sp.status()[0]?.problems, [/no IPv6 next hop/]);
  const mark = peer.received.length;
  sp.setPeers([{ ...cfg, ipv6NextHop: '2001:db8::ff', maxPrefixes: 100 }]);
  await peer.until(() => peer.updates(mark).length === 1, 3_000, 'IPv6 route now sent');
  t.same(peer.updates(mark)[0]?.attributes.mpReach?.nextHops, ['2001:db8::ff']);
  t.equal(peer.messages(0, 'notification').length, 0, 'no NOTIFICATION, no reset');
  t.equal(peer.connections, 1);
  t.same(sp.status()[0]?.problems, []);
  // A nested field change (backoff) is a session change.
  sp.setPeers([{ ...cfg, ipv6NextHop: '2001:db8::ff', maxPrefixes: 100, connectRetryMs: { min: 60, max: 200 } }]);
  const n = (await peer.until(() => peer.messages(0, 'notification')[0], 3_000, 'NOTIFICATION')) as NotificationMessage;
  t.same([n.code, n.subcode], [6, 6]);
});

/** Pure parts of the speaker: export attributes, Adj-RIB-Out diff, received-route store. */
import t from 'tap';
import { AdjRibOut } from '../../src/speaker/adj-rib-out.js';
import { ReceivedRoutes } from '../../src/speaker/adj-rib-in.js';
import { exportRoutes, parseAnnouncements, routeView } from '../../src/speaker/export.js';
import { formatCommunity, parseCommunity, parseLargeCommunity } from '../../src/speaker/communities.js';
import type { UpdateMessage } from '../../src/bgp/types.js';

const ctx = { localAsn: 4_200_000_000, families: new Set(['1/1', '2/1']), localAddress: '10.0.0.1' };

t.test('communities', (t) => {
  t.equal(parseCommunity('65001:100'), 65001 * 65536 + 100);
  t.equal(parseCommunity('NO-EXPORT'), 0xffffff01);
  t.equal(formatCommunity(0xffffff02), 'no-advertise');
  t.equal(formatCommunity(65535 * 65536), '65535:0');
  t.throws(() => parseCommunity('65536:1'), /above 65535/);
  t.throws(() => parseCommunity('1:2:3'), /asn:value/);
  t.same(parseLargeCommunity('4200000000:1:2'), { globalAdmin: 4_200_000_000, local1: 1, local2: 2 });
  t.throws(() => parseLargeCommunity('1:2'), /three 32-bit/);
  t.end();
});

t.test('export: 4-octet own ASN, prepends, next hop self; problems instead of silent drops', (t) => {
  const d = parseAnnouncements([
    { prefix: '172.16.1.1/32', prepend: 2, med: 0 },
    { prefix: '2001:db8::/64', prepend: 0 },
  ]);
  const { routes, problems } = exportRoutes(d, ctx);
  const r = routes.get('1:172.16.1.1/32')!;
  t.same(r.attributes.asPath, [{ type: 'sequence', asns: [4_200_000_000, 4_200_000_000, 4_200_000_000] }]);
  t.equal(r.attributes.nextHop, '10.0.0.1');
  t.equal(r.attributes.med, 0, 'MED 0 is a value, not absent');
  t.notOk(routes.has('2:2001:db8::/64'));
  t.match(problems, [/no IPv6 next hop/]);
  const v6 = exportRoutes(d, { ...ctx, ipv6NextHop: '2001:db8::1' });
  t.equal(v6.routes.get('2:2001:db8::/64')?.nextHop, '2001:db8::1');
  t.equal(v6.routes.get('2:2001:db8::/64')?.attributes.nextHop, undefined, 'IPv6 next hop goes in MP_REACH only');
  const v6session = exportRoutes(d, { ...ctx, localAddress: 'fd00::1' });
  t.equal(v6session.routes.get('2:2001:db8::/64')?.nextHop, 'fd00::1', 'IPv6 session: its own address');
  t.match(v6session.problems, [/session is IPv6 and no IPv4 next hop/]);
  t.throws(() => parseAnnouncements([{ prefix: '10.0.0.0/8', prepend: 0 }, { prefix: '10.0.0.0/8', prepend: 1 }]), /listed twice/);
  t.throws(() => parseAnnouncements([{ prefix: '10.0.0.0/8', prepend: -1 }]), /prepend/);
  t.throws(() => parseAnnouncements([{ prefix: '10.0.0.1/8', prepend: 0 }]), /host bits/);
  t.end();
});

t.test('Adj-RIB-Out diff groups by attributes and withdraws what is gone', (t) => {
  const rib = new AdjRibOut();
  const want = (list: { prefix: string; prepend: number }[]) => exportRoutes(parseAnnouncements(list), ctx).routes;
  const w1 = want([{ prefix: '10.0.0.1/32', prepend: 0 }, { prefix: '10.0.0.2/32', prepend: 0 }, { prefix: '10.0.0.3/32', prepend: 1 }]);
  const d1 = rib.diff(w1);
  t.same(d1.announce.map((g) => g.map((r) => r.text)), [['10.0.0.1/32', '10.0.0.2/32'], ['10.0.0.3/32']]);
  rib.commit(w1);
  t.same(rib.diff(w1), { announce: [], withdraw: [] }, 'nothing to send for the same routes');
  const w2 = want([{ prefix: '10.0.0.1/32', prepend: 0 }, { prefix: '10.0.0.3/32', prepend: 2 }]);
  const d2 = rib.diff(w2);
  t.same(d2.announce.map((g) => g.map((r) => r.text)), [['10.0.0.3/32']]);
  t.same(d2.withdraw.map((r) => r.text), ['10.0.0.2/32']);
  rib.clear();
  t.equal(rib.diff(w2).announce.flat().length, 2, 'after clear() everything is new');
  t.end();
});

t.test('received store: implicit withdraw, withdrawals, count-only past the key limit', (t) => {
  const st = new ReceivedRoutes(2, 5);
  const u = (n: number[], w: number[] = []): UpdateMessage => ({
    type: 'update',
    withdrawn: w.map((i) => ({ afi: 1, addr: `10.0.${i}.0`, len: 24 })),
    attributes: { asPath: [{ type: 'sequence', asns: [65002] }], nextHop: '10.9.9.9' },
    nlri: n.map((i) => ({ afi: 1, addr: `10.0.${i}.0`, len: 24 })),
  });
  st.apply(u([1, 2, 3]));
  st.apply(u([1]));
  t.equal(st.count, 3, 're-announcement replaces');
  t.same(st.list().map((r) => r.attributes), ['as-path [65002] next-hop 10.9.9.9', 'as-path [65002] next-hop 10.9.9.9', '(attributes not kept)'],
    'attributes kept only for the first storeLimit prefixes');
  st.apply(u([], [1]));
  st.apply(u([3]));
  t.equal(st.list().find((r) => r.prefix === '10.0.3.0/24')?.attributes, 'as-path [65002] next-hop 10.9.9.9', 'a freed slot is reused');
  st.apply(u([1]));
  st.apply(u([], [2]));
  t.equal(st.count, 2);
  st.apply({ type: 'update', withdrawn: [], nlri: [], attributes: { mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri: [{ afi: 2, addr: 'fd00::', len: 64 }] } } });
  t.equal(st.count, 3, 'IPv6 counted');
  st.apply(u([4, 5, 6]));
  t.ok(st.countOnly, 'past 5 keys: count only');
  t.equal(st.count, 6);
  st.apply(u([], [4]));
  t.equal(st.count, 5);
  st.clear();
  t.equal(st.count, 0);
  t.notOk(st.countOnly);
  t.end();
});

t.test('parseAnnouncements: the caches never hide an error or a duplicate', (t) => {
  const list = [{ prefix: '10.0.0.1/32', prepend: 0, communities: ['65001:1'] }];
  t.equal(parseAnnouncements(list)[0]?.text, '10.0.0.1/32');
  t.equal(parseAnnouncements(list)[0]?.text, '10.0.0.1/32', 'second call, cached: same result');
  t.throws(() => parseAnnouncements([...list, { prefix: '10.0.0.1', prepend: 1 }]), /announcements\[1\]\.prefix: 10\.0\.0\.1\/32 is listed twice/,
    'a bare address and its /32 are the same prefix, cached or not');
  t.throws(() => parseAnnouncements([...list, { prefix: '10.0.0.1/32', prepend: 1 }]), /announcements\[1\]\.prefix: .* listed twice/);
  t.same(parseAnnouncements(list).map((d) => d.text), ['10.0.0.1/32'], 'a failed call leaves nothing behind');
  t.throws(() => parseAnnouncements([{ prefix: '10.0.0.2/32', prepend: 0, communities: ['65001:1', 'x'] }]), /announcements\[0\]\.communities/);
  t.throws(() => parseAnnouncements([{ prefix: '10.0.0.2/32', prepend: 0, communities: ['65001:1', 'x'] }]), /announcements\[0\]\.communities/, 'still refused the second time');
  t.throws(() => parseAnnouncements([{ prefix: '10.0.0.0/33', prepend: 0 }]), /announcements\[0\]\.prefix/);
  t.throws(() => parseAnnouncements([{ prefix: '10.0.0.0/33', prepend: 0 }]), /announcements\[0\]\.prefix/, 'a bad prefix is never cached');
  t.throws(() => parseAnnouncements([null as unknown as { prefix: string; prepend: number }]), /announcements\[0\]: expected an object/);
  t.end();
});

t.test('export: prefixes of one profile share one attribute object; status views are copies', (t) => {
  const d = parseAnnouncements(Array.from({ length: 100 }, (_, i) => ({ prefix: `10.1.0.${i}/32`, prepend: 2, communities: ['65001:1'] })));
  const { routes } = exportRoutes(d, ctx);
  const all = [...routes.values()];
  t.ok(all.every((r) => r.attributes === all[0]!.attributes), 'one attribute object for the 100 prefixes');
  t.equal(new Set(all.map((r) => r.key)).size, 1, 'one key');
  const v = routeView(all[0]!);
  v.asPath.push(1);
  v.communities.push('x');
  t.same(routeView(all[1]!).asPath, [4_200_000_000, 4_200_000_000, 4_200_000_000], 'changing a view changes nothing shared');
  t.same(routeView(all[1]!).communities, ['65001:1']);
  t.end();
});

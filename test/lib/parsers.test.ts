/**
 * Parsers of daemon output used by the lab and the interop tests, checked
 * against output captured from the real daemons (BIRD 2.0.12 and GoBGP 3.10
 * from Debian 12, a session carrying 172.16.1.1/32 with MED 50, communities
 * 65001:100 and no-export, and 2001:db8:1::1/128).
 */
import t from 'tap';
import { parseBirdProtocols, parseBirdRoutes, parseGobgpRib, parseAsPath } from './daemons.js';

// `birdc show route 172.16.1.1/32 all` (tabs as BIRD prints them)
const BIRD_V4 = `BIRD 2.0.12 ready.
Table master4:
172.16.1.1/32        unicast [gobgp 11:44:03.260] * (100) [AS4200000001?]
	via 10.255.1.2 on eth0
	Type: BGP univ
	BGP.origin: Incomplete
	BGP.as_path: 4200000001 4200000001 4200000001
	BGP.next_hop: 10.255.1.2
	BGP.med: 50
	BGP.local_pref: 100
	BGP.community: (65001,100) (65535,65281)
`;

// `birdc show route 2001:db8:1::1/128 all`: the head line carries "from <peer>" here
const BIRD_V6 = `BIRD 2.0.12 ready.
Table master6:
2001:db8:1::1/128    unicast [gobgp 11:44:03.260 from 10.255.1.2] * (100) [AS4200000001?]
	via fd00:255:1::2 on eth0
	Type: BGP univ
	BGP.origin: Incomplete
	BGP.as_path: 4200000001
	BGP.next_hop: fd00:255:1::2
	BGP.local_pref: 100
`;

// `birdc show protocols`
const BIRD_PROTOCOLS = `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     11:43:56.054  
direct1    Direct     ---        down   11:43:56.054  
kernel4    Kernel     master4    up     11:43:56.054  
kernel6    Kernel     master6    up     11:43:56.054  
gobgp      BGP        ---        up     11:44:03.260  Established   
`;

// `gobgp global rib -a ipv4 -j` (a locally originated path: next hop 0.0.0.0)
const GOBGP_RIB = `{"172.16.1.1/32":[{"nlri":{"prefix":"172.16.1.1/32"},"age":1795261436,"best":true,"attrs":[{"type":1,"value":2},{"type":2,"as_paths":[{"segment_type":2,"num":2,"asns":[4200000001,4200000001]}]},{"type":4,"metric":50},{"type":8,"communities":[4259905636,4294967041]},{"type":3,"nexthop":"0.0.0.0"}],"stale":false}]}`;

t.test('BIRD route, IPv4: AS path, next hop, MED, communities, best flag', async (t) => {
  const [r, ...rest] = parseBirdRoutes(BIRD_V4);
  t.equal(rest.length, 0);
  t.equal(r?.prefix, '172.16.1.1/32');
  t.equal(r?.protocol, 'gobgp');
  t.equal(r?.best, true);
  t.same(r?.asPath, [4200000001, 4200000001, 4200000001]);
  t.equal(r?.nextHop, '10.255.1.2');
  t.equal(r?.med, 50);
  t.same(r?.communities, ['65001:100', '65535:65281']);
});

t.test('BIRD route, IPv6 with "from" in the head line', async (t) => {
  const [r] = parseBirdRoutes(BIRD_V6);
  t.equal(r?.prefix, '2001:db8:1::1/128');
  t.equal(r?.protocol, 'gobgp');
  t.equal(r?.best, true);
  t.same(r?.asPath, [4200000001]);
  t.equal(r?.nextHop, 'fd00:255:1::2');
  t.equal(r?.med, undefined);
});

t.test('BIRD "Network not found" and empty output parse to no routes', async (t) => {
  t.same(parseBirdRoutes('BIRD 2.0.12 ready.\nNetwork not found\n'), []);
  t.same(parseBirdRoutes(''), []);
});

t.test('BIRD protocols: state and info columns', async (t) => {
  const ps = parseBirdProtocols(BIRD_PROTOCOLS);
  t.same(ps.map((p) => p.name), ['device1', 'direct1', 'kernel4', 'kernel6', 'gobgp']);
  const g = ps.find((p) => p.name === 'gobgp');
  t.equal(g?.proto, 'BGP');
  t.equal(g?.state, 'up');
  t.equal(g?.info, 'Established');
  t.equal(ps.find((p) => p.name === 'direct1')?.state, 'down');
  t.equal(ps.find((p) => p.name === 'kernel4')?.info, '');
});

t.test('GoBGP RIB JSON: AS path, MED, communities as text', async (t) => {
  const [p, ...rest] = parseGobgpRib(GOBGP_RIB);
  t.equal(rest.length, 0);
  t.equal(p?.prefix, '172.16.1.1/32');
  t.same(p?.asPath, [4200000001, 4200000001]);
  t.equal(p?.med, 50);
  t.same(p?.communities, ['65001:100', '65535:65281']);
  t.equal(p?.nextHop, '0.0.0.0');
  t.equal(p?.best, true);
  t.same(parseGobgpRib(''), []);
});

t.test('AS path text with sets flattens to numbers', async (t) => {
  t.same(parseAsPath('65001 65001 {65002 65003}'), [65001, 65001, 65002, 65003]);
  t.same(parseAsPath(''), []);
});

/** Our OPEN and the negotiation result. */
import t from 'tap';
import { buildLocalOpen, negotiateSession } from '../../src/fsm/bgp-open-policy.js';
import { checkRemoteOpen } from '../../src/fsm/bgp-open-check.js';
import type { OpenMessage } from '../../src/bgp/types.js';

t.test('our OPEN: capabilities, AS_TRANS for a 4-octet ASN', (t) => {
  const o = buildLocalOpen({ localAsn: 4_200_000_001, routerId: '10.0.0.1', holdTime: 90 });
  t.equal(o.myAs, 23456, 'RFC 6793: AS_TRANS in My AS');
  t.equal(o.version, 4);
  t.equal(o.holdTime, 90);
  t.equal(o.bgpId, '10.0.0.1');
  t.same(
    o.capabilities.map((c) => (c.name === 'multiprotocol' ? `mp ${c.afi}/${c.safi}` : c.name === 'four-octet-as' ? `4as ${c.asn}` : c.name)),
    ['mp 1/1', 'mp 2/1', 'route-refresh', 'enhanced-route-refresh', 'extended-message', '4as 4200000001'],
  );
  t.equal(buildLocalOpen({ localAsn: 65001, routerId: '10.0.0.1', holdTime: 0 }).myAs, 65001);
  t.end();
});

t.test('negotiation: smaller hold time, common families and capabilities', (t) => {
  const local = buildLocalOpen({ localAsn: 65001, routerId: '10.0.0.1', holdTime: 90 });
  const remote: OpenMessage = {
    type: 'open', version: 4, myAs: 65002, holdTime: 180, bgpId: '10.0.0.2',
    capabilities: [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 2, name: 'route-refresh' },
      { code: 65, name: 'four-octet-as', asn: 65002 },
      { code: 6, name: 'extended-message' },
    ],
  };
  const s = negotiateSession(local, remote);
  t.equal(s.holdTime, 90);
  t.equal(s.keepaliveTime, 30);
  t.same([...s.families], ['1/1'], 'IPv6 not offered by the peer');
  t.ok(s.routeRefresh);
  t.notOk(s.enhancedRouteRefresh);
  t.match(s.codec, { fourOctetAs: true, extendedMessage: true });
  t.equal(s.peerAsn, 65002);
  t.equal(checkRemoteOpen(remote, { peerAsn: 65002, localOpen: local }), null, 'valid');
  t.match(checkRemoteOpen(remote, { peerAsn: 65003, localOpen: local }), { code: 2, subcode: 2 });
  const zero = negotiateSession(local, { ...remote, holdTime: 0 });
  t.same([zero.holdTime, zero.keepaliveTime], [0, 0]);
  t.end();
});

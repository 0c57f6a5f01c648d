/** OPEN validation (RFC 4271 6.2, RFC 5492, RFC 6286, RFC 6793) and negotiation. */
import t from 'tap';
import {
  makeOpen,
  negotiate,
  peerAsnOf,
  validateOpen,
  type OpenMessage,
} from '../../src/bgp/index.js';
import { toHex } from './helpers.js';

const base = (): OpenMessage => ({
  type: 'open',
  version: 4,
  myAs: 23456,
  holdTime: 90,
  bgpId: '10.0.0.2',
  capabilities: [
    { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
    { code: 65, name: 'four-octet-as', asn: 4200000002 },
  ],
});
const expect = { peerAsn: 4200000002, localBgpId: '10.0.0.1', localAsn: 4200000001 };

t.test('an acceptable OPEN', async (t) => {
  t.equal(validateOpen(base(), expect), null);
  t.equal(peerAsnOf(base()), 4200000002);
  t.equal(peerAsnOf({ ...base(), myAs: 65010, capabilities: [] }), 65010);
});

t.test('unsupported version: 2/1 with the version we support', async (t) => {
  const e = validateOpen({ ...base(), version: 3 }, expect);
  t.match(e, { code: 2, subcode: 1 });
  t.equal(toHex(e!.data), '0004');
});

t.test('bad peer AS: 2/2', async (t) => {
  t.match(validateOpen(base(), { ...expect, peerAsn: 4200000003 }), { code: 2, subcode: 2 });
  // A 4-octet peer that does not send the capability: My AS 23456 != 4200000002.
  t.match(validateOpen({ ...base(), capabilities: [] }, expect), { code: 2, subcode: 2, message: /no 4-octet AS capability/ });
  // The capability is compared, not My AS.
  t.equal(validateOpen({ ...base(), myAs: 1 }, expect), null);
  t.match(validateOpen({ ...base(), capabilities: [{ code: 65, name: 'four-octet-as', asn: 0 }] }, { localBgpId: '10.0.0.1' }), { code: 2, subcode: 2 });
  t.match(validateOpen({ ...base(), capabilities: [{ code: 65, name: 'four-octet-as', asn: 23456 }] }, { localBgpId: '10.0.0.1' }), { code: 2, subcode: 2 });
  t.match(validateOpen({ ...base(), myAs: 0, capabilities: [] }, { localBgpId: '10.0.0.1' }), { code: 2, subcode: 2 });
});

t.test('bad BGP identifier: 2/3 (RFC 6286 2.2)', async (t) => {
  t.match(validateOpen({ ...base(), bgpId: '0.0.0.0' }, expect), { code: 2, subcode: 3 });
  // Same identifier as ours: allowed from an external peer...
  t.equal(validateOpen({ ...base(), bgpId: '10.0.0.1' }, expect), null);
  // ...refused from an internal one.
  t.match(validateOpen({ ...base(), bgpId: '10.0.0.1' }, { ...expect, localAsn: 4200000002 }), { code: 2, subcode: 3 });
  // RFC 6286: any non-zero value, even one that is not a unicast address.
  t.equal(validateOpen({ ...base(), bgpId: '255.255.255.255' }, expect), null);
});

t.test('unacceptable hold time 1 or 2: 2/6; 0 and 3 are fine', async (t) => {
  t.match(validateOpen({ ...base(), holdTime: 1 }, expect), { code: 2, subcode: 6 });
  t.match(validateOpen({ ...base(), holdTime: 2 }, expect), { code: 2, subcode: 6 });
  t.equal(validateOpen({ ...base(), holdTime: 0 }, expect), null);
  t.equal(validateOpen({ ...base(), holdTime: 3 }, expect), null);
});

t.test('unsupported optional parameter: 2/4', async (t) => {
  t.match(validateOpen({ ...base(), otherParams: [{ type: 1, value: Uint8Array.of(0) }] }, expect), { code: 2, subcode: 4 });
});

t.test('missing required capability: 2/7 with the capabilities as data (RFC 5492 3)', async (t) => {
  const e = validateOpen(base(), { ...expect, requiredCapabilities: [{ code: 1, name: 'multiprotocol', afi: 2, safi: 1 }, { code: 2, name: 'route-refresh' }] });
  t.match(e, { code: 2, subcode: 7 });
  t.equal(toHex(e!.data), '0104000200010200');
  t.equal(validateOpen(base(), { ...expect, requiredCapabilities: [{ code: 1, name: 'multiprotocol', afi: 1, safi: 1 }] }), null);
});

t.test('makeOpen: AS_TRANS for 4-octet ASNs, capabilities, input checks', async (t) => {
  const o = makeOpen({ asn: 4200000001, holdTime: 9, bgpId: '10.0.0.1', gracefulRestart: { restartTime: 120, notification: true } });
  t.equal(o.myAs, 23456);
  t.same(o.capabilities.map((c) => c.code), [1, 1, 2, 70, 64, 65]);
  t.equal(makeOpen({ asn: 65001, holdTime: 90, bgpId: '10.0.0.1' }).myAs, 65001);
  t.throws(() => makeOpen({ asn: 65001, holdTime: 2, bgpId: '10.0.0.1' }), /hold time/);
  t.throws(() => makeOpen({ asn: 0, holdTime: 90, bgpId: '10.0.0.1' }), /ASN/);
});

t.test('negotiate', async (t) => {
  const local = makeOpen({ asn: 4200000001, holdTime: 90, bgpId: '10.0.0.1', extendedMessage: true, addPath: [{ afi: 1, safi: 1, sendReceive: 3 }] });
  const remote: OpenMessage = {
    ...base(),
    holdTime: 30,
    capabilities: [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
      { code: 2, name: 'route-refresh' },
      { code: 6, name: 'extended-message' },
      { code: 65, name: 'four-octet-as', asn: 4200000002 },
      { code: 69, name: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 2 }] },
      { code: 64, name: 'graceful-restart', restartFlags: 0, restartTime: 120, families: [] },
    ],
  };
  const n = negotiate(local, remote);
  t.equal(n.holdTime, 30);
  t.equal(n.keepaliveTime, 10);
  t.equal(n.fourOctetAs, true);
  t.equal(n.extendedMessage, true);
  t.equal(n.routeRefresh, true);
  t.equal(n.enhancedRouteRefresh, false, 'peer did not announce it');
  t.same([...(n.addPathReceive ?? [])], ['1/1'], 'peer sends, we receive');
  t.same([...(n.addPathSend ?? [])], [], 'peer does not receive');
  t.same(n.families, [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
  t.equal(n.peerAsn, 4200000002);
  t.equal(n.gracefulRestart?.restartTime, 120);

  // A peer with no capabilities at all: IPv4 unicast, 2-octet AS, hold time 0 wins.
  const old: OpenMessage = { type: 'open', version: 4, myAs: 65010, holdTime: 0, bgpId: '10.0.0.3', capabilities: [] };
  const m = negotiate(local, old);
  t.equal(m.fourOctetAs, false);
  t.equal(m.extendedMessage, false);
  t.equal(m.holdTime, 0);
  t.equal(m.keepaliveTime, 0);
  t.same(m.families, [{ afi: 1, safi: 1 }]);
});

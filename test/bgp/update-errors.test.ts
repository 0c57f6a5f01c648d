/**
 * UPDATE error handling per RFC 4271 6.3 and RFC 7606: each malformed variant
 * built by the dumb builder, with the exact action, attribute and NOTIFICATION.
 */
import t from 'tap';
import { BgpStreamParser, type CodecOptions, type ParsedItem, type UpdateMessage } from '../../src/bgp/index.js';
import { toHex, update } from './helpers.js';

const FOUR: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const TWO: CodecOptions = { fourOctetAs: false, extendedMessage: false };

const ORIGIN = '40 01 01 00';
const ASPATH4 = '40 02 06 02 01 0000fde9'; // AS_SEQUENCE 65001
const NEXTHOP = '40 03 04 c0000201'; // 192.0.2.1
const NLRI = '18 cb0071'; // 203.0.113.0/24

function one(bytes: Uint8Array, opts = FOUR): ParsedItem {
  const items = new BgpStreamParser(opts).push(bytes);
  if (items.length !== 1) throw new Error(`expected one item, got ${items.length}`);
  return items[0]!;
}

function okUpdate(bytes: Uint8Array, opts = FOUR): { m: UpdateMessage; problems: NonNullable<Extract<ParsedItem, { ok: true }>['problems']> } {
  const item = one(bytes, opts);
  if (!item.ok || item.message.type !== 'update') throw new Error(`expected an UPDATE, got ${JSON.stringify(item)}`);
  return { m: item.message, problems: item.problems ?? [] };
}

function fatal(bytes: Uint8Array, opts = FOUR) {
  const item = one(bytes, opts);
  if (item.ok) throw new Error(`expected a fatal error, got ${JSON.stringify(item)}`);
  return item.error;
}

const WITHDRAWN_ALL = { withdrawn: [{ afi: 1, addr: '203.0.113.0', len: 24 }], attributes: {}, nlri: [] };

t.test('a valid UPDATE has no problems', async (t) => {
  const { m, problems } = okUpdate(update('', ORIGIN + ASPATH4 + NEXTHOP, NLRI));
  t.same(problems, []);
  t.same(m.nlri, [{ afi: 1, addr: '203.0.113.0', len: 24 }]);
});

t.test('host bits beyond the prefix length are ignored (RFC 4271 4.3)', async (t) => {
  const { m } = okUpdate(update('', ORIGIN + ASPATH4 + NEXTHOP, '18 cb0071 1c 0a0000ff 01 ff'));
  t.same(m.nlri.map((p) => `${p.addr}/${p.len}`), ['203.0.113.0/24', '10.0.0.240/28', '128.0.0.0/1']);
});

const tawCases: [string, string, number, number, number][] = [
  // name, attributes, type code at fault, RFC 4271 subcode
  ['ORIGIN length 2 (RFC 7606 7.1)', '40 01 02 0000' + ASPATH4 + NEXTHOP, 1, 5, 0],
  ['ORIGIN value 3 (RFC 7606 7.1)', '40 01 01 03' + ASPATH4 + NEXTHOP, 1, 6, 0],
  ['ORIGIN with the Optional bit (RFC 7606 3c)', 'c0 01 01 00' + ASPATH4 + NEXTHOP, 1, 4, 0],
  ['AS_PATH zero-length segment (RFC 7606 7.2)', ORIGIN + '40 02 02 0200' + NEXTHOP, 2, 11, 0],
  ['AS_PATH unknown segment type 5', ORIGIN + '40 02 06 05 01 0000fde9' + NEXTHOP, 2, 11, 0],
  ['AS_PATH segment overrun', ORIGIN + '40 02 06 02 02 0000fde9' + NEXTHOP, 2, 11, 0],
  ['NEXT_HOP length 5 (RFC 7606 7.3)', ORIGIN + ASPATH4 + '40 03 05 c000020100', 3, 5, 0],
  ['NEXT_HOP 0.0.0.0 (RFC 4271 6.3 semantic)', ORIGIN + ASPATH4 + '40 03 04 00000000', 3, 8, 0],
  ['NEXT_HOP multicast 224.0.0.5', ORIGIN + ASPATH4 + '40 03 04 e0000005', 3, 8, 0],
  ['MED length 3 (RFC 7606 7.4)', ORIGIN + ASPATH4 + NEXTHOP + '80 04 03 000001', 4, 5, 0],
  ['MED flagged well-known (RFC 7606 3c)', ORIGIN + ASPATH4 + NEXTHOP + '40 04 04 00000001', 4, 4, 0],
  ['LOCAL_PREF length 2 (RFC 7606 7.5)', ORIGIN + ASPATH4 + NEXTHOP + '40 05 02 0001', 5, 5, 0],
  ['COMMUNITIES length 6 (RFC 7606 7.8)', ORIGIN + ASPATH4 + NEXTHOP + 'c0 08 06 000100020003', 8, 9, 0],
  ['COMMUNITIES length 0', ORIGIN + ASPATH4 + NEXTHOP + 'c0 08 00', 8, 9, 0],
  ['EXTENDED COMMUNITIES length 4 (RFC 7606 7.14)', ORIGIN + ASPATH4 + NEXTHOP + 'c0 10 04 00020001', 16, 9, 0],
  ['LARGE_COMMUNITY length 8 (RFC 8092 6)', ORIGIN + ASPATH4 + NEXTHOP + 'c0 20 08 0000000100000002', 32, 9, 0],
  ['missing ORIGIN (RFC 7606 3e)', ASPATH4 + NEXTHOP, 1, 3, 1],
  ['missing AS_PATH', ORIGIN + NEXTHOP, 2, 3, 1],
  ['missing NEXT_HOP with IPv4 NLRI', ORIGIN + ASPATH4, 3, 3, 1],
  ['attribute length overruns the attribute list (RFC 7606 4)', ORIGIN + ASPATH4 + NEXTHOP + 'c0 08 08 00010002', 8, 5, 0],
  ['two trailing octets cannot hold a header (RFC 7606 4)', ORIGIN + ASPATH4 + NEXTHOP + '40 05', 5, 1, 0],
];

for (const [name, attrs, typeCode, subcode, dataIsType] of tawCases) {
  t.test(`treat-as-withdraw: ${name}`, async (t) => {
    const { m, problems } = okUpdate(update('', attrs, NLRI));
    t.same(m, { type: 'update', ...WITHDRAWN_ALL }, 'NLRI moved to withdrawn, attributes cleared');
    const p = problems.find((x) => x.action === 'treat-as-withdraw');
    t.ok(p, 'a treat-as-withdraw problem is reported');
    t.equal(p?.typeCode, typeCode, 'attribute at fault');
    t.equal(p?.code, 3);
    t.equal(p?.subcode, subcode);
    if (dataIsType === 1) t.same([...(p?.data ?? [])], [typeCode], 'data names the missing attribute');
    t.type(p?.reason, 'string');
  });
}

t.test('attribute flags error data is the whole attribute (RFC 4271 6.3)', async (t) => {
  const { problems } = okUpdate(update('', 'c0 01 01 00' + ASPATH4 + NEXTHOP, NLRI));
  t.equal(toHex(problems[0]!.data!), 'c0010100');
});

t.test('without NLRI, missing mandatory attributes are not an error', async (t) => {
  const { m, problems } = okUpdate(update('18 0a0000', '', ''));
  t.same(problems, []);
  t.same(m.withdrawn, [{ afi: 1, addr: '10.0.0.0', len: 24 }]);
});

const discardCases: [string, string, number, Partial<UpdateMessage['attributes']>][] = [
  ['ATOMIC_AGGREGATE length 1 (RFC 7606 7.6)', '40 06 01 00', 6, {}],
  ['AGGREGATOR length 6 on a 4-octet session (RFC 7606 7.7)', 'c0 07 06 fde9 c0000201', 7, {}],
  ['MED twice: the second is discarded (RFC 7606 3g)', '80 04 04 00000001 80 04 04 00000002', 4, { med: 1 }],
  ['AS4_PATH on a 4-octet session (RFC 6793)', 'c0 11 06 02 01 0000fde9', 17, {}],
  ['MP_REACH_NLRI for an unsupported family (AFI 1 SAFI 128)', '80 0e 0a 0001 80 04 c0000201 00 00', 14, {}],
];
for (const [name, extra, typeCode, kept] of discardCases) {
  t.test(`attribute discard: ${name}`, async (t) => {
    const { m, problems } = okUpdate(update('', ORIGIN + ASPATH4 + NEXTHOP + extra, NLRI));
    t.same(problems.map((p) => [p.typeCode, p.action]), [[typeCode, 'attribute-discard']]);
    t.same(m.attributes, { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1', ...kept });
    t.equal(m.nlri.length, 1, 'routes stay');
  });
}

t.test('session reset cases carry their NOTIFICATION', async (t) => {
  let e = fatal(update('', ORIGIN + ASPATH4 + NEXTHOP + '40 32 02 abcd', NLRI));
  t.match(e, { code: 3, subcode: 2, attributeType: 50 }, 'unrecognized well-known attribute');
  t.equal(toHex(e.data), '403202abcd', 'data is the attribute');

  const mp = '80 0f 03 0002 01';
  e = fatal(update('', ORIGIN + ASPATH4 + NEXTHOP + mp + mp, NLRI));
  t.match(e, { code: 3, subcode: 1, attributeType: 15 }, 'MP_UNREACH twice (RFC 7606 3g)');

  e = fatal(update('', ORIGIN + ASPATH4 + '80 0e 16 0002 01 11 20010db8000000000000000000000001 00 00 00', ''));
  t.match(e, { code: 3, subcode: 9, attributeType: 14 }, 'IPv6 next hop length 17 (RFC 7606 7.11)');

  e = fatal(update('', ORIGIN + ASPATH4 + '80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81 00', ''));
  t.match(e, { code: 3, subcode: 10, attributeType: 14 }, 'IPv6 prefix length 129');

  e = fatal(update('', ORIGIN + ASPATH4 + NEXTHOP, '21 0a000000 00'));
  t.match(e, { code: 3, subcode: 10 }, 'IPv4 NLRI prefix length 33');
});

t.test('unknown attributes', async (t) => {
  // Optional transitive: kept with Partial set. Optional non-transitive: quietly dropped.
  const { m, problems } = okUpdate(update('', ORIGIN + ASPATH4 + NEXTHOP + 'c0 63 01 01 80 64 01 02 d0 65 0001 03', NLRI));
  t.same(problems, []);
  t.same(m.attributes.unknown, [
    { flags: 0xe0, typeCode: 99, value: Uint8Array.of(1) },
    { flags: 0xe0, typeCode: 101, value: Uint8Array.of(3) },
  ]);
});

t.test('extended length flag accepted on any attribute', async (t) => {
  const { m, problems } = okUpdate(update('', '50 01 0001 00' + '50 02 0006 02 01 0000fde9' + '50 03 0004 c0000201', NLRI));
  t.same(problems, []);
  t.same(m.attributes, { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1' });
});

t.test('treat-as-withdraw also withdraws MP_REACH prefixes into MP_UNREACH', async (t) => {
  const reach = '80 0e 21 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001 20 20010db8';
  const unreach = '80 0f 08 0002 01 20 20010db9';
  const { m, problems } = okUpdate(update('', '40 01 01 07' + ASPATH4 + reach + unreach, ''));
  t.same(problems.map((p) => p.typeCode), [1]);
  t.same(m, {
    type: 'update',
    withdrawn: [],
    attributes: {
      mpUnreach: {
        afi: 2,
        safi: 1,
        withdrawn: [
          { afi: 2, addr: '2001:db9::', len: 32 },
          { afi: 2, addr: '2001:db8:1::', len: 48 },
          { afi: 2, addr: '2001:db8::', len: 32 },
        ],
      },
    },
    nlri: [],
  });
});

t.test('RFC 6793 4.2.3 merge on a 2-octet session', async (t) => {
  // AS_PATH 65002 65001 23456 (3), AS4_PATH 65001 4200000001 (2): keep 1 from AS_PATH.
  const asPath = '40 02 08 02 03 fdea fde9 5ba0';
  const as4 = 'c0 11 0a 02 02 0000fde9 fa56ea01';
  let { m } = okUpdate(update('', ORIGIN + asPath + NEXTHOP + as4, NLRI), TWO);
  t.same(m.attributes.asPath, [{ type: 'sequence', asns: [65002, 65001, 4200000001] }]);
  t.equal(m.attributes.as4Path, undefined);

  // AS4_PATH longer than AS_PATH: ignored.
  ({ m } = okUpdate(update('', ORIGIN + '40 02 04 02 01 5ba0' + NEXTHOP + as4, NLRI), TWO));
  t.same(m.attributes.asPath, [{ type: 'sequence', asns: [23456] }]);

  // AGGREGATOR from an OLD speaker (not AS_TRANS): AS4_PATH and AS4_AGGREGATOR ignored.
  ({ m } = okUpdate(update('', ORIGIN + asPath + NEXTHOP + 'c0 07 06 fdea c0000202' + as4 + 'c0 12 08 fa56ea01 c0000203', NLRI), TWO));
  t.same(m.attributes.asPath, [{ type: 'sequence', asns: [65002, 65001, 23456] }]);
  t.same(m.attributes.aggregator, { asn: 65002, address: '192.0.2.2' });

  // AS_SET counts as one.
  ({ m } = okUpdate(update('', ORIGIN + '40 02 0a 02 02 fdea 5ba0 01 01 5ba0' + NEXTHOP + 'c0 11 0c 02 01 fa56ea01 01 01 fa56ea02', NLRI), TWO));
  t.same(m.attributes.asPath, [
    { type: 'sequence', asns: [65002, 4200000001] },
    { type: 'set', asns: [4200000002] },
  ]);

  // Malformed AS4_PATH: discarded, AS_PATH kept.
  const r = okUpdate(update('', ORIGIN + asPath + NEXTHOP + 'c0 11 03 02 01 00', NLRI), TWO);
  t.same(r.problems.map((p) => [p.typeCode, p.action]), [[17, 'attribute-discard']]);
  t.same(r.m.attributes.asPath, [{ type: 'sequence', asns: [65002, 65001, 23456] }]);
});

t.test('ADD-PATH path identifiers (RFC 7911) when negotiated for receive', async (t) => {
  const opts: CodecOptions = { ...FOUR, addPathReceive: new Set(['1/1']) };
  const { m } = okUpdate(update('00000007 18 0a0000', ORIGIN + ASPATH4 + NEXTHOP, '00000001 18 cb0071 00000002 18 cb0071'), opts);
  t.same(m.withdrawn, [{ afi: 1, addr: '10.0.0.0', len: 24, pathId: 7 }]);
  t.same(m.nlri, [
    { afi: 1, addr: '203.0.113.0', len: 24, pathId: 1 },
    { afi: 1, addr: '203.0.113.0', len: 24, pathId: 2 },
  ]);
  t.match(fatal(update('', ORIGIN + ASPATH4 + NEXTHOP, '000000'), opts), { code: 3, subcode: 10 });
});

t.test('treat-as-withdraw with MP_REACH IPv6 and MP_UNREACH IPv4 (found by the fuzz run)', async (t) => {
  const reach = '80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001';
  const unreach = '80 0f 05 0001 01 08 0a'; // IPv4 unicast 10.0.0.0/8 in MP_UNREACH
  const { m } = okUpdate(update('', '40 01 01 07' + ASPATH4 + reach + unreach, ''));
  t.same(m, {
    type: 'update',
    withdrawn: [{ afi: 1, addr: '10.0.0.0', len: 8 }],
    attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [{ afi: 2, addr: '2001:db8:1::', len: 48 }] } },
    nlri: [],
  });
  // And it can be encoded again (IPv6 prefixes never land in the IPv4 field).
  const { encodeMessage } = await import('../../src/bgp/index.js');
  t.doesNotThrow(() => encodeMessage(m, FOUR));
});

/**
 * Hand-built byte fixtures (test/fixtures/bgp/hand), each checked four ways:
 * parse, encode, round trip, and broken variants with their exact error.
 */
import t from 'tap';
import { BgpStreamParser, encodeMessage, type BgpMessage, type CodecOptions, type OpenMessage, type UpdateMessage } from '../../src/bgp/index.js';
import { declaredLength, fixture, toHex } from './helpers.js';

const FOUR: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const TWO: CodecOptions = { fourOctetAs: false, extendedMessage: false };

function parseOne(bytes: Uint8Array, opts: CodecOptions): BgpMessage {
  const p = new BgpStreamParser(opts);
  const items = p.push(bytes);
  const item = items[0];
  if (items.length !== 1 || item === undefined || !item.ok) throw new Error(`expected one message, got ${JSON.stringify(items)}`);
  if (item.problems !== undefined) throw new Error(`unexpected problems ${JSON.stringify(item.problems)}`);
  return item.message;
}

function firstError(bytes: Uint8Array, opts: CodecOptions) {
  const items = new BgpStreamParser(opts).push(bytes);
  const last = items[items.length - 1];
  if (last === undefined || last.ok) throw new Error(`expected an error, got ${JSON.stringify(items)}`);
  return last.error;
}

interface Case {
  file: string;
  opts: CodecOptions;
  model: BgpMessage;
}

const openCaps: OpenMessage = {
  type: 'open',
  version: 4,
  myAs: 23456,
  holdTime: 90,
  bgpId: '10.0.0.1',
  capabilities: [
    { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
    { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
    { code: 2, name: 'route-refresh' },
    { code: 70, name: 'enhanced-route-refresh' },
    { code: 6, name: 'extended-message' },
    { code: 65, name: 'four-octet-as', asn: 4200000001 },
    { code: 64, name: 'graceful-restart', restartFlags: 0, restartTime: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] },
    { code: 69, name: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 3 }] },
    { code: 73, name: 'unknown', value: Uint8Array.of(3, 0x66, 0x6f, 0x6f, 0) },
  ],
};

const open9072: OpenMessage = {
  type: 'open',
  version: 4,
  myAs: 65001,
  holdTime: 180,
  bgpId: '10.0.0.2',
  capabilities: [{ code: 65, name: 'four-octet-as', asn: 65001 }],
  extendedParams: true,
};

const updateFull: UpdateMessage = {
  type: 'update',
  withdrawn: [{ afi: 1, addr: '10.1.0.0', len: 16 }],
  attributes: {
    origin: 0,
    asPath: [
      { type: 'sequence', asns: [65001, 4200000001] },
      { type: 'set', asns: [64512, 64513] },
    ],
    nextHop: '192.0.2.1',
    med: 100,
    localPref: 200,
    atomicAggregate: true,
    aggregator: { asn: 4200000001, address: '198.51.100.1' },
    communities: [0xfde90064, 0xffffff01],
    extendedCommunities: [Uint8Array.of(0x00, 0x02, 0xfd, 0xe9, 0, 0, 0, 7)],
    largeCommunities: [{ globalAdmin: 4200000001, local1: 1, local2: 2 }],
    unknown: [{ flags: 0xe0, typeCode: 99, value: Uint8Array.of(0xab, 0xcd) }],
  },
  nlri: [
    { afi: 1, addr: '203.0.113.0', len: 24 },
    { afi: 1, addr: '198.51.100.128', len: 25 },
    { afi: 1, addr: '0.0.0.0', len: 0 },
  ],
};

const updateAs4: UpdateMessage = {
  type: 'update',
  withdrawn: [],
  attributes: {
    origin: 0,
    // RFC 6793 4.2.3: reconstructed from AS_PATH + AS4_PATH.
    asPath: [{ type: 'sequence', asns: [65001, 4200000001, 4200000002] }],
    nextHop: '192.0.2.1',
    aggregator: { asn: 4200000001, address: '198.51.100.1' },
  },
  nlri: [{ afi: 1, addr: '203.0.113.0', len: 24 }],
};

const updateV6: UpdateMessage = {
  type: 'update',
  withdrawn: [],
  attributes: {
    origin: 0,
    asPath: [{ type: 'sequence', asns: [65001] }],
    mpReach: {
      afi: 2,
      safi: 1,
      nextHops: ['2001:db8::1', 'fe80::1'],
      nlri: [
        { afi: 2, addr: '2001:db8:1::', len: 48 },
        { afi: 2, addr: '2001:db8:2::', len: 64 },
      ],
    },
    mpUnreach: { afi: 2, safi: 1, withdrawn: [{ afi: 2, addr: '2001:db8:dead::', len: 48 }] },
  },
  nlri: [],
};

const cases: Case[] = [
  { file: 'hand/open-4octet-caps.hex', opts: TWO, model: openCaps },
  { file: 'hand/open-rfc9072.hex', opts: TWO, model: open9072 },
  { file: 'hand/update-ipv4-full.hex', opts: FOUR, model: updateFull },
  { file: 'hand/update-as4-2octet.hex', opts: TWO, model: updateAs4 },
  { file: 'hand/update-ipv6-mp.hex', opts: FOUR, model: updateV6 },
];

for (const c of cases) {
  t.test(c.file, async (t) => {
    const bytes = fixture(c.file);
    t.equal(declaredLength(bytes), bytes.length, 'fixture header length matches its size');
    t.same(parseOne(bytes, c.opts), c.model, 'parse');
    t.equal(toHex(encodeMessage(c.model, c.opts)), toHex(bytes), 'encode');
    t.same(parseOne(encodeMessage(parseOne(bytes, c.opts), c.opts), c.opts), c.model, 'round trip');
    // Fed one octet at a time, the same message comes out.
    const p = new BgpStreamParser(c.opts);
    const items = [];
    for (const b of bytes) items.push(...p.push(Uint8Array.of(b)));
    t.equal(items.length, 1);
    t.same(items[0], { ok: true, message: c.model }, 'byte-by-byte');
  });
}

t.test('broken variants of the fixtures', async (t) => {
  const open = fixture('hand/open-4octet-caps.hex');
  const upd = fixture('hand/update-ipv4-full.hex');

  const badMarker = open.slice();
  badMarker[7] = 0xfe;
  let e = firstError(badMarker, TWO);
  t.match(e, { code: 1, subcode: 1 }, 'marker -> Connection Not Synchronized');
  t.equal(e.data.length, 0);

  // Optional parameters length one too long: OPEN error, unspecific subcode.
  const badOptLen = open.slice();
  badOptLen[28] = 0x30;
  e = firstError(badOptLen, TWO);
  t.match(e, { code: 2, subcode: 0 });

  // A capability whose length overruns its parameter.
  const badCap = open.slice();
  badCap[31] = 0x09; // first multiprotocol capability claims 9 octets... still inside; make it overrun:
  badCap[31] = 0x40;
  e = firstError(badCap, TWO);
  t.match(e, { code: 2, subcode: 0 });

  // The 4-octet AS capability with length 3.
  const badAs4 = open.slice();
  const at = toHex(open).indexOf('4104fa56ea01') / 2;
  badAs4[at + 1] = 3;
  e = firstError(badAs4, TWO);
  t.match(e, { code: 2, subcode: 0, message: /capability 65: length 3, expected 4/ });

  // Withdrawn routes length overruns the message -> 3/1.
  const badWr = upd.slice();
  badWr[19] = 0x01;
  e = firstError(badWr, FOUR);
  t.match(e, { code: 3, subcode: 1 });

  // Withdrawn prefix length 33 -> 3/10 Invalid Network Field.
  const badPfx = upd.slice();
  badPfx[21] = 33;
  e = firstError(badPfx, FOUR);
  t.match(e, { code: 3, subcode: 10 });

  // Last NLRI byte missing (declared length shrunk): prefix overruns -> 3/10.
  const cut = upd.slice(0, upd.length - 2);
  cut[17] = cut.length & 0xff;
  e = firstError(cut, FOUR);
  t.match(e, { code: 3, subcode: 10 });

  // The fixture decoded on a 2-octet session: AS_PATH length 20 is not a valid
  // 2-octet path (segments run over) -> treat-as-withdraw, and AGGREGATOR 8 octets -> discard.
  const items = new BgpStreamParser(TWO).push(upd);
  const item = items[0]!;
  t.ok(item.ok);
  if (item.ok && item.message.type === 'update') {
    t.same(item.problems?.map((p) => [p.typeCode, p.action]), [
      [2, 'treat-as-withdraw'],
      [7, 'attribute-discard'],
    ]);
    t.same(item.message.nlri, []);
    t.same(item.message.attributes, {});
    t.equal(item.message.withdrawn.length, 4, 'withdrawn + the three NLRI prefixes');
  }
});

/** The UPDATE builder: packing, size limits, IPv6 via MP_REACH, withdrawals, End-of-RIB. */
import t from 'tap';
import {
  BgpStreamParser,
  buildUpdates,
  encodeMessage,
  endOfRib,
  endOfRibFamily,
  isEndOfRib,
  type CodecOptions,
  type PathAttributes,
  type Prefix,
  type UpdateMessage,
} from '../../src/bgp/index.js';
import { toHex, update } from './helpers.js';

const FOUR: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const attrs: PathAttributes = { origin: 0, asPath: [{ type: 'sequence', asns: [65001, 65001] }], nextHop: '192.0.2.1', med: 10 };

function v4(n: number, len = 24): Prefix[] {
  const out: Prefix[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ afi: 1, addr: len === 16 ? `${1 + (i >> 8)}.${i & 255}.0.0` : `10.${(i >> 8) & 255}.${i & 255}.0`, len });
  }
  return out;
}

function decodeAll(msgs: Uint8Array[], opts: CodecOptions): UpdateMessage[] {
  const p = new BgpStreamParser(opts);
  return msgs.map((m) => {
    const items = p.push(m);
    const i = items[0];
    if (items.length !== 1 || i === undefined || !i.ok || i.message.type !== 'update' || i.problems !== undefined) {
      throw new Error(`bad item ${JSON.stringify(items)}`);
    }
    return i.message;
  });
}

t.test('one /32 announcement equals the dumb builder', async (t) => {
  const msgs = buildUpdates({ announce: [{ attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '10.0.0.1' }, prefixes: [{ afi: 1, addr: '172.16.1.1', len: 32 }] }], withdraw: [] }, FOUR);
  t.equal(msgs.length, 1);
  t.equal(toHex(msgs[0]!), toHex(update('', '40 01 01 00' + '40 02 06 02 01 0000fde9' + '40 03 04 0a000001', '20 ac100101')));
});

t.test('packing: as few UPDATEs as fit 4096 octets, every prefix once, none over the limit', async (t) => {
  const prefixes = v4(3000);
  const msgs = buildUpdates({ announce: [{ attributes: attrs, prefixes }], withdraw: [] }, FOUR);
  // Attributes: ORIGIN 4 + AS_PATH 3+10 + NEXT_HOP 7 + MED 7 = 31; room = 4096 - 23 - 31 = 4042 -> 1010 /24s (4 octets each).
  t.equal(msgs.length, Math.ceil(3000 / 1010));
  for (const m of msgs) t.ok(m.length <= 4096);
  t.equal(msgs[0]!.length, 23 + 31 + 1010 * 4);
  const decoded = decodeAll(msgs, FOUR);
  t.same(decoded.flatMap((u) => u.nlri), prefixes);
  for (const u of decoded) t.same(u.attributes, attrs);
});

t.test('extended message: up to 65535 octets', async (t) => {
  const prefixes = v4(30000);
  const msgs = buildUpdates({ announce: [{ attributes: attrs, prefixes }], withdraw: [] }, { ...FOUR, extendedMessage: true });
  t.equal(msgs.length, Math.ceil(30000 / Math.floor((65535 - 23 - 31) / 4)));
  for (const m of msgs) t.ok(m.length <= 65535);
  t.same(decodeAll(msgs, { ...FOUR, extendedMessage: true }).flatMap((u) => u.nlri), prefixes);
});

t.test('withdrawals: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH_NLRI, before announcements', async (t) => {
  const w6: Prefix[] = [];
  for (let i = 0; i < 600; i++) w6.push({ afi: 2, addr: `2001:db8:${(i + 1).toString(16)}::`, len: 48 });
  const msgs = buildUpdates({ announce: [{ attributes: attrs, prefixes: v4(1) }], withdraw: [...v4(1500, 16), ...w6] }, FOUR);
  const decoded = decodeAll(msgs, FOUR);
  // /16 = 3 octets; room 4096 - 23 = 4073 -> 1357 per UPDATE -> 2 UPDATEs. /48 = 7 octets; room 4096-23-4-3 = 4066 -> 580 -> 2.
  t.equal(decoded.length, 2 + 2 + 1);
  t.same(decoded.slice(0, 2).flatMap((u) => u.withdrawn), v4(1500, 16));
  t.same(decoded.slice(2, 4).flatMap((u) => u.attributes.mpUnreach?.withdrawn ?? []), w6);
  t.same(decoded[4]!.nlri, v4(1));
});

t.test('IPv6 announcements: MP_REACH_NLRI, no NEXT_HOP, attributes in type order', async (t) => {
  const prefixes: Prefix[] = [];
  for (let i = 0; i < 1000; i++) prefixes.push({ afi: 2, addr: `2001:db8:${(i + 1).toString(16)}::`, len: 48 });
  const a: PathAttributes = { ...attrs, communities: [1], largeCommunities: [{ globalAdmin: 1, local1: 2, local2: 3 }] };
  const msgs = buildUpdates({ announce: [{ attributes: a, prefixes, ipv6NextHops: ['2001:db8::1', 'fe80::1'] }], withdraw: [] }, FOUR);
  for (const m of msgs) t.ok(m.length <= 4096);
  const decoded = decodeAll(msgs, FOUR);
  t.same(decoded.flatMap((u) => u.attributes.mpReach?.nlri ?? []), prefixes);
  const { nextHop: _nh, ...rest } = a;
  void _nh;
  for (const u of decoded) {
    t.equal(u.attributes.nextHop, undefined);
    t.same({ ...u.attributes, mpReach: undefined }, { ...rest, mpReach: undefined });
    t.same(u.attributes.mpReach?.nextHops, ['2001:db8::1', 'fe80::1']);
  }
  // Type order on the wire: 1 2 4 8 14 32.
  const first = msgs[0]!;
  const types: number[] = [];
  let o = 23;
  while (o < first.length) {
    const flags = first[o]!;
    types.push(first[o + 1]!);
    const len = flags & 0x10 ? (first[o + 2]! << 8) | first[o + 3]! : first[o + 2]!;
    o += (flags & 0x10 ? 4 : 3) + len;
  }
  t.same(types, [1, 2, 4, 8, 14, 32]);
  // The same message built by encodeMessage from the decoded model is byte-identical.
  t.equal(toHex(encodeMessage(decoded[0]!, FOUR)), toHex(first));
});

t.test('2-octet session: AS_TRANS and AS4_PATH generated (RFC 6793 4.2.2)', async (t) => {
  const two: CodecOptions = { fourOctetAs: false, extendedMessage: false };
  const msgs = buildUpdates({ announce: [{ attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [4200000001] }], nextHop: '10.0.0.1' }, prefixes: v4(1) }], withdraw: [] }, two);
  t.equal(toHex(msgs[0]!), toHex(update('', '40 01 01 00' + '40 02 04 02 01 5ba0' + '40 03 04 0a000001' + 'c0 11 06 02 01 fa56ea01', '18 0a0000')));
  t.same(decodeAll(msgs, two)[0]!.attributes.asPath, [{ type: 'sequence', asns: [4200000001] }]);
});

t.test('ADD-PATH send: path ids written', async (t) => {
  const opts: CodecOptions = { ...FOUR, addPathSend: new Set(['1/1']), addPathReceive: new Set(['1/1']) };
  const prefixes = v4(2).map((p, i) => ({ ...p, pathId: i + 1 }));
  const msgs = buildUpdates({ announce: [{ attributes: attrs, prefixes }], withdraw: [] }, opts);
  t.same(decodeAll(msgs, opts)[0]!.nlri, prefixes);
});

t.test('caller errors are clear', async (t) => {
  t.throws(() => buildUpdates({ announce: [{ attributes: { origin: 0, asPath: [] }, prefixes: v4(1) }], withdraw: [] }, FOUR), /nextHop/);
  t.throws(() => buildUpdates({ announce: [{ attributes: attrs, prefixes: [{ afi: 2, addr: '2001:db8::', len: 32 }] }], withdraw: [] }, FOUR), /ipv6NextHops/);
  t.throws(() => buildUpdates({ announce: [{ attributes: attrs, prefixes: [{ afi: 1, addr: '10.0.0.300', len: 24 }] }], withdraw: [] }, FOUR), /invalid IPv4/);
  const huge: PathAttributes = { ...attrs, communities: Array.from({ length: 1100 }, (_, i) => i) };
  t.throws(() => buildUpdates({ announce: [{ attributes: huge, prefixes: v4(1) }], withdraw: [] }, FOUR), RangeError);
  t.same(buildUpdates({ announce: [], withdraw: [] }, FOUR), []);
});

t.test('encodeMessage refuses a message over the maximum', async (t) => {
  const m: UpdateMessage = { type: 'update', withdrawn: [], attributes: attrs, nlri: v4(1100) };
  t.throws(() => encodeMessage(m, FOUR), RangeError);
  t.doesNotThrow(() => encodeMessage(m, { ...FOUR, extendedMessage: true }));
});

t.test('End-of-RIB (RFC 4724 2)', async (t) => {
  t.equal(toHex(encodeMessage(endOfRib(1, 1), FOUR)), toHex(update('', '', '')));
  t.equal(toHex(encodeMessage(endOfRib(2, 1), FOUR)), toHex(update('', '80 0f 03 0002 01', '')));
  const [v4eor, v6eor] = decodeAll([encodeMessage(endOfRib(1, 1), FOUR), encodeMessage(endOfRib(2, 1), FOUR)], FOUR);
  t.ok(isEndOfRib(v4eor!));
  t.same(endOfRibFamily(v6eor!), { afi: 2, safi: 1 });
  t.notOk(isEndOfRib({ type: 'update', withdrawn: v4(1), attributes: {}, nlri: [] }));
  t.notOk(isEndOfRib({ type: 'update', withdrawn: [], attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [{ afi: 2, addr: '::', len: 0 }] } }, nlri: [] }));
});

t.test('Extended Length is set exactly when a value exceeds 255 octets', async (t) => {
  const comms = (n: number) => Array.from({ length: n }, (_, i) => 0xfde90000 + i);
  const hexComms = (n: number) => comms(n).map((c) => c.toString(16).padStart(8, '0')).join('');
  const base = '40 01 01 00' + '40 02 06 02 01 0000fde9' + '40 03 04 0a000001';
  for (const [n, header] of [[63, 'c0 08 fc'], [64, 'd0 08 0100']] as const) {
    const m: UpdateMessage = { type: 'update', withdrawn: [], attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '10.0.0.1', communities: comms(n) }, nlri: [{ afi: 1, addr: '10.0.0.0', len: 8 }] };
    t.equal(toHex(encodeMessage(m, FOUR)), toHex(update('', base + header + hexComms(n), '08 0a')), `${n} communities`);
    t.same(decodeAll([encodeMessage(m, FOUR)], FOUR)[0], m);
  }
});

t.test('an IPv4 next hop for IPv6 prefixes is sent IPv4-mapped (as FRR does)', async (t) => {
  const msgs = buildUpdates({ announce: [{ attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }] }, prefixes: [{ afi: 2, addr: '2001:db8::', len: 32 }], ipv6NextHops: ['10.255.2.1'] }], withdraw: [] }, FOUR);
  t.equal(toHex(msgs[0]!), toHex(update('', '40 01 01 00' + '40 02 06 02 01 0000fde9' + '80 0e 1a 0002 01 10 00000000000000000000ffff0aff0201 00 20 20010db8', '')));
  t.same(decodeAll(msgs, FOUR)[0]!.attributes.mpReach?.nextHops, ['::ffff:aff:201']);
});

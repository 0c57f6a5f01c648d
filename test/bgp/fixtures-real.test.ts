/**
 * Fixtures captured from real BIRD, GoBGP, FRR and ExaBGP sessions
 * (scripts/capture-bgp-fixtures.sh; commented field by field in
 * test/fixtures/bgp/real by test/fixtures/bgp/annotate.py). Each is checked
 * four ways: parse (against a model written by hand here), encode (byte for
 * byte where the daemon lays the message out as we do; otherwise the same
 * fields and attributes, with the difference named), round trip, and broken
 * variants with their exact error.
 */
import t from 'tap';
import {
  BgpStreamParser,
  describeNotification,
  encodeMessage,
  isEndOfRib,
  type AsPathSegment,
  type BgpMessage,
  type CodecOptions,
  type OpenMessage,
  type Prefix,
  type UpdateMessage,
} from '../../src/bgp/index.js';
import { declaredLength, fixture, hex, openShape, toHex, updateShape } from './helpers.js';

const FOUR: CodecOptions = { fourOctetAs: true, extendedMessage: true };
const GOBGP: CodecOptions = { ...FOUR, addPathReceive: new Set(['1/1']), addPathSend: new Set(['1/1']) };
const TWO: CodecOptions = { fourOctetAs: false, extendedMessage: true };

const seq = (...asns: number[]): AsPathSegment[] => [{ type: 'sequence', asns }];
const pfx = (s: string, pathId?: number): Prefix => {
  const [addr, len] = s.split('/') as [string, string];
  const p: Prefix = { afi: addr.includes(':') ? 2 : 1, addr, len: Number(len) };
  if (pathId !== undefined) p.pathId = pathId;
  return p;
};
const upd = (u: Partial<UpdateMessage>): UpdateMessage => ({ type: 'update', withdrawn: [], attributes: {}, nlri: [], ...u });
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const KEEPALIVE: BgpMessage = { type: 'keepalive' };

type Encode =
  | 'exact'
  /** Same fields and attributes, laid out differently (order, Extended Length bit, parameter grouping). */
  | { same: true; why: string }
  /** Attributes the codec does not re-emit (type codes), and why. */
  | { dropped: number[]; why: string };

interface Case {
  file: string;
  opts: CodecOptions;
  model: BgpMessage;
  encode: Encode;
}

const birdOpen: OpenMessage = {
  type: 'open', version: 4, myAs: 65001, holdTime: 90, bgpId: '10.255.1.1',
  capabilities: [
    { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
    { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
    { code: 2, name: 'route-refresh' },
    { code: 6, name: 'extended-message' },
    { code: 64, name: 'graceful-restart', restartFlags: 0, restartTime: 120, families: [
      { afi: 1, safi: 1, forwardingPreserved: false }, { afi: 2, safi: 1, forwardingPreserved: false }] },
    { code: 65, name: 'four-octet-as', asn: 65001 },
    { code: 69, name: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }] },
    { code: 70, name: 'enhanced-route-refresh' },
  ],
};

const gobgpOpen: OpenMessage = {
  type: 'open', version: 4, myAs: 23456, holdTime: 90, bgpId: '10.255.1.2',
  capabilities: [
    { code: 2, name: 'route-refresh' },
    { code: 73, name: 'unknown', value: hex('02 766d 00') }, // FQDN "vm"
    { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
    { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
    { code: 65, name: 'four-octet-as', asn: 4200000002 },
    { code: 5, name: 'unknown', value: hex('0001 0001 0002') }, // extended next hop (RFC 8950)
    { code: 69, name: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 2 }] },
  ],
};

const frrOpen: OpenMessage = {
  type: 'open', version: 4, myAs: 23456, holdTime: 90, bgpId: '10.255.2.1',
  capabilities: [
    { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
    { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
    { code: 128, name: 'unknown', value: new Uint8Array(0) },
    { code: 2, name: 'route-refresh' },
    { code: 70, name: 'enhanced-route-refresh' },
    { code: 65, name: 'four-octet-as', asn: 4200000003 },
    { code: 6, name: 'extended-message' },
    { code: 69, name: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }, { afi: 2, safi: 1, sendReceive: 1 }] },
    { code: 73, name: 'unknown', value: hex('06 667272636170 00') }, // FQDN "frrcap"
    { code: 64, name: 'graceful-restart', restartFlags: 0xc, restartTime: 120, families: [
      { afi: 1, safi: 1, forwardingPreserved: false }, { afi: 2, safi: 1, forwardingPreserved: false }] },
    { code: 71, name: 'unknown', value: hex('0001 01 80 000000 0002 01 80 000000') }, // long-lived GR
  ],
};

const exabgpOpen: OpenMessage = {
  type: 'open', version: 4, myAs: 65010, holdTime: 90, bgpId: '10.255.2.2',
  capabilities: [
    { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
    { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
    { code: 64, name: 'graceful-restart', restartFlags: 0x8, restartTime: 120, families: [
      { afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: true }] },
    { code: 2, name: 'route-refresh' },
    { code: 70, name: 'enhanced-route-refresh' },
    { code: 6, name: 'extended-message' },
  ],
};

const PARAM_PER_CAP = { same: true as const, why: 'the daemon sends one optional parameter per capability; we send one for all' };
const FRR_EXT = { same: true as const, why: 'FRR sets Extended Length on AS_PATH, AS4_PATH and MP_(UN)REACH_NLRI even when short, and puts MP_REACH_NLRI first' };

const cases: Case[] = [
  // ------------------------------------------------------------ BIRD 2.0.12 -> GoBGP
  { file: 'bird-01-open.hex', opts: FOUR, model: birdOpen, encode: 'exact' },
  { file: 'bird-02-keepalive.hex', opts: FOUR, model: KEEPALIVE, encode: 'exact' },
  { file: 'bird-03-update.hex', opts: FOUR, encode: 'exact', model: upd({
    attributes: { origin: 0, asPath: seq(65001), nextHop: '10.255.1.1', communities: [0xfde90064],
      largeCommunities: [{ globalAdmin: 65001, local1: 1, local2: 2 }] },
    nlri: [pfx('10.10.2.128/25'), pfx('10.10.0.0/24'), pfx('10.10.1.0/24')] }) },
  { file: 'bird-04-update.hex', opts: FOUR, encode: 'exact', model: upd({
    attributes: { origin: 0, asPath: seq(65001), nextHop: '10.255.1.1' }, nlri: [pfx('10.10.9.0/24')] }) },
  { file: 'bird-05-update.hex', opts: FOUR, encode: 'exact', model: upd({}) },
  { file: 'bird-06-update.hex', opts: FOUR, model: upd({ attributes: {
    mpReach: { afi: 2, safi: 1, nextHops: ['fd00:255:1::1', 'fe80::48fa:10ff:fedc:2dec'], nlri: [pfx('2001:db8:11::/48'), pfx('2001:db8:10::/48')] },
    origin: 0, asPath: seq(65001) } }),
    encode: { same: true, why: 'BIRD puts MP_REACH_NLRI first, with Extended Length' } },
  { file: 'bird-07-update.hex', opts: FOUR, encode: 'exact', model: upd({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } } }) },
  { file: 'bird-08-update.hex', opts: FOUR, encode: 'exact', model: upd({ withdrawn: [pfx('10.10.9.0/24')] }) },
  { file: 'bird-09-update.hex', opts: FOUR, model: upd({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [pfx('2001:db8:11::/48'), pfx('2001:db8:10::/48')] } } }),
    encode: { same: true, why: 'BIRD sets Extended Length on MP_UNREACH_NLRI' } },
  { file: 'bird-10-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 0, safi: 1 } },
  { file: 'bird-11-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 2, subtype: 0, safi: 1 } },
  { file: 'bird-12-notification.hex', opts: FOUR, encode: 'exact', model: { type: 'notification', code: 6, subcode: 2,
    data: Uint8Array.of(28, ...text('maintenance: BIRD going away')) } },
  // ------------------------------------------------------------ GoBGP 3.10 -> BIRD (ADD-PATH on IPv4)
  { file: 'gobgp-01-open.hex', opts: FOUR, model: gobgpOpen, encode: 'exact' },
  { file: 'gobgp-03-update.hex', opts: GOBGP, model: upd({
    attributes: { origin: 0, asPath: seq(4200000002), nextHop: '10.255.1.2', med: 20, communities: [0x10680001, 0xffffff01] },
    nlri: [pfx('10.20.0.0/24', 1)] }),
    encode: { dropped: [26], why: 'AIGP (26) is optional non-transitive and unknown to us: RFC 4271 9 says ignore it' } },
  { file: 'gobgp-04-update.hex', opts: GOBGP, model: upd({
    attributes: { origin: 2, asPath: seq(4200000002, 4200000009, 65099), largeCommunities: [{ globalAdmin: 4200000002, local1: 7, local2: 8 }], nextHop: '10.255.1.2' },
    nlri: [pfx('10.20.1.0/24', 1)] }),
    encode: { same: true, why: 'GoBGP writes LARGE_COMMUNITY (32) before NEXT_HOP (3)' } },
  { file: 'gobgp-05-update.hex', opts: GOBGP, encode: 'exact', model: upd({ attributes: {
    origin: 2, asPath: seq(4200000002), mpReach: { afi: 2, safi: 1, nextHops: ['fd00:255:1::2'], nlri: [pfx('2001:db8:20::/48')] } } }) },
  { file: 'gobgp-06-update.hex', opts: GOBGP, encode: 'exact', model: upd({ withdrawn: [pfx('10.20.1.0/24', 1)] }) },
  { file: 'gobgp-07-update.hex', opts: GOBGP, encode: 'exact', model: upd({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [pfx('2001:db8:20::/48')] } } }) },
  // ------------------------------------------------------------ ExaBGP 4.2.21 -> FRR (2-octet AS session)
  { file: 'exabgp-01-open.hex', opts: TWO, model: exabgpOpen, encode: PARAM_PER_CAP },
  { file: 'exabgp-03-update.hex', opts: TWO, encode: 'exact', model: upd({
    attributes: { origin: 1, asPath: seq(65010, 65020), nextHop: '10.255.2.2', med: 50, atomicAggregate: true,
      aggregator: { asn: 65010, address: '10.255.2.2' }, communities: [0xfdf20001, 0xfdf20002],
      extendedCommunities: [hex('0002 fdf2 00000007')] },
    nlri: [pfx('10.40.0.0/24')] }) },
  { file: 'exabgp-04-update.hex', opts: TWO, encode: 'exact', model: upd({ attributes: {
    origin: 0, asPath: seq(65010), mpReach: { afi: 2, safi: 1, nextHops: ['fd00:255:2::2'], nlri: [pfx('2001:db8:40::/48')] } } }) },
  { file: 'exabgp-05-update.hex', opts: TWO, encode: 'exact', model: upd({}) },
  { file: 'exabgp-06-update.hex', opts: TWO, model: upd({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } } }),
    encode: { same: true, why: 'ExaBGP sets Extended Length on the End-of-RIB MP_UNREACH_NLRI' } },
  { file: 'exabgp-07-notification.hex', opts: TWO, encode: 'exact', model: { type: 'notification', code: 1, subcode: 0,
    data: text('can not decode update message of type "3"') } },
  // ------------------------------------------------------------ FRR 8.4.4 -> ExaBGP (FRR is AS 4200000003, the peer is OLD)
  { file: 'frr-01-open.hex', opts: TWO, model: frrOpen, encode: PARAM_PER_CAP },
  { file: 'frr-03-update.hex', opts: TWO, encode: FRR_EXT, model: upd({
    // RFC 6793 4.2.3: AS_PATH 23456 + AS4_PATH 4200000003 -> 4200000003
    attributes: { origin: 0, asPath: seq(4200000003), nextHop: '10.255.2.1', med: 0 },
    nlri: [pfx('10.30.0.0/24'), pfx('10.30.99.0/24'), pfx('10.30.1.0/24')] }) },
  { file: 'frr-04-update.hex', opts: TWO, encode: FRR_EXT, model: upd({ attributes: {
    mpReach: { afi: 2, safi: 1, nextHops: ['::ffff:aff:201'], nlri: [pfx('2001:db8:30::/48')] },
    origin: 0, asPath: seq(4200000003), med: 0 } }) },
  { file: 'frr-05-update.hex', opts: TWO, model: upd({
    // RFC 6793 4.2.3: AGGREGATOR is 65010, not AS_TRANS, so AS4_PATH is ignored and AS_PATH is the path.
    attributes: { origin: 1, asPath: seq(23456, 65010, 65020), nextHop: '10.255.2.1', atomicAggregate: true,
      aggregator: { asn: 65010, address: '10.255.2.2' }, communities: [0xfdf20001, 0xfdf20002],
      extendedCommunities: [hex('0002 fdf2 00000007')] },
    nlri: [pfx('10.40.0.0/24')] }),
    encode: { dropped: [17], why: 'AS4_PATH is ignored on receipt (RFC 6793 4.2.3, AGGREGATOR not AS_TRANS), so not re-sent' } },
  { file: 'frr-06-update.hex', opts: TWO, encode: FRR_EXT, model: upd({ attributes: {
    mpReach: { afi: 2, safi: 1, nextHops: ['::ffff:aff:201'], nlri: [pfx('2001:db8:40::/48')] },
    origin: 0, asPath: seq(4200000003, 65010) } }) },
  { file: 'frr-07-update.hex', opts: TWO, encode: 'exact', model: upd({}) },
  { file: 'frr-08-update.hex', opts: TWO, encode: 'exact', model: upd({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } } }) },
  { file: 'frr-09-update.hex', opts: TWO, encode: 'exact', model: upd({ withdrawn: [pfx('10.30.99.0/24')] }) },
  { file: 'frr-10-update.hex', opts: TWO, encode: FRR_EXT, model: upd({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [pfx('2001:db8:30::/48')] } } }) },
  { file: 'frr-11-route-refresh.hex', opts: TWO, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 0, safi: 1 } },
  { file: 'frr-12-route-refresh.hex', opts: TWO, encode: 'exact', model: { type: 'route-refresh', afi: 2, subtype: 0, safi: 1 } },
  { file: 'frr-13-update.hex', opts: TWO, encode: FRR_EXT, model: upd({
    attributes: { origin: 0, asPath: seq(4200000003), nextHop: '10.255.2.1', med: 0 },
    nlri: [pfx('10.30.0.0/24'), pfx('10.30.1.0/24')] }) },
  { file: 'frr-14-notification.hex', opts: TWO, encode: 'exact', model: { type: 'notification', code: 6, subcode: 2,
    data: Uint8Array.of(15, ...text('FRR maintenance')) } },
  // ------------------------------------------------------------ BIRD 2.0.12 <-> FRR 8.4.4, enhanced route refresh (RFC 7313)
  { file: 'bird-err-01-open.hex', opts: FOUR, encode: 'exact', model: {
    type: 'open', version: 4, myAs: 65003, holdTime: 240, bgpId: '10.255.3.1', capabilities: [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 2, name: 'route-refresh' },
      { code: 64, name: 'graceful-restart', restartFlags: 0, restartTime: 120, families: [] },
      { code: 65, name: 'four-octet-as', asn: 65003 },
      { code: 70, name: 'enhanced-route-refresh' },
      { code: 71, name: 'unknown', value: new Uint8Array(0) },
    ] } },
  { file: 'bird-err-03-update.hex', opts: FOUR, encode: 'exact', model: upd({
    attributes: { origin: 0, asPath: seq(65003), nextHop: '10.255.3.1' }, nlri: [pfx('10.50.1.0/24'), pfx('10.50.0.0/24')] }) },
  { file: 'bird-err-05-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 0, safi: 1 } },
  { file: 'bird-err-06-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 1, safi: 1 } },
  { file: 'bird-err-07-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 2, safi: 1 } },
  { file: 'frr-err-01-open.hex', opts: FOUR, encode: PARAM_PER_CAP, model: {
    type: 'open', version: 4, myAs: 65004, holdTime: 180, bgpId: '10.255.3.2', capabilities: [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 128, name: 'unknown', value: new Uint8Array(0) },
      { code: 2, name: 'route-refresh' },
      { code: 70, name: 'enhanced-route-refresh' },
      { code: 65, name: 'four-octet-as', asn: 65004 },
      { code: 6, name: 'extended-message' },
      { code: 69, name: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }] },
      { code: 73, name: 'unknown', value: hex('06 667272657272 00') }, // FQDN "frrerr"
      { code: 64, name: 'graceful-restart', restartFlags: 0xc, restartTime: 120, families: [] },
      { code: 71, name: 'unknown', value: hex('0001 01 80 000000') },
    ] } },
  { file: 'frr-err-03-update.hex', opts: FOUR, encode: FRR_EXT, model: upd({
    // FRR passes BIRD's route back with its own AS prepended (no sender-side loop check).
    attributes: { origin: 0, asPath: seq(65004, 65003), nextHop: '10.255.3.2' }, nlri: [pfx('10.50.0.0/24'), pfx('10.50.1.0/24')] }) },
  { file: 'frr-err-04-update.hex', opts: FOUR, encode: FRR_EXT, model: upd({
    attributes: { origin: 0, asPath: seq(65004), nextHop: '10.255.3.2', med: 0 }, nlri: [pfx('10.60.0.0/24')] }) },
  { file: 'frr-err-06-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 1, safi: 1 } },
  { file: 'frr-err-07-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 2, safi: 1 } },
  { file: 'frr-err-08-route-refresh.hex', opts: FOUR, encode: 'exact', model: { type: 'route-refresh', afi: 1, subtype: 0, safi: 1 } },
];

function parse(bytes: Uint8Array, opts: CodecOptions): BgpMessage {
  const items = new BgpStreamParser(opts).push(bytes);
  const item = items[0];
  if (items.length !== 1 || item === undefined || !item.ok) throw new Error(`expected one message, got ${JSON.stringify(items)}`);
  if (item.problems !== undefined) throw new Error(`unexpected problems: ${JSON.stringify(item.problems)}`);
  return item.message;
}

for (const c of cases) {
  t.test(`real/${c.file}`, async (t) => {
    const bytes = fixture(`real/${c.file}`);
    t.equal(declaredLength(bytes), bytes.length, 'fixture is one whole message');
    const got = parse(bytes, c.opts);
    t.same(got, c.model, 'parse');
    const ours = encodeMessage(c.model, c.opts);
    if (c.encode === 'exact') {
      t.equal(toHex(ours), toHex(bytes), 'encode: byte for byte');
    } else if (c.model.type === 'open') {
      t.same(openShape(ours), openShape(bytes), `encode: same fields and capabilities (${c.encode.why})`);
      t.not(toHex(ours), toHex(bytes));
    } else if ('same' in c.encode) {
      t.same(updateShape(ours), updateShape(bytes), `encode: same fields and attributes (${c.encode.why})`);
      t.not(toHex(ours), toHex(bytes), 'and the layout difference is real');
    } else {
      const theirs = updateShape(bytes);
      const dropped = c.encode.dropped;
      t.same(updateShape(ours), { ...theirs, attributes: theirs.attributes.filter((a) => !dropped.includes(Number(a.split('/')[0]))) },
        `encode: same except ${dropped.join(', ')} (${c.encode.why})`);
    }
    t.same(parse(ours, c.opts), c.model, 'round trip');
  });
}

t.test('what the captures say when read as a session would', async (t) => {
  t.equal(describeNotification(parse(fixture('real/bird-12-notification.hex'), FOUR) as never),
    'Cease/Administrative Shutdown: "maintenance: BIRD going away"');
  t.equal(describeNotification(parse(fixture('real/frr-14-notification.hex'), TWO) as never),
    'Cease/Administrative Shutdown: "FRR maintenance"');
  for (const f of ['bird-05-update.hex', 'bird-07-update.hex', 'frr-07-update.hex', 'frr-08-update.hex', 'exabgp-06-update.hex']) {
    t.ok(isEndOfRib(parse(fixture(`real/${f}`), FOUR) as UpdateMessage), `${f} is End-of-RIB`);
  }
  t.notOk(isEndOfRib(parse(fixture('real/bird-08-update.hex'), FOUR) as UpdateMessage));
  // A whole capture replayed as one TCP stream, in chunks of 7 octets.
  const stream = Buffer.concat(cases.filter((c) => c.file.startsWith('bird')).map((c) => fixture(`real/${c.file}`)));
  const p = new BgpStreamParser(FOUR);
  const items = [];
  for (let i = 0; i < stream.length; i += 7) items.push(...p.push(stream.subarray(i, i + 7)));
  t.same(items.map((i) => i.ok && i.message), cases.filter((c) => c.file.startsWith('bird')).map((c) => c.model));
});

t.test('broken variants of real messages', async (t) => {
  const fatal = (b: Uint8Array, opts: CodecOptions) => {
    const items = new BgpStreamParser(opts).push(b);
    const last = items[items.length - 1];
    if (last === undefined || last.ok) throw new Error(`expected an error, got ${JSON.stringify(items)}`);
    return last.error;
  };
  // GoBGP's ADD-PATH UPDATE read without ADD-PATH: the path id 00000001 parses as prefixes
  // (RFC 7911 6 warns of exactly this): negotiation, not guessing, decides the format.
  const g = fixture('real/gobgp-03-update.hex');
  const items = new BgpStreamParser(FOUR).push(g);
  t.same(items[0]?.ok && (items[0].message as UpdateMessage).nlri,
    [pfx('0.0.0.0/0'), pfx('0.0.0.0/0'), pfx('0.0.0.0/0'), pfx('0.0.0.0/1'), pfx('20.0.0.0/10')]);

  // BIRD's OPEN with version 3: decodes; validation (not decoding) refuses it.
  const o = fixture('real/bird-01-open.hex');
  o[19] = 3;
  t.match(parse(o, FOUR), { type: 'open', version: 3 });

  // FRR's UPDATE with its ORIGIN value set to 5: treat-as-withdraw of all three prefixes.
  const f = fixture('real/frr-03-update.hex');
  const at = toHex(f).indexOf('40010100') / 2;
  f[at + 3] = 5;
  const r = new BgpStreamParser(TWO).push(f)[0];
  t.match(r, { ok: true, problems: [{ typeCode: 1, action: 'treat-as-withdraw', subcode: 6 }] });
  t.same(r?.ok && r.message, upd({ withdrawn: [pfx('10.30.0.0/24'), pfx('10.30.99.0/24'), pfx('10.30.1.0/24')] }));

  // BIRD's MP_REACH_NLRI with next hop length 31: session reset 3/9, data = the attribute.
  const b = fixture('real/bird-06-update.hex');
  b[23 + 7] = 31; // flags, type, 2-octet length, AFI (2), SAFI, next hop length
  const e = fatal(b, FOUR);
  t.match(e, { code: 3, subcode: 9, attributeType: 14 });
  t.equal(e.data.length, 4 + 51);

  // ExaBGP's NOTIFICATION cut to 20 octets: Bad Message Length.
  const n = fixture('real/exabgp-07-notification.hex').slice(0, 20);
  n[17] = 20;
  t.match(fatal(n, TWO), { code: 1, subcode: 2 });
  t.equal(toHex(fatal(n, TWO).data), '0014');

  // ExaBGP's End-of-RIB: MP_UNREACH_NLRI length 2 (AFI only): session reset.
  const x = fixture('real/exabgp-06-update.hex');
  x[26] = 2;
  x[22] = 6;
  x[17] = x[17]! - 1;
  t.match(fatal(x.subarray(0, x.length - 1), TWO), { code: 3, subcode: 9, attributeType: 15 });
});

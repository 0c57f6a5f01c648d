/** fast-check generators of valid, canonical BGP messages (shared by the property tests and the fuzz run). */
import fc from 'fast-check';
import {
  formatIpv6,
  type AsPathSegment,
  type BgpMessage,
  type Capability,
  type CodecOptions,
  type OpenMessage,
  type PathAttributes,
  type Prefix,
  type UpdateMessage,
} from '../../src/bgp/index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ip4 = (min = 0, max = 255) =>
  fc.tuple(fc.integer({ min, max }), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
export const unicast4 = ip4(1, 223);
export const ip6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));

function masked(bytes: Uint8Array, len: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

export const prefix4 = (addPath: boolean): fc.Arbitrary<Prefix> =>
  fc.record({ b: fc.uint8Array({ minLength: 4, maxLength: 4 }), len: fc.integer({ min: 0, max: 32 }), id: u32 }).map(({ b, len, id }) => {
    const m = masked(b, len);
    const p: Prefix = { afi: 1, addr: `${m[0]}.${m[1]}.${m[2]}.${m[3]}`, len };
    if (addPath) p.pathId = id;
    return p;
  });

export const prefix6 = (addPath: boolean): fc.Arbitrary<Prefix> =>
  fc.record({ b: fc.uint8Array({ minLength: 16, maxLength: 16 }), len: fc.integer({ min: 0, max: 128 }), id: u32 }).map(({ b, len, id }) => {
    const p: Prefix = { afi: 2, addr: formatIpv6(masked(b, len)), len };
    if (addPath) p.pathId = id;
    return p;
  });

const segment = (asn: fc.Arbitrary<number>, confed: boolean): fc.Arbitrary<AsPathSegment> =>
  fc.record({
    type: confed ? fc.constantFrom('sequence', 'set', 'confed-sequence', 'confed-set') : fc.constantFrom('sequence', 'set'),
    asns: fc.array(asn, { minLength: 1, maxLength: 12 }),
  }) as fc.Arbitrary<AsPathSegment>;

const KNOWN_ATTRS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);

function attributes(opts: CodecOptions, reach: boolean): fc.Arbitrary<PathAttributes> {
  const four = opts.fourOctetAs;
  // On a 2-octet session confederation segments cannot travel in AS4_PATH (RFC 6793 6),
  // and an AGGREGATOR AS below 65536 makes the receiver ignore AS4_PATH (RFC 6793 4.2.3).
  const asPath = fc.array(segment(u32, four), { minLength: reach ? 1 : 0, maxLength: 4 });
  const addPath6 = opts.addPathSend?.has('2/1') ?? false;
  return fc.record(
    {
      origin: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
      asPath,
      nextHop: unicast4,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: fc.record({ asn: four ? u32 : fc.integer({ min: 65536, max: 0xffffffff }), address: ip4() }),
      communities: fc.array(u32, { minLength: 1, maxLength: 8 }),
      extendedCommunities: fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
      largeCommunities: fc.array(fc.record({ globalAdmin: u32, local1: u32, local2: u32 }), { minLength: 1, maxLength: 4 }),
      mpReach: fc.record({
        afi: fc.constant(2),
        safi: fc.constant(1),
        nextHops: fc.array(ip6, { minLength: 1, maxLength: 2 }),
        nlri: fc.array(prefix6(addPath6), { minLength: reach ? 1 : 0, maxLength: 20 }),
      }),
      mpUnreach: fc.record({ afi: fc.constant(2), safi: fc.constant(1), withdrawn: fc.array(prefix6(addPath6), { maxLength: 20 }) }),
      unknown: fc
        .uniqueArray(fc.integer({ min: 19, max: 255 }).filter((t) => !KNOWN_ATTRS.has(t)), { minLength: 1, maxLength: 3 })
        .chain((types) =>
          fc.tuple(...types.sort((a, b) => a - b).map((typeCode) =>
            fc.uint8Array({ maxLength: 300 }).map((value) => ({ flags: 0xe0, typeCode, value })))),
        ),
    },
    { requiredKeys: reach ? ['origin', 'asPath', 'nextHop'] : [] },
  ).map((a) => {
    const out = a as PathAttributes;
    if (out.asPath !== undefined && out.asPath.length === 0 && reach) out.asPath = [{ type: 'sequence', asns: [1] }];
    return out;
  });
}

export function updateArb(opts: CodecOptions): fc.Arbitrary<UpdateMessage> {
  const addPath4 = opts.addPathSend?.has('1/1') ?? false;
  return fc.oneof(
    // Announcements (with every attribute possible)
    fc.record({
      withdrawn: fc.array(prefix4(addPath4), { maxLength: 30 }),
      attributes: attributes(opts, true),
      nlri: fc.array(prefix4(addPath4), { maxLength: 30 }),
    }),
    // Withdrawals only
    fc.record({
      withdrawn: fc.array(prefix4(addPath4), { maxLength: 60 }),
      attributes: fc.constant({} as PathAttributes),
      nlri: fc.constant([] as Prefix[]),
    }),
  ).map((u) => ({ type: 'update' as const, ...u }));
}

const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ code: fc.constant(1), name: fc.constant('multiprotocol'), afi: fc.integer({ min: 1, max: 3 }), safi: fc.integer({ min: 1, max: 2 }) }),
  fc.constant({ code: 2, name: 'route-refresh' }),
  fc.constant({ code: 6, name: 'extended-message' }),
  fc.constant({ code: 70, name: 'enhanced-route-refresh' }),
  fc.record({ code: fc.constant(65), name: fc.constant('four-octet-as'), asn: u32 }),
  fc.record({
    code: fc.constant(64),
    name: fc.constant('graceful-restart'),
    restartFlags: fc.nat(15),
    restartTime: fc.nat(4095),
    families: fc.array(fc.record({ afi: fc.nat(65535), safi: fc.nat(255), forwardingPreserved: fc.boolean() }), { maxLength: 3 }),
  }),
  fc.record({
    code: fc.constant(69),
    name: fc.constant('add-path'),
    families: fc.array(fc.record({ afi: fc.nat(65535), safi: fc.nat(255), sendReceive: fc.constantFrom(1, 2, 3) }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ code: fc.integer({ min: 100, max: 127 }), name: fc.constant('unknown'), value: fc.uint8Array({ maxLength: 12 }) }),
) as fc.Arbitrary<Capability>;

export const openArb: fc.Arbitrary<OpenMessage> = fc
  .record({
    version: fc.nat(255),
    myAs: fc.nat(65535),
    holdTime: fc.nat(65535),
    bgpId: ip4(),
    capabilities: fc.array(capability, { maxLength: 8 }),
    otherParams: fc.array(fc.record({ type: fc.constantFrom(1, 3, 200), value: fc.uint8Array({ maxLength: 8 }) }), { maxLength: 2 }),
    extendedParams: fc.boolean(),
  })
  .map((o) => {
    const m: OpenMessage = { type: 'open', version: o.version, myAs: o.myAs, holdTime: o.holdTime, bgpId: o.bgpId, capabilities: o.capabilities };
    if (o.otherParams.length > 0) m.otherParams = o.otherParams;
    if (o.extendedParams) m.extendedParams = true;
    return m;
  });

export function messageArb(opts: CodecOptions): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    { arbitrary: updateArb(opts), weight: 4 },
    { arbitrary: openArb, weight: 1 },
    { arbitrary: fc.record({ type: fc.constant('notification' as const), code: fc.nat(255), subcode: fc.nat(255), data: fc.uint8Array({ maxLength: 64 }) }), weight: 1 },
    { arbitrary: fc.constant({ type: 'keepalive' as const }), weight: 1 },
    { arbitrary: fc.record({ type: fc.constant('route-refresh' as const), afi: fc.nat(65535), subtype: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, safi: fc.nat(255) }), weight: 1 },
  );
}

export const optionsArb: fc.Arbitrary<CodecOptions> = fc
  .record({ fourOctetAs: fc.boolean(), addPath4: fc.boolean(), addPath6: fc.boolean() })
  .map(({ fourOctetAs, addPath4, addPath6 }) => {
    const fams = new Set<string>([...(addPath4 ? ['1/1'] : []), ...(addPath6 ? ['2/1'] : [])]);
    return { fourOctetAs, extendedMessage: true, addPathSend: fams, addPathReceive: fams };
  });

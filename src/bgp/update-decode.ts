/**
 * UPDATE decoding (RFC 4271 4.3) with the revised error handling of RFC 7606:
 * each problem is classified as session reset (thrown as BgpMessageError),
 * treat-as-withdraw or attribute discard (returned as UpdateProblem with the
 * message already adjusted).
 */
import { formatIpv6, readIpv4 } from './address.js';
import { decodeAsPath, mergeAs4Path } from './as-path.js';
import { AS_TRANS, AttrFlag, AttrType, ErrorCode, UpdateSubcode, attrTypeName } from './constants.js';
import { BgpMessageError, EMPTY, type UpdateProblem, copyBytes } from './errors.js';
import { decodeNlri } from './nlri.js';
import {
  AFI_IPV4,
  AFI_IPV6,
  SAFI_UNICAST,
  type Afi,
  type CodecOptions,
  type LargeCommunity,
  type PathAttributes,
  type Prefix,
  type RawAttribute,
  type UpdateMessage,
} from './types.js';

// Local copies: imported bindings are slower to read in hot loops under some loaders.
const AT = AttrType;
const US = UpdateSubcode;
const EC = ErrorCode;
const AF = AttrFlag;

export interface DecodedUpdate {
  message: UpdateMessage;
  problems: UpdateProblem[];
}

const O = AF.OPTIONAL;
const T = AF.TRANSITIVE;

/** RFC 4271 5 / RFC 4760 / RFC 6793 / RFC 8092: the Optional and Transitive bits each known attribute must carry. */
const EXPECTED_FLAGS: Readonly<Record<number, number>> = {
  [AT.ORIGIN]: T,
  [AT.AS_PATH]: T,
  [AT.NEXT_HOP]: T,
  [AT.MULTI_EXIT_DISC]: O,
  [AT.LOCAL_PREF]: T,
  [AT.ATOMIC_AGGREGATE]: T,
  [AT.AGGREGATOR]: O | T,
  [AT.COMMUNITIES]: O | T,
  [AT.MP_REACH_NLRI]: O,
  [AT.MP_UNREACH_NLRI]: O,
  [AT.EXTENDED_COMMUNITIES]: O | T,
  [AT.AS4_PATH]: O | T,
  [AT.AS4_AGGREGATOR]: O | T,
  [AT.LARGE_COMMUNITY]: O | T,
};

export function familyKey(afi: number, safi: number): string {
  return `${afi}/${safi}`;
}

const KEY_IPV4_UNICAST = familyKey(AFI_IPV4, SAFI_UNICAST);

function rd32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Decodes the UPDATE body in buf[start, end). Throws BgpMessageError for a session reset. */
export function decodeUpdate(buf: Uint8Array, start: number, end: number, opts: CodecOptions): DecodedUpdate {
  const problems: UpdateProblem[] = [];
  const addPath4 = opts.addPathReceive?.has(KEY_IPV4_UNICAST) ?? false;

  // RFC 4271 6.3: lengths that overrun the message -> Malformed Attribute List.
  const wrLen = (buf[start]! << 8) | buf[start + 1]!;
  const wrStart = start + 2;
  const wrEnd = wrStart + wrLen;
  if (wrEnd + 2 > end) {
    throw new BgpMessageError(EC.UPDATE_MESSAGE, US.MALFORMED_ATTRIBUTE_LIST, EMPTY,
      `Withdrawn Routes Length ${wrLen} overruns the message`);
  }
  const attrLen = (buf[wrEnd]! << 8) | buf[wrEnd + 1]!;
  const aStart = wrEnd + 2;
  const aEnd = aStart + attrLen;
  if (aEnd > end) {
    throw new BgpMessageError(EC.UPDATE_MESSAGE, US.MALFORMED_ATTRIBUTE_LIST, EMPTY,
      `Total Path Attribute Length ${attrLen} overruns the message`);
  }

  // RFC 7606 5.3: a syntactically incorrect Withdrawn Routes or NLRI field is a session reset.
  const withdrawn: Prefix[] = [];
  let err = decodeNlri(buf, wrStart, wrEnd, AFI_IPV4, addPath4, withdrawn);
  if (err !== null) {
    throw new BgpMessageError(EC.UPDATE_MESSAGE, US.INVALID_NETWORK_FIELD, EMPTY, `Withdrawn Routes: ${err}`);
  }
  const nlri: Prefix[] = [];
  err = decodeNlri(buf, aEnd, end, AFI_IPV4, addPath4, nlri);
  if (err !== null) {
    throw new BgpMessageError(EC.UPDATE_MESSAGE, US.INVALID_NETWORK_FIELD, EMPTY, `NLRI: ${err}`);
  }

  const attributes: PathAttributes = {};
  if (++generation > 0xfffffff0) {
    SEEN.fill(0);
    PRESENT.fill(0);
    generation = 1;
  }
  const ctx: AttrContext = { opts, problems, withdraw: false, gen: generation };
  decodeAttributes(buf, aStart, aEnd, attributes, ctx);
  // Unknown attributes in type-code order, the order they are sent in (RFC 4271 5).
  attributes.unknown?.sort((a, b) => a.typeCode - b.typeCode);

  const hasReach = nlri.length > 0 || (attributes.mpReach !== undefined && attributes.mpReach.nlri.length > 0);
  if (hasReach) {
    // RFC 7606 3(e): a missing well-known mandatory attribute -> treat-as-withdraw.
    const required: number[] = [AT.ORIGIN, AT.AS_PATH];
    if (nlri.length > 0) required.push(AT.NEXT_HOP);
    for (const t of required) {
      if (PRESENT[t] !== ctx.gen) {
        taw(ctx, t, `missing well-known attribute ${attrTypeName(t)}`, US.MISSING_WELL_KNOWN_ATTRIBUTE, Uint8Array.of(t));
      }
    }
  }
  // RFC 4271 6.3 / RFC 7606 7.3: a NEXT_HOP that is not a unicast host address is
  // semantically incorrect -> treat-as-withdraw. RFC 4760 3: ignored when no NLRI field.
  if (nlri.length > 0 && attributes.nextHop !== undefined && !isUnicastV4(attributes.nextHop)) {
    taw(ctx, AT.NEXT_HOP, `NEXT_HOP ${attributes.nextHop} is not a unicast host address`, US.INVALID_NEXT_HOP_ATTRIBUTE, EMPTY);
  }

  if (!opts.fourOctetAs) mergeFourOctet(attributes);

  let message: UpdateMessage = { type: 'update', withdrawn, attributes, nlri };
  if (ctx.withdraw) message = treatAsWithdraw(message);
  return { message, problems };
}

function isUnicastV4(a: string): boolean {
  const first = Number(a.slice(0, a.indexOf('.')));
  // 0.0.0.0/8 is "this network"; 224/4 multicast; 240/4 reserved and broadcast.
  return first !== 0 && first < 224;
}

/** RFC 7606 2: treat-as-withdraw: every prefix the UPDATE announces is withdrawn instead. */
export function treatAsWithdraw(m: UpdateMessage): UpdateMessage {
  // IPv4 unicast prefixes go to Withdrawn Routes, IPv6 unicast ones to MP_UNREACH_NLRI
  // (the only families decoded), whichever attribute they came in.
  const withdrawn = [...m.withdrawn, ...m.nlri];
  const v6: Prefix[] = [];
  const un = m.attributes.mpUnreach;
  const reach = m.attributes.mpReach;
  for (const list of [un?.withdrawn, reach?.nlri]) {
    for (const p of list ?? []) (p.afi === AFI_IPV4 ? withdrawn : v6).push(p);
  }
  // Keep an IPv6 MP_UNREACH_NLRI even when empty (it may be the End-of-RIB the peer sent).
  const keepV6 = v6.length > 0 || (un !== undefined && un.afi === AFI_IPV6);
  const attributes: PathAttributes = keepV6 ? { mpUnreach: { afi: AFI_IPV6, safi: SAFI_UNICAST, withdrawn: v6 } } : {};
  return { type: 'update', withdrawn, attributes, nlri: [] };
}

/**
 * Per type code, the stamp of the last decode that met it (duplicates are
 * discarded, RFC 7606 3(g)) and that had it present even if malformed (for the
 * missing-attribute check). Stamps instead of fresh arrays per UPDATE.
 */
const SEEN = new Uint32Array(256);
const PRESENT = new Uint32Array(256);
let generation = 0;

interface AttrContext {
  opts: CodecOptions;
  problems: UpdateProblem[];
  withdraw: boolean;
  /** This decode's stamp in SEEN / PRESENT. */
  gen: number;
}

function taw(ctx: AttrContext, typeCode: number, reason: string, subcode: number, data: Uint8Array): void {
  ctx.withdraw = true;
  ctx.problems.push({ typeCode, action: 'treat-as-withdraw', reason, code: EC.UPDATE_MESSAGE, subcode, data });
}

function discard(ctx: AttrContext, typeCode: number, reason: string, subcode: number, data: Uint8Array): void {
  ctx.problems.push({ typeCode, action: 'attribute-discard', reason, code: EC.UPDATE_MESSAGE, subcode, data });
}

function reset(typeCode: number, subcode: number, data: Uint8Array, reason: string): BgpMessageError {
  return new BgpMessageError(EC.UPDATE_MESSAGE, subcode, data, reason, typeCode);
}

function decodeAttributes(buf: Uint8Array, start: number, end: number, attrs: PathAttributes, ctx: AttrContext): void {
  const { opts } = ctx;
  let o = start;
  while (o < end) {
    const flags = buf[o]!;
    const ext = (flags & AF.EXTENDED_LENGTH) !== 0;
    const hdr = ext ? 4 : 3;
    if (end - o < hdr) {
      // RFC 7606 4: too few octets for an attribute header -> treat-as-withdraw.
      taw(ctx, end - o >= 2 ? buf[o + 1]! : 0, `${end - o} trailing octets cannot hold an attribute header`,
        US.MALFORMED_ATTRIBUTE_LIST, EMPTY);
      return;
    }
    const type = buf[o + 1]!;
    const len = ext ? (buf[o + 2]! << 8) | buf[o + 3]! : buf[o + 2]!;
    const v = o + hdr;
    const vEnd = v + len;
    if (vEnd > end) {
      // RFC 7606 4: attribute length overruns Total Path Attribute Length -> treat-as-withdraw.
      taw(ctx, type, `${attrTypeName(type)} length ${len} overruns the path attributes by ${vEnd - end} octets`,
        US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, o, end));
      return;
    }
    const attrStart = o;
    o = vEnd;

    if (SEEN[type] === ctx.gen) {
      if (type === AT.MP_REACH_NLRI || type === AT.MP_UNREACH_NLRI) {
        // RFC 7606 3(g): MP_REACH/MP_UNREACH more than once -> Malformed Attribute List.
        throw reset(type, US.MALFORMED_ATTRIBUTE_LIST, EMPTY, `${attrTypeName(type)} appears more than once`);
      }
      // RFC 7606 3(g): other repeated attributes: all but the first are discarded.
      discard(ctx, type, `${attrTypeName(type)} appears more than once; later copies discarded`, US.MALFORMED_ATTRIBUTE_LIST, EMPTY);
      continue;
    }
    SEEN[type] = ctx.gen;

    const expected = EXPECTED_FLAGS[type];
    if (expected === undefined) {
      decodeUnknown(flags, type, buf, attrStart, v, vEnd, attrs, ctx);
      continue;
    }
    PRESENT[type] = ctx.gen;
    if ((flags & (O | T)) !== expected) {
      // RFC 7606 3(c): Optional/Transitive bits in conflict -> treat-as-withdraw.
      taw(ctx, type, `${attrTypeName(type)} flags 0x${flags.toString(16)} conflict with the attribute type`,
        US.ATTRIBUTE_FLAGS_ERROR, copyBytes(buf, attrStart, vEnd));
      // MP_REACH is still parsed below so that its prefixes can be withdrawn.
      if (type !== AT.MP_REACH_NLRI && type !== AT.MP_UNREACH_NLRI) continue;
    }

    switch (type) {
      case AT.ORIGIN:
        // RFC 7606 7.1
        if (len !== 1) taw(ctx, type, `ORIGIN length ${len}, expected 1`, US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, attrStart, vEnd));
        else if (buf[v]! > 2) taw(ctx, type, `ORIGIN value ${buf[v]!} undefined`, US.INVALID_ORIGIN_ATTRIBUTE, copyBytes(buf, attrStart, vEnd));
        else attrs.origin = buf[v] as 0 | 1 | 2;
        break;
      case AT.AS_PATH: {
        // RFC 7606 7.2: malformed AS_PATH -> treat-as-withdraw.
        const path = decodeAsPath(buf, v, vEnd, opts.fourOctetAs ? 4 : 2);
        if (typeof path === 'string') taw(ctx, type, `AS_PATH: ${path}`, US.MALFORMED_AS_PATH, EMPTY);
        else attrs.asPath = path;
        break;
      }
      case AT.NEXT_HOP:
        // RFC 7606 7.3
        if (len !== 4) taw(ctx, type, `NEXT_HOP length ${len}, expected 4`, US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, attrStart, vEnd));
        else attrs.nextHop = readIpv4(buf, v);
        break;
      case AT.MULTI_EXIT_DISC:
        // RFC 7606 7.4
        if (len !== 4) taw(ctx, type, `MULTI_EXIT_DISC length ${len}, expected 4`, US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, attrStart, vEnd));
        else attrs.med = rd32(buf, v);
        break;
      case AT.LOCAL_PREF:
        // RFC 7606 7.5 (dropping it on eBGP sessions is the session's call: the codec does not know the peer type)
        if (len !== 4) taw(ctx, type, `LOCAL_PREF length ${len}, expected 4`, US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, attrStart, vEnd));
        else attrs.localPref = rd32(buf, v);
        break;
      case AT.ATOMIC_AGGREGATE:
        // RFC 7606 7.6: wrong length -> attribute discard.
        if (len !== 0) discard(ctx, type, `ATOMIC_AGGREGATE length ${len}, expected 0`, US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, attrStart, vEnd));
        else attrs.atomicAggregate = true;
        break;
      case AT.AGGREGATOR: {
        // RFC 7606 7.7: wrong length -> attribute discard. 6 octets, or 8 with 4-octet AS (RFC 6793 3).
        const want = opts.fourOctetAs ? 8 : 6;
        if (len !== want) discard(ctx, type, `AGGREGATOR length ${len}, expected ${want}`, US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, attrStart, vEnd));
        else if (want === 8) attrs.aggregator = { asn: rd32(buf, v), address: readIpv4(buf, v + 4) };
        else attrs.aggregator = { asn: (buf[v]! << 8) | buf[v + 1]!, address: readIpv4(buf, v + 2) };
        break;
      }
      case AT.COMMUNITIES:
        // RFC 7606 7.8: length not a non-zero multiple of 4 -> treat-as-withdraw.
        if (len === 0 || len % 4 !== 0) {
          taw(ctx, type, `COMMUNITIES length ${len}, expected a non-zero multiple of 4`, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd));
        } else {
          const list: number[] = [];
          for (let p = v; p < vEnd; p += 4) list.push(rd32(buf, p));
          attrs.communities = list;
        }
        break;
      case AT.EXTENDED_COMMUNITIES:
        // RFC 7606 7.14: length not a non-zero multiple of 8 -> treat-as-withdraw.
        if (len === 0 || len % 8 !== 0) {
          taw(ctx, type, `EXTENDED_COMMUNITIES length ${len}, expected a non-zero multiple of 8`, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd));
        } else {
          const list: Uint8Array[] = [];
          for (let p = v; p < vEnd; p += 8) list.push(copyBytes(buf, p, p + 8));
          attrs.extendedCommunities = list;
        }
        break;
      case AT.LARGE_COMMUNITY:
        // RFC 8092 6: length not a non-zero multiple of 12 -> treat-as-withdraw.
        if (len === 0 || len % 12 !== 0) {
          taw(ctx, type, `LARGE_COMMUNITY length ${len}, expected a non-zero multiple of 12`, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd));
        } else {
          const list: LargeCommunity[] = [];
          for (let p = v; p < vEnd; p += 12) list.push({ globalAdmin: rd32(buf, p), local1: rd32(buf, p + 4), local2: rd32(buf, p + 8) });
          attrs.largeCommunities = list;
        }
        break;
      case AT.AS4_PATH: {
        if (opts.fourOctetAs) {
          // RFC 6793 3: a NEW speaker does not send AS4_PATH to a NEW speaker; discard it.
          discard(ctx, type, 'AS4_PATH received on a 4-octet AS session', US.OPTIONAL_ATTRIBUTE_ERROR, EMPTY);
          break;
        }
        const path = decodeAsPath(buf, v, vEnd, 4);
        if (typeof path === 'string') {
          // RFC 7606 7.7 / RFC 6793 6: malformed AS4_PATH -> attribute discard.
          discard(ctx, type, `AS4_PATH: ${path}`, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd));
          break;
        }
        // RFC 6793 6: confederation segments must not be in AS4_PATH; drop them.
        const clean = path.filter((s) => s.type === 'sequence' || s.type === 'set');
        if (clean.length !== path.length) {
          discard(ctx, type, 'AS4_PATH carried confederation segments; they were dropped', US.OPTIONAL_ATTRIBUTE_ERROR, EMPTY);
        }
        attrs.as4Path = clean;
        break;
      }
      case AT.AS4_AGGREGATOR:
        if (opts.fourOctetAs) {
          discard(ctx, type, 'AS4_AGGREGATOR received on a 4-octet AS session', US.OPTIONAL_ATTRIBUTE_ERROR, EMPTY);
        } else if (len !== 8) {
          discard(ctx, type, `AS4_AGGREGATOR length ${len}, expected 8`, US.ATTRIBUTE_LENGTH_ERROR, copyBytes(buf, attrStart, vEnd));
        } else {
          attrs.as4Aggregator = { asn: rd32(buf, v), address: readIpv4(buf, v + 4) };
        }
        break;
      case AT.MP_REACH_NLRI:
        decodeMpReach(buf, attrStart, v, vEnd, attrs, ctx);
        break;
      case AT.MP_UNREACH_NLRI:
        decodeMpUnreach(buf, attrStart, v, vEnd, attrs, ctx);
        break;
    }
  }
}

function decodeUnknown(
  flags: number,
  type: number,
  buf: Uint8Array,
  attrStart: number,
  v: number,
  vEnd: number,
  attrs: PathAttributes,
  ctx: AttrContext,
): void {
  if ((flags & O) === 0) {
    // RFC 4271 6.3: an unrecognized well-known attribute -> Unrecognized Well-known Attribute, data = the attribute.
    throw reset(type, US.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, copyBytes(buf, attrStart, vEnd),
      `unrecognized well-known attribute ${type}`);
  }
  if ((flags & T) === 0) {
    // RFC 4271 9: unrecognized optional non-transitive attributes are quietly ignored.
    void ctx;
    return;
  }
  // RFC 4271 5: unrecognized optional transitive attributes are passed on with the Partial bit set.
  const raw: RawAttribute = { flags: (flags | AF.PARTIAL) & ~AF.EXTENDED_LENGTH & 0xf0, typeCode: type, value: copyBytes(buf, v, vEnd) };
  (attrs.unknown ??= []).push(raw);
}

function supportedFamily(afi: number, safi: number): afi is Afi {
  return (afi === AFI_IPV4 || afi === AFI_IPV6) && safi === SAFI_UNICAST;
}

function decodeMpReach(buf: Uint8Array, attrStart: number, v: number, vEnd: number, attrs: PathAttributes, ctx: AttrContext): void {
  const type = AT.MP_REACH_NLRI;
  // RFC 4760 3: AFI (2) SAFI (1) Next Hop Length (1) Next Hop (var) Reserved (1) NLRI (var)
  // RFC 7606 7.11: a malformed MP_REACH_NLRI -> session reset (we do not implement AFI/SAFI disable).
  if (vEnd - v < 5) throw reset(type, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd), `MP_REACH_NLRI length ${vEnd - v} is too short`);
  const afi = (buf[v]! << 8) | buf[v + 1]!;
  const safi = buf[v + 2]!;
  const nhLen = buf[v + 3]!;
  const nhStart = v + 4;
  const nlriStart = nhStart + nhLen + 1;
  if (nlriStart > vEnd) throw reset(type, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd), `MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`);
  if (!supportedFamily(afi, safi)) {
    // RFC 4760 6: a family that was not negotiated; we cannot read its NLRI, so the
    // (non-transitive) attribute is dropped and reported.
    discard(ctx, type, `MP_REACH_NLRI for unsupported AFI ${afi} SAFI ${safi}`, US.OPTIONAL_ATTRIBUTE_ERROR, EMPTY);
    return;
  }
  const nextHops: string[] = [];
  if (afi === AFI_IPV6) {
    // RFC 2545 3: 16 octets global, or 32: global then link-local.
    if (nhLen !== 16 && nhLen !== 32) throw reset(type, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd), `IPv6 next hop length ${nhLen}, expected 16 or 32`);
    nextHops.push(formatIpv6(buf, nhStart));
    if (nhLen === 32) nextHops.push(formatIpv6(buf, nhStart + 16));
  } else {
    if (nhLen !== 4) throw reset(type, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd), `IPv4 next hop length ${nhLen}, expected 4`);
    nextHops.push(readIpv4(buf, nhStart));
  }
  const nlri: Prefix[] = [];
  const err = decodeNlri(buf, nlriStart, vEnd, afi, ctx.opts.addPathReceive?.has(familyKey(afi, safi)) ?? false, nlri);
  if (err !== null) throw reset(type, US.INVALID_NETWORK_FIELD, EMPTY, `MP_REACH_NLRI: ${err}`);
  attrs.mpReach = { afi, safi, nextHops, nlri };
}

function decodeMpUnreach(buf: Uint8Array, attrStart: number, v: number, vEnd: number, attrs: PathAttributes, ctx: AttrContext): void {
  const type = AT.MP_UNREACH_NLRI;
  // RFC 4760 4: AFI (2) SAFI (1) Withdrawn Routes (var)
  if (vEnd - v < 3) throw reset(type, US.OPTIONAL_ATTRIBUTE_ERROR, copyBytes(buf, attrStart, vEnd), `MP_UNREACH_NLRI length ${vEnd - v} is too short`);
  const afi = (buf[v]! << 8) | buf[v + 1]!;
  const safi = buf[v + 2]!;
  if (!supportedFamily(afi, safi)) {
    discard(ctx, type, `MP_UNREACH_NLRI for unsupported AFI ${afi} SAFI ${safi}`, US.OPTIONAL_ATTRIBUTE_ERROR, EMPTY);
    return;
  }
  const withdrawn: Prefix[] = [];
  const err = decodeNlri(buf, v + 3, vEnd, afi, ctx.opts.addPathReceive?.has(familyKey(afi, safi)) ?? false, withdrawn);
  if (err !== null) throw reset(type, US.INVALID_NETWORK_FIELD, EMPTY, `MP_UNREACH_NLRI: ${err}`);
  attrs.mpUnreach = { afi, safi, withdrawn };
}

/**
 * RFC 6793 4.2.3: on a session without the 4-octet AS capability, rebuild the
 * 4-octet path from AS_PATH and AS4_PATH (and AGGREGATOR from AS4_AGGREGATOR).
 * AS4_PATH/AS4_AGGREGATOR do not stay in the model: asPath is the true path.
 */
function mergeFourOctet(attrs: PathAttributes): void {
  const as4Path = attrs.as4Path;
  const as4Agg = attrs.as4Aggregator;
  delete attrs.as4Path;
  delete attrs.as4Aggregator;
  if (attrs.aggregator !== undefined && attrs.aggregator.asn !== AS_TRANS) {
    // The aggregating speaker was an OLD one: AS4_AGGREGATOR and AS4_PATH are ignored.
    return;
  }
  if (attrs.aggregator !== undefined && as4Agg !== undefined) attrs.aggregator = as4Agg;
  if (as4Path !== undefined && attrs.asPath !== undefined) attrs.asPath = mergeAs4Path(attrs.asPath, as4Path);
}

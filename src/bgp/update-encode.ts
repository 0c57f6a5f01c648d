/**
 * UPDATE encoding (RFC 4271 4.3). Path attributes are written in ascending
 * type-code order (RFC 4271 5: SHOULD), each with the Extended Length bit set
 * only when its value is longer than 255 octets. On a session without the
 * 4-octet AS capability, AS numbers above 65535 become AS_TRANS and AS4_PATH /
 * AS4_AGGREGATOR carry the real ones (RFC 6793 4.2.2).
 */
import { parseIpv4, writeIpv4, writeIpv6 } from './address.js';
import { hasFourOctetAsn, writeAsPath } from './as-path.js';
import { AS_TRANS, AttrFlag, AttrType } from './constants.js';
import { familyKey } from './update-decode.js';
import { writePrefix } from './nlri.js';
import {
  AFI_IPV4,
  AFI_IPV6,
  SAFI_UNICAST,
  type Aggregator,
  type CodecOptions,
  type PathAttributes,
  type Prefix,
  type RawAttribute,
  type UpdateMessage,
} from './types.js';
import type { Writer } from './writer.js';

// Local copies: imported bindings are slower to read in hot loops under some loaders.
const AT = AttrType;
const AF = AttrFlag;

const O = AF.OPTIONAL;
const T = AF.TRANSITIVE;
const KEY_IPV4_UNICAST = familyKey(AFI_IPV4, SAFI_UNICAST);

function u32ok(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TypeError(`${what} ${n} is not a 32-bit unsigned integer`);
  return n;
}

/**
 * Starts an attribute: flags, type, and a 2-octet length placeholder.
 * endAttr() patches the length and, when it fits one octet, drops the
 * Extended Length bit and shifts the value left by one octet.
 */
export function beginAttr(w: Writer, flags: number, type: number): number {
  w.u8((flags & 0xe0) | AF.EXTENDED_LENGTH).u8(type);
  const at = w.reserve(2);
  return at;
}

export function endAttr(w: Writer, at: number): void {
  const len = w.pos - (at + 2);
  if (len > 0xffff) throw new RangeError(`path attribute ${w.buf[at - 1]} is ${len} octets, more than 65535`);
  if (len <= 255) {
    w.buf[at - 2] = w.buf[at - 2]! & ~AF.EXTENDED_LENGTH;
    w.buf[at] = len;
    w.buf.copyWithin(at + 1, at + 2, w.pos);
    w.pos -= 1;
  } else {
    w.patch16(at, len);
  }
}

function writeAggregator(w: Writer, type: number, a: Aggregator, asnSize: 2 | 4): void {
  const at = beginAttr(w, O | T, type);
  u32ok(a.asn, 'AGGREGATOR AS');
  if (asnSize === 4) w.u32(a.asn);
  else w.u16(a.asn > 0xffff ? AS_TRANS : a.asn);
  w.ensure(4);
  writeIpv4(a.address, w.buf, w.pos);
  w.pos += 4;
  endAttr(w, at);
}

/** Writes MP_REACH_NLRI's fixed part (AFI, SAFI, next hops, reserved) after its header. */
export function writeMpReachHead(w: Writer, afi: number, safi: number, nextHops: readonly string[]): void {
  w.u16(afi).u8(safi);
  if (afi === AFI_IPV6) {
    if (nextHops.length < 1 || nextHops.length > 2) throw new TypeError(`IPv6 MP_REACH_NLRI needs 1 or 2 next hops, got ${nextHops.length}`);
    w.u8(16 * nextHops.length);
    for (const nh of nextHops) {
      w.ensure(16);
      if (parseIpv4(nh) >= 0) {
        // An IPv4 next hop for IPv6 NLRI (a session with no IPv6 address): sent as the
        // IPv4-mapped IPv6 address (RFC 4291 2.5.5.2), as FRR does.
        w.buf.fill(0, w.pos, w.pos + 10);
        w.buf[w.pos + 10] = 0xff;
        w.buf[w.pos + 11] = 0xff;
        writeIpv4(nh, w.buf, w.pos + 12);
      } else {
        writeIpv6(nh, w.buf, w.pos);
      }
      w.pos += 16;
    }
  } else if (afi === AFI_IPV4) {
    if (nextHops.length !== 1) throw new TypeError(`IPv4 MP_REACH_NLRI needs 1 next hop, got ${nextHops.length}`);
    w.u8(4);
    w.ensure(4);
    writeIpv4(nextHops[0]!, w.buf, w.pos);
    w.pos += 4;
  } else {
    throw new TypeError(`unsupported MP_REACH_NLRI AFI ${afi}`);
  }
  w.u8(0); // RFC 4760 3: Reserved
}

function writePrefixes(w: Writer, prefixes: readonly Prefix[], afi: number, addPath: boolean): void {
  for (const p of prefixes) {
    if (p.afi !== afi) throw new TypeError(`prefix ${p.addr}/${p.len} (AFI ${p.afi}) in an AFI ${afi} field`);
    w.ensure(21);
    w.pos = writePrefix(p, w.buf, w.pos, addPath);
  }
}

const ALL = (): boolean => true;
const NO_UNKNOWN: readonly RawAttribute[] = [];

/** Cursor over the unknown attributes, written in type-code order between the known ones. */
interface UnknownCursor {
  list: readonly RawAttribute[];
  i: number;
}

function flushUnknown(c: UnknownCursor, upTo: number, w: Writer, filter: (type: number) => boolean): void {
  while (c.i < c.list.length && c.list[c.i]!.typeCode < upTo) {
    const u = c.list[c.i++]!;
    if (!filter(u.typeCode)) continue;
    const at = beginAttr(w, u.flags, u.typeCode);
    w.bytes(u.value);
    endAttr(w, at);
  }
}

/**
 * Writes the path attributes whose type code passes `filter` (all by default),
 * in ascending type-code order.
 */
export function writeAttributes(
  a: PathAttributes,
  w: Writer,
  opts: CodecOptions,
  filter: (type: number) => boolean = ALL,
): void {
  const asnSize = opts.fourOctetAs ? 4 : 2;
  const c: UnknownCursor = {
    list: a.unknown === undefined || a.unknown.length === 0 ? NO_UNKNOWN : [...a.unknown].sort((x, y) => x.typeCode - y.typeCode),
    i: 0,
  };
  const want = (type: number): boolean => {
    if (c.list.length > 0) flushUnknown(c, type + 1, w, filter);
    return filter === ALL || filter(type);
  };

  if (a.origin !== undefined && want(AT.ORIGIN)) {
    if (a.origin !== 0 && a.origin !== 1 && a.origin !== 2) throw new TypeError(`invalid ORIGIN ${String(a.origin)}`);
    const at = beginAttr(w, T, AT.ORIGIN);
    w.u8(a.origin);
    endAttr(w, at);
  }
  if (a.asPath !== undefined && want(AT.AS_PATH)) {
    const at = beginAttr(w, T, AT.AS_PATH);
    writeAsPath(a.asPath, w, asnSize);
    endAttr(w, at);
  }
  if (a.nextHop !== undefined && want(AT.NEXT_HOP)) {
    const at = beginAttr(w, T, AT.NEXT_HOP);
    w.ensure(4);
    writeIpv4(a.nextHop, w.buf, w.pos);
    w.pos += 4;
    endAttr(w, at);
  }
  if (a.med !== undefined && want(AT.MULTI_EXIT_DISC)) {
    const at = beginAttr(w, O, AT.MULTI_EXIT_DISC);
    w.u32(u32ok(a.med, 'MULTI_EXIT_DISC'));
    endAttr(w, at);
  }
  if (a.localPref !== undefined && want(AT.LOCAL_PREF)) {
    const at = beginAttr(w, T, AT.LOCAL_PREF);
    w.u32(u32ok(a.localPref, 'LOCAL_PREF'));
    endAttr(w, at);
  }
  if (a.atomicAggregate === true && want(AT.ATOMIC_AGGREGATE)) {
    endAttr(w, beginAttr(w, T, AT.ATOMIC_AGGREGATE));
  }
  if (a.aggregator !== undefined && want(AT.AGGREGATOR)) writeAggregator(w, AT.AGGREGATOR, a.aggregator, asnSize);
  if (a.communities !== undefined && a.communities.length > 0 && want(AT.COMMUNITIES)) {
    const at = beginAttr(w, O | T, AT.COMMUNITIES);
    for (const c of a.communities) w.u32(u32ok(c, 'community'));
    endAttr(w, at);
  }
  if (a.mpReach !== undefined && want(AT.MP_REACH_NLRI)) {
    const r = a.mpReach;
    const at = beginAttr(w, O, AT.MP_REACH_NLRI);
    writeMpReachHead(w, r.afi, r.safi, r.nextHops);
    writePrefixes(w, r.nlri, r.afi, opts.addPathSend?.has(familyKey(r.afi, r.safi)) ?? false);
    endAttr(w, at);
  }
  if (a.mpUnreach !== undefined && want(AT.MP_UNREACH_NLRI)) {
    const u = a.mpUnreach;
    const at = beginAttr(w, O, AT.MP_UNREACH_NLRI);
    w.u16(u.afi).u8(u.safi);
    writePrefixes(w, u.withdrawn, u.afi, opts.addPathSend?.has(familyKey(u.afi, u.safi)) ?? false);
    endAttr(w, at);
  }
  if (a.extendedCommunities !== undefined && a.extendedCommunities.length > 0 && want(AT.EXTENDED_COMMUNITIES)) {
    const at = beginAttr(w, O | T, AT.EXTENDED_COMMUNITIES);
    for (const c of a.extendedCommunities) {
      if (c.length !== 8) throw new TypeError(`extended community of ${c.length} octets, expected 8`);
      w.bytes(c);
    }
    endAttr(w, at);
  }
  if (!opts.fourOctetAs) {
    // RFC 6793 4.2.2: towards an OLD speaker, carry 4-octet AS numbers in AS4_PATH
    // (without confederation segments) and AS4_AGGREGATOR.
    let as4Path = a.as4Path;
    if (as4Path === undefined && a.asPath !== undefined && hasFourOctetAsn(a.asPath)) {
      as4Path = a.asPath.filter((s) => s.type === 'sequence' || s.type === 'set');
    }
    if (as4Path !== undefined && as4Path.length > 0 && want(AT.AS4_PATH)) {
      const at = beginAttr(w, O | T, AT.AS4_PATH);
      writeAsPath(as4Path, w, 4);
      endAttr(w, at);
    }
    let as4Agg = a.as4Aggregator;
    if (as4Agg === undefined && a.aggregator !== undefined && a.aggregator.asn > 0xffff) as4Agg = a.aggregator;
    if (as4Agg !== undefined && want(AT.AS4_AGGREGATOR)) writeAggregator(w, AT.AS4_AGGREGATOR, as4Agg, 4);
  }
  if (a.largeCommunities !== undefined && a.largeCommunities.length > 0 && want(AT.LARGE_COMMUNITY)) {
    const at = beginAttr(w, O | T, AT.LARGE_COMMUNITY);
    for (const c of a.largeCommunities) {
      w.u32(u32ok(c.globalAdmin, 'large community global administrator'));
      w.u32(u32ok(c.local1, 'large community local data part 1'));
      w.u32(u32ok(c.local2, 'large community local data part 2'));
    }
    endAttr(w, at);
  }
  flushUnknown(c, 256, w, filter);
}

/** Writes the UPDATE body (after the 19-octet header). */
export function writeUpdate(m: UpdateMessage, w: Writer, opts: CodecOptions): void {
  const addPath4 = opts.addPathSend?.has(KEY_IPV4_UNICAST) ?? false;
  const wr = w.reserve(2);
  writePrefixes(w, m.withdrawn, AFI_IPV4, addPath4);
  w.patch16(wr, w.pos - wr - 2);
  const al = w.reserve(2);
  writeAttributes(m.attributes, w, opts);
  const attrLen = w.pos - al - 2;
  if (attrLen > 0xffff) throw new RangeError(`path attributes are ${attrLen} octets, more than 65535`);
  w.patch16(al, attrLen);
  writePrefixes(w, m.nlri, AFI_IPV4, addPath4);
}

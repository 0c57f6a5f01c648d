/**
 * Wire form of prefixes (RFC 4271 4.3 NLRI / Withdrawn Routes, RFC 4760 5,
 * RFC 7911 3 ADD-PATH): [path id (4, ADD-PATH only)] length (1) prefix (ceil(len/8)).
 */
import { OCTET_STRINGS, formatIpv6, parseIpv4, parseIpv6Into } from './address.js';
import { AFI_IPV4, AFI_IPV6, type Afi, type Prefix } from './types.js';

const SCRATCH = new Uint8Array(16);

/** Mask for the last significant byte of a prefix of `len` bits. */
function lastMask(len: number): number {
  const r = len & 7;
  return r === 0 ? 0xff : (0xff << (8 - r)) & 0xff;
}

/**
 * Decodes prefixes from buf[start, end) into `out`. Host bits are cleared
 * (RFC 4271 4.3: "the value of trailing bits is irrelevant").
 * Returns null, or the reason the field is syntactically incorrect
 * (RFC 7606 5.3: a prefix length above the family maximum, or a field overrun).
 */
export function decodeNlri(
  buf: Uint8Array,
  start: number,
  end: number,
  afi: Afi,
  addPath: boolean,
  out: Prefix[],
): string | null {
  let o = start;
  const max = afi === AFI_IPV4 ? 32 : 128;
  while (o < end) {
    let pathId = 0;
    if (addPath) {
      if (o + 4 > end) return `ADD-PATH path identifier truncated at offset ${o - start}`;
      pathId = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
      o += 4;
      if (o >= end) return `prefix length missing after path identifier at offset ${o - start}`;
    }
    const len = buf[o]!;
    if (len > max) return `prefix length ${len} above ${max}`;
    const nbytes = (len + 7) >> 3;
    o++;
    if (o + nbytes > end) return `prefix of length ${len} overruns the field by ${o + nbytes - end} octets`;
    let addr: string;
    if (afi === AFI_IPV4) {
      let a = 0, b = 0, c = 0, d = 0;
      if (nbytes > 0) a = buf[o]!;
      if (nbytes > 1) b = buf[o + 1]!;
      if (nbytes > 2) c = buf[o + 2]!;
      if (nbytes > 3) d = buf[o + 3]!;
      if (nbytes > 0) {
        const m = lastMask(len);
        if (nbytes === 1) a &= m;
        else if (nbytes === 2) b &= m;
        else if (nbytes === 3) c &= m;
        else d &= m;
      }
      addr = OCTET_STRINGS[a]! + '.' + OCTET_STRINGS[b]! + '.' + OCTET_STRINGS[c]! + '.' + OCTET_STRINGS[d]!;
    } else {
      SCRATCH.fill(0);
      for (let i = 0; i < nbytes; i++) SCRATCH[i] = buf[o + i]!;
      if (nbytes > 0) SCRATCH[nbytes - 1] = SCRATCH[nbytes - 1]! & lastMask(len);
      addr = formatIpv6(SCRATCH, 0);
    }
    o += nbytes;
    out.push(addPath ? { afi, addr, len, pathId } : { afi, addr, len });
  }
  return null;
}

/** Octets one prefix takes on the wire. */
export function prefixWireLength(p: Prefix, addPath: boolean): number {
  return (addPath ? 5 : 1) + ((p.len + 7) >> 3);
}

/**
 * Writes one prefix at `off`; returns the offset after it. Throws a TypeError
 * for a prefix that does not fit its family (the caller's bug, not the peer's).
 */
export function writePrefix(p: Prefix, buf: Uint8Array, off: number, addPath: boolean): number {
  const len = p.len;
  if (addPath) {
    const id = p.pathId ?? 0;
    buf[off] = id >>> 24;
    buf[off + 1] = (id >>> 16) & 0xff;
    buf[off + 2] = (id >>> 8) & 0xff;
    buf[off + 3] = id & 0xff;
    off += 4;
  }
  const nbytes = (len + 7) >> 3;
  if (p.afi === AFI_IPV4) {
    if (!(len >= 0 && len <= 32 && Number.isInteger(len))) throw new TypeError(`invalid IPv4 prefix length ${len}`);
    const v = parseIpv4(p.addr);
    if (v < 0) throw new TypeError(`invalid IPv4 prefix address "${p.addr}"`);
    buf[off++] = len;
    if (nbytes > 0) buf[off] = v >>> 24;
    if (nbytes > 1) buf[off + 1] = (v >>> 16) & 0xff;
    if (nbytes > 2) buf[off + 2] = (v >>> 8) & 0xff;
    if (nbytes > 3) buf[off + 3] = v & 0xff;
  } else if (p.afi === AFI_IPV6) {
    if (!(len >= 0 && len <= 128 && Number.isInteger(len))) throw new TypeError(`invalid IPv6 prefix length ${len}`);
    if (!parseIpv6Into(p.addr, SCRATCH)) throw new TypeError(`invalid IPv6 prefix address "${p.addr}"`);
    buf[off++] = len;
    for (let i = 0; i < nbytes; i++) buf[off + i] = SCRATCH[i]!;
  } else {
    throw new TypeError(`unsupported prefix family ${String((p as Prefix).afi)}`);
  }
  if (nbytes > 0) buf[off + nbytes - 1] = buf[off + nbytes - 1]! & lastMask(len);
  return off + nbytes;
}

/**
 * AS_PATH / AS4_PATH segments (RFC 4271 4.3, RFC 5065 5, RFC 6793) and the
 * RFC 6793 4.2.3 reconstruction of the 4-octet path from AS_PATH and AS4_PATH.
 */
import { AS_TRANS, AsPathSegmentCode } from './constants.js';
import type { AsPathSegment, AsPathSegmentType } from './types.js';
import type { Writer } from './writer.js';

export const SEGMENT_TYPE_BY_CODE: Readonly<Record<number, AsPathSegmentType>> = {
  [AsPathSegmentCode.AS_SET]: 'set',
  [AsPathSegmentCode.AS_SEQUENCE]: 'sequence',
  [AsPathSegmentCode.AS_CONFED_SEQUENCE]: 'confed-sequence',
  [AsPathSegmentCode.AS_CONFED_SET]: 'confed-set',
};

export const SEGMENT_CODE_BY_TYPE: Readonly<Record<AsPathSegmentType, number>> = {
  set: AsPathSegmentCode.AS_SET,
  sequence: AsPathSegmentCode.AS_SEQUENCE,
  'confed-sequence': AsPathSegmentCode.AS_CONFED_SEQUENCE,
  'confed-set': AsPathSegmentCode.AS_CONFED_SET,
};

/**
 * Decodes segments from buf[start, end) with 2- or 4-octet AS numbers.
 * Returns the segments, or the reason the path is malformed (RFC 7606 7.2:
 * unknown segment type, zero-length segment, segment overrun or underrun).
 */
export function decodeAsPath(buf: Uint8Array, start: number, end: number, asnSize: 2 | 4): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  let o = start;
  while (o < end) {
    if (o + 2 > end) return 'segment header truncated';
    const type = SEGMENT_TYPE_BY_CODE[buf[o]!];
    if (type === undefined) return `unknown segment type ${buf[o]!}`;
    const count = buf[o + 1]!;
    if (count === 0) return 'zero-length segment';
    o += 2;
    if (o + count * asnSize > end) return `segment of ${count} AS numbers overruns the attribute`;
    const asns = new Array<number>(count);
    if (asnSize === 4) {
      for (let i = 0; i < count; i++, o += 4) {
        asns[i] = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
      }
    } else {
      for (let i = 0; i < count; i++, o += 2) asns[i] = (buf[o]! << 8) | buf[o + 1]!;
    }
    segments.push({ type, asns });
  }
  return segments;
}

/**
 * Writes segments with 2- or 4-octet AS numbers; AS numbers above 65535 become
 * AS_TRANS in the 2-octet form (RFC 6793 4.2.2). Segments longer than 255 AS
 * numbers are split, as the segment length is one octet.
 */
export function writeAsPath(segments: readonly AsPathSegment[], w: Writer, asnSize: 2 | 4): void {
  for (const seg of segments) {
    const code = SEGMENT_CODE_BY_TYPE[seg.type];
    if (code === undefined) throw new TypeError(`unknown AS_PATH segment type "${String(seg.type)}"`);
    if (seg.asns.length === 0) throw new TypeError('empty AS_PATH segment');
    for (let i = 0; i < seg.asns.length; i += 255) {
      const chunk = Math.min(255, seg.asns.length - i);
      w.u8(code).u8(chunk);
      for (let k = i; k < i + chunk; k++) {
        const asn = seg.asns[k]!;
        if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) throw new TypeError(`invalid AS number ${asn}`);
        if (asnSize === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
    }
  }
}

/** RFC 6793 4.2.3 / RFC 4271 9.1.2.2: an AS_SET counts as one, confederation segments as none. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

export function hasFourOctetAsn(segments: readonly AsPathSegment[]): boolean {
  for (const s of segments) {
    if (s.type === 'confed-sequence' || s.type === 'confed-set') continue;
    for (const a of s.asns) if (a > 0xffff) return true;
  }
  return false;
}

/**
 * RFC 6793 4.2.3: when AS_PATH has at least as many AS numbers as AS4_PATH,
 * the path is the leading (n - m) AS numbers of AS_PATH followed by AS4_PATH;
 * otherwise AS4_PATH is ignored. An AS_SEQUENCE cut at the seam continues into
 * AS4_PATH's first AS_SEQUENCE (it was one segment on the wire).
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const n = asPathLength(asPath);
  const m = asPathLength(as4Path);
  if (n < m) return asPath.map((s) => ({ type: s.type, asns: [...s.asns] }));
  let need = n - m;
  let cut = false; // the last segment taken from AS_PATH was an AS_SEQUENCE cut short
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === 'confed-sequence' || s.type === 'confed-set') {
      // Confederation segments count zero; keep those ahead of the cut.
      if (need > 0 || out.length === 0 || out.every((x) => x.type.startsWith('confed'))) out.push({ type: s.type, asns: [...s.asns] });
      continue;
    }
    if (need <= 0) break;
    if (s.type === 'set') {
      out.push({ type: 'set', asns: [...s.asns] });
      need -= 1;
    } else {
      const take = Math.min(need, s.asns.length);
      out.push({ type: 'sequence', asns: s.asns.slice(0, take) });
      need -= take;
      cut = take < s.asns.length;
    }
  }
  as4Path.forEach((s, i) => {
    const last = out[out.length - 1];
    // Only at the seam: a leading AS_SEQUENCE cut from AS_PATH continues into AS4_PATH's first one.
    if (i === 0 && last !== undefined && last.type === 'sequence' && s.type === 'sequence' && cut) last.asns.push(...s.asns);
    else out.push({ type: s.type, asns: [...s.asns] });
  });
  return out;
}

/**
 * IPv4/IPv6 address text <-> bytes, written for the codec's hot loops:
 * no regular expressions, no intermediate arrays for IPv4.
 * IPv6 text is canonical per RFC 5952 4 (lower case, no leading zeros,
 * longest run of two or more zero groups compressed, first one on a tie);
 * IPv4-mapped addresses are written in hex too (as the WHATWG URL parser does).
 */

/** "0".."255" so that formatting an IPv4 address allocates only the result. */
export const OCTET_STRINGS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

export function formatIpv4(a: number, b: number, c: number, d: number): string {
  return OCTET_STRINGS[a]! + '.' + OCTET_STRINGS[b]! + '.' + OCTET_STRINGS[c]! + '.' + OCTET_STRINGS[d]!;
}

export function readIpv4(buf: Uint8Array, off: number): string {
  return formatIpv4(buf[off]!, buf[off + 1]!, buf[off + 2]!, buf[off + 3]!);
}

/**
 * Parses dotted-quad text to an unsigned 32-bit number; -1 when it is not
 * exactly four decimal octets 0..255 (leading zeros refused: "010" is ambiguous).
 */
export function parseIpv4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255 || ++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

export function writeIpv4(s: string, buf: Uint8Array, off: number): void {
  const v = parseIpv4(s);
  if (v < 0) throw new TypeError(`invalid IPv4 address "${s}"`);
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

const HEX = '0123456789abcdef';

/** Canonical RFC 5952 text of 16 bytes starting at `off`. */
export function formatIpv6(buf: Uint8Array, off = 0): string {
  // Find the longest run of zero 16-bit groups (length >= 2).
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = buf[off + 2 * g] === 0 && buf[off + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    const v = (buf[off + 2 * g]! << 8) | buf[off + 2 * g + 1]!;
    if (v >= 0x1000) out += HEX[v >>> 12]! + HEX[(v >>> 8) & 15]! + HEX[(v >>> 4) & 15]! + HEX[v & 15]!;
    else if (v >= 0x100) out += HEX[v >>> 8]! + HEX[(v >>> 4) & 15]! + HEX[v & 15]!;
    else if (v >= 0x10) out += HEX[v >>> 4]! + HEX[v & 15]!;
    else out += HEX[v]!;
    if (g < 7) out += ':';
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text (RFC 4291 2.2, including "::" and a trailing dotted quad)
 * into `out` (16 bytes). Returns false when the text is not an IPv6 address.
 * Zone identifiers ("%eth0") are refused: they have no meaning on the wire.
 */
export function parseIpv6Into(s: string, out: Uint8Array): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === n) {
      out.fill(0);
      return true;
    }
  }
  while (i < n) {
    if (groups.length >= 8) return false;
    // Trailing embedded IPv4?
    let j = i;
    let v = 0;
    let digits = 0;
    while (j < n) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
      digits++;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      const v4 = parseIpv4(s.slice(i));
      if (v4 < 0 || groups.length > 6) return false;
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = n;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups.push(v);
    i = j;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = groups.length;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return false; // trailing single colon
    }
  }
  if (gap < 0) {
    if (groups.length !== 8) return false;
  } else if (groups.length > 7) {
    return false;
  }
  out.fill(0);
  const tail = gap < 0 ? 0 : groups.length - gap;
  for (let g = 0; g < groups.length; g++) {
    const pos = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
    out[2 * pos] = groups[g]! >>> 8;
    out[2 * pos + 1] = groups[g]! & 0xff;
  }
  return true;
}

export function parseIpv6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  if (!parseIpv6Into(s, out)) throw new TypeError(`invalid IPv6 address "${s}"`);
  return out;
}

export function writeIpv6(s: string, buf: Uint8Array, off: number): void {
  if (!parseIpv6Into(s, SCRATCH16)) throw new TypeError(`invalid IPv6 address "${s}"`);
  buf.set(SCRATCH16, off);
}

const SCRATCH16 = new Uint8Array(16);

/** The canonical RFC 5952 text of an IPv6 address; throws on invalid text. */
export function canonicalIpv6(s: string): string {
  return formatIpv6(parseIpv6(s));
}

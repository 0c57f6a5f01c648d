/**
 * Prefix text helpers for configuration and logs: "172.16.1.1/32",
 * "2001:db8::/32". The wire encoding of prefixes lives in nlri.ts.
 */
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6Into } from './address.js';
import { AFI_IPV4, AFI_IPV6, type Prefix } from './types.js';

export interface ParsePrefixOptions {
  /**
   * Refuse host bits beyond the prefix length ("10.1.2.3/24"); default true.
   * With false they are cleared, as RFC 4271 4.3 says receivers treat them.
   */
  strict?: boolean;
}

/**
 * Parses "addr/len" (IPv4 or IPv6). A bare address means a host route (/32 or /128).
 * Throws a TypeError that says what was expected.
 */
export function parsePrefix(text: string, opts: ParsePrefixOptions = {}): Prefix {
  if (typeof text !== 'string') throw new TypeError(`invalid prefix ${String(text)}: expected a string like "172.16.1.1/32"`);
  const s = text.trim();
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const v6 = addrText.includes(':');
  const max = v6 ? 128 : 32;
  let len = max;
  if (slash >= 0) {
    const lenText = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) {
      throw new TypeError(`invalid prefix "${text}": prefix length "${lenText}" is not a number 0..${max}`);
    }
    len = Number(lenText);
    if (len > max) throw new TypeError(`invalid prefix "${text}": prefix length ${len} is above ${max}`);
  }
  const bytes = new Uint8Array(16);
  if (v6) {
    if (!parseIpv6Into(addrText, bytes)) throw new TypeError(`invalid prefix "${text}": "${addrText}" is not an IPv6 address`);
  } else {
    const v = parseIpv4(addrText);
    if (v < 0) throw new TypeError(`invalid prefix "${text}": "${addrText}" is not an IPv4 address (expected a.b.c.d)`);
    bytes[0] = v >>> 24;
    bytes[1] = (v >>> 16) & 0xff;
    bytes[2] = (v >>> 8) & 0xff;
    bytes[3] = v & 0xff;
  }
  const hostBits = clearHostBits(bytes, len, v6 ? 16 : 4);
  const addr = v6 ? formatIpv6(bytes) : formatIpv4(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (hostBits && opts.strict !== false) {
    throw new TypeError(`invalid prefix "${text}": host bits set beyond /${len} (did you mean ${addr}/${len}?)`);
  }
  return { afi: v6 ? AFI_IPV6 : AFI_IPV4, addr, len };
}

/** Clears bits after `len`; returns true when any was set. */
function clearHostBits(bytes: Uint8Array, len: number, size: number): boolean {
  let had = false;
  for (let i = 0; i < size; i++) {
    const keep = len >= (i + 1) * 8 ? 8 : Math.max(0, len - i * 8);
    const mask = keep === 8 ? 0xff : (0xff << (8 - keep)) & 0xff;
    if ((bytes[i]! & ~mask) !== 0) had = true;
    bytes[i] = bytes[i]! & mask;
  }
  return had;
}

/** "addr/len"; the ADD-PATH id is not part of the text (see prefixKey). */
export function formatPrefix(p: Prefix): string {
  return p.addr + '/' + p.len;
}

/** A map key unique per family, prefix and ADD-PATH id. */
export function prefixKey(p: Prefix): string {
  return p.pathId === undefined ? `${p.afi}:${p.addr}/${p.len}` : `${p.afi}:${p.addr}/${p.len}#${p.pathId}`;
}

export function samePrefix(a: Prefix, b: Prefix): boolean {
  return a.afi === b.afi && a.len === b.len && a.addr === b.addr && a.pathId === b.pathId;
}

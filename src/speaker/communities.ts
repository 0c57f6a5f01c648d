/** Community text forms used in announcements (RFC 1997, RFC 8092). */
import type { LargeCommunity } from '../bgp/types.js';

/** RFC 1997 well-known communities and RFC 3765 NOPEER. */
const WELL_KNOWN: Readonly<Record<string, number>> = {
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'no-peer': 0xffffff04,
};
const WELL_KNOWN_NAMES = new Map(Object.entries(WELL_KNOWN).map(([k, v]) => [v, k]));

function u(text: string, bits: 16 | 32, whole: string, what: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new TypeError(`invalid ${what} "${whole}": "${text}" is not a number`);
  const n = Number(text);
  const max = bits === 16 ? 0xffff : 0xffffffff;
  if (n > max) throw new TypeError(`invalid ${what} "${whole}": ${n} is above ${max}`);
  return n;
}

/** "65001:100" -> 65001 << 16 | 100; well-known names accepted. */
export function parseCommunity(text: string): number {
  const t = text.trim().toLowerCase();
  const wk = WELL_KNOWN[t];
  if (wk !== undefined) return wk;
  const parts = t.split(':');
  if (parts.length !== 2) throw new TypeError(`invalid community "${text}": expected "asn:value" with two 16-bit numbers, or no-export`);
  return ((u(parts[0]!, 16, text, 'community') << 16) | u(parts[1]!, 16, text, 'community')) >>> 0;
}

export function formatCommunity(c: number): string {
  return WELL_KNOWN_NAMES.get(c) ?? `${c >>> 16}:${c & 0xffff}`;
}

/** "65001:1:2" (RFC 8092: three 32-bit numbers). */
export function parseLargeCommunity(text: string): LargeCommunity {
  const parts = text.trim().split(':');
  if (parts.length !== 3) throw new TypeError(`invalid large community "${text}": expected "global:local1:local2", three 32-bit numbers`);
  return {
    globalAdmin: u(parts[0]!, 32, text, 'large community'),
    local1: u(parts[1]!, 32, text, 'large community'),
    local2: u(parts[2]!, 32, text, 'large community'),
  };
}

export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.globalAdmin}:${c.local1}:${c.local2}`;
}

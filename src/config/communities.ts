/**
 * Community text, one parser for every place a config names communities
 * (`announce` and the `policy` states): "asn:value" or a well-known name, both
 * normalized to canonical "asn:value" so the speaker, status and check-config
 * all see the same text whichever way the file wrote it.
 */

/** RFC 1997 well-known communities and RFC 3765/7999/8326 ones, by the names BIRD/FRR use. */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  'graceful-shutdown': 0xffff0000, // RFC 8326
  'blackhole': 0xffff029a, // RFC 7999
  'no-export': 0xffffff01, // RFC 1997
  'no-advertise': 0xffffff02, // RFC 1997
  'no-export-subconfed': 0xffffff03, // RFC 1997
  'no-peer': 0xffffff04, // RFC 3765
};

export const COMMUNITY_EXPECTED = `a community "asn:value" (each 0..65535) or a well-known name (${Object.keys(WELL_KNOWN_COMMUNITIES).join(', ')})`;
export const LARGE_COMMUNITY_EXPECTED = 'a large community "global:local1:local2" (each 0..4294967295)';

function uint(text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : undefined;
}

/** RFC 1997 community: "65001:100" or a well-known name (any case) -> canonical "asn:value"; undefined if neither. */
export function parseCommunity(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const wk = WELL_KNOWN_COMMUNITIES[v.toLowerCase()];
  if (wk !== undefined) return `${wk >>> 16}:${wk & 0xffff}`;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const a = uint(m[1], 65535);
  const b = uint(m[2], 65535);
  return a === undefined || b === undefined ? undefined : `${a}:${b}`;
}

/** RFC 8092 large community "global:local1:local2" -> canonical text (no leading zeros); undefined if invalid. */
export function parseLargeCommunity(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(v);
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3]].map((x) => uint(x, 4294967295));
  return parts.some((x) => x === undefined) ? undefined : parts.join(':');
}

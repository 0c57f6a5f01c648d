/**
 * eBGP export: what one peer is sent for the announcements the daemon wants.
 * Own ASN prepended (1 + prepend copies), next hop self, MED, communities,
 * large communities. Pure.
 */
import { parsePrefix, formatPrefix, prefixKey } from '../bgp/index.js';
import { AFI_IPV4, AFI_IPV6, type LargeCommunity, type PathAttributes, type Prefix } from '../bgp/types.js';
import { formatCommunity, formatLargeCommunity, parseCommunity, parseLargeCommunity } from './communities.js';
import type { Announcement, AnnouncedRoute } from './types.js';

/** Upper bound on prepends: an AS_PATH segment holds 255 ASNs (RFC 4271 4.3). */
export const MAX_PREPEND = 32;

export interface DesiredRoute {
  prefix: Prefix;
  text: string;
  /** prefixKey(prefix): the Adj-RIB-Out key. */
  key: string;
  prepend: number;
  med?: number;
  communities: number[];
  largeCommunities: LargeCommunity[];
  /** Everything but the prefix, as text: routes with equal profiles get equal attributes. */
  profile: string;
}

interface ParsedPrefix {
  prefix: Prefix;
  text: string;
  key: string;
  /** parseAnnouncements call that last saw it: a second sighting in the same call is a duplicate. */
  seen: number;
}

let generation = 0;

/**
 * Parse caches, so that set() with the same 10,000 prefixes again and again
 * (a prepend change on every health flip) does not parse them again. Bounded:
 * cleared when much larger than the last input.
 */
const prefixCache = new Map<string, ParsedPrefix>();
const communityCache = new Map<string, number[]>();
const largeCache = new Map<string, LargeCommunity[]>();

function bound(cache: Map<string, unknown>, n: number): void {
  if (cache.size > 2 * n + 1_000) cache.clear();
}

function parsePrefixCached(text: string): ParsedPrefix {
  const hit = prefixCache.get(text);
  if (hit) return hit;
  const prefix = parsePrefix(text);
  const key = prefixKey(prefix);
  // "10.0.0.1/32" and "10.0.0.1" are one prefix: share the entry so duplicates are caught.
  const same = prefixCache.get(key);
  const p = same ?? { prefix, text: formatPrefix(prefix), key, seen: 0 };
  prefixCache.set(text, p);
  prefixCache.set(key, p);
  return p;
}

/** Where an announcement is, for errors (built only on the error paths). */
function where(i: number): string {
  return `announcements[${i}]`;
}

function listKey(list: readonly string[]): string {
  return list.length === 0 ? '' : list.length === 1 ? list[0]! : list.join('\u0000');
}

/** Validates and normalises the daemon's announcements; throws a TypeError naming the entry and field. */
export function parseAnnouncements(routes: readonly Announcement[]): DesiredRoute[] {
  if (!Array.isArray(routes)) throw new TypeError('announcements: expected an array');
  bound(prefixCache, 2 * routes.length); // two entries per prefix: its text and its key
  bound(communityCache, routes.length);
  bound(largeCache, routes.length);
  const out: DesiredRoute[] = new Array<DesiredRoute>(routes.length);
  const gen = ++generation;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    if (r === null || typeof r !== 'object') throw new TypeError(`${where(i)}: expected an object with prefix and prepend`);
    let pp: ParsedPrefix;
    try {
      pp = parsePrefixCached(r.prefix);
    } catch (e) {
      throw new TypeError(`${where(i)}.prefix: ${(e as Error).message}`);
    }
    if (pp.seen === gen) throw new TypeError(`${where(i)}.prefix: ${pp.text} is listed twice`);
    pp.seen = gen;
    if (!Number.isInteger(r.prepend) || r.prepend < 0 || r.prepend > MAX_PREPEND) {
      throw new TypeError(`${where(i)}.prepend: expected an integer 0..${MAX_PREPEND}, got ${String(r.prepend)}`);
    }
    if (r.med !== undefined && (!Number.isInteger(r.med) || r.med < 0 || r.med > 0xffffffff)) {
      throw new TypeError(`${where(i)}.med: expected an integer 0..4294967295, got ${String(r.med)}`);
    }
    const ctext = r.communities ?? [];
    const ltext = r.largeCommunities ?? [];
    if (!Array.isArray(ctext)) throw new TypeError(`${where(i)}.communities: expected a list of "asn:value"`);
    if (!Array.isArray(ltext)) throw new TypeError(`${where(i)}.largeCommunities: expected a list of "global:local1:local2"`);
    const ck = listKey(ctext);
    let communities = communityCache.get(ck);
    if (!communities) {
      try {
        communities = [...new Set(ctext.map(parseCommunity))].sort((a, b) => a - b);
      } catch (e) {
        throw new TypeError(`${where(i)}.communities: ${(e as Error).message}`);
      }
      communityCache.set(ck, communities);
    }
    const lk = listKey(ltext);
    let largeCommunities = largeCache.get(lk);
    if (!largeCommunities) {
      try {
        largeCommunities = ltext.map(parseLargeCommunity);
      } catch (e) {
        throw new TypeError(`${where(i)}.largeCommunities: ${(e as Error).message}`);
      }
      largeCache.set(lk, largeCommunities);
    }
    const d: DesiredRoute = {
      prefix: pp.prefix,
      text: pp.text,
      key: pp.key,
      prepend: r.prepend,
      communities,
      largeCommunities,
      // The raw community texts: equal texts are equal lists (the key, built per profile, is exact).
      profile: `${pp.prefix.afi}|${r.prepend}|${r.med ?? '-'}|${ck}|${lk}`,
    };
    if (r.med !== undefined) d.med = r.med;
    out[i] = d;
  }
  return out;
}

export interface ExportContext {
  localAsn: number;
  /** Negotiated families, "1/1" and/or "2/1". */
  families: ReadonlySet<string>;
  /** The session's local address (next hop self). */
  localAddress: string;
  ipv6NextHop?: string;
  ipv4NextHop?: string;
}

/** What every route of one attribute profile shares (one object, not one per prefix). */
export interface ExportShared {
  /** Everything but the NLRI; for IPv6 the next hop is in `nextHop` and goes into MP_REACH_NLRI. */
  attributes: PathAttributes;
  nextHop: string;
  /** Equal keys = identical attributes: such prefixes share an UPDATE, and a changed key means resend. */
  key: string;
  /** The status view without the prefix. */
  view: Omit<AnnouncedRoute, 'prefix'>;
}

export interface ExportedRoute {
  prefix: Prefix;
  text: string;
  attributes: PathAttributes;
  nextHop: string;
  key: string;
  shared: ExportShared;
}

/** One route as status() shows it. */
export function routeView(r: ExportedRoute): AnnouncedRoute {
  const v = r.shared.view;
  // Copies: the arrays are shared by every route of the profile and must not be changed by a caller.
  return {
    prefix: r.text,
    asPath: [...v.asPath],
    nextHop: v.nextHop,
    ...(v.med !== undefined ? { med: v.med } : {}),
    communities: [...v.communities],
    largeCommunities: [...v.largeCommunities],
  };
}

export interface ExportResult {
  routes: Map<string, ExportedRoute>;
  /** Announcements this peer cannot be sent, and why. */
  problems: string[];
}

const isV6 = (a: string) => a.includes(':');

/**
 * The routes one peer is sent. Attributes are built once per profile
 * (prepend, MED, communities) and shared by every prefix that has it: 10,000
 * prefixes with one prepend are one attribute object and one key string.
 */
export function exportRoutes(desired: readonly DesiredRoute[], ctx: ExportContext): ExportResult {
  const routes = new Map<string, ExportedRoute>();
  const problems: string[] = [];
  const shared = new Map<string, ExportShared | string>();
  for (const d of desired) {
    let sh = shared.get(d.profile);
    if (sh === undefined) {
      sh = exportProfile(d, ctx);
      shared.set(d.profile, sh);
    }
    if (typeof sh === 'string') {
      problems.push(`${d.text}: ${sh}`);
      continue;
    }
    routes.set(d.key, { prefix: d.prefix, text: d.text, attributes: sh.attributes, nextHop: sh.nextHop, key: sh.key, shared: sh });
  }
  return { routes, problems };
}

/** The shared part for `d`'s profile, or why such routes cannot be sent to this peer. */
function exportProfile(d: DesiredRoute, ctx: ExportContext): ExportShared | string {
  const v6 = d.prefix.afi === AFI_IPV6;
  const family = `${d.prefix.afi}/1`;
  if (!ctx.families.has(family)) {
    // The peer did not announce the Multiprotocol capability for this family (RFC 4760 8): do not send.
    return `not sent, the peer did not negotiate ${v6 ? 'IPv6' : 'IPv4'} unicast`;
  }
  let nextHop: string | undefined;
  if (v6) {
    nextHop = ctx.ipv6NextHop ?? (isV6(ctx.localAddress) ? ctx.localAddress : undefined);
    if (!nextHop) return 'not sent, the session is IPv4 and no IPv6 next hop is configured (ipv6-next-hop)';
  } else {
    nextHop = ctx.ipv4NextHop ?? (isV6(ctx.localAddress) ? undefined : ctx.localAddress);
    if (!nextHop) return 'not sent, the session is IPv6 and no IPv4 next hop is configured (ipv4-next-hop)';
  }
  // eBGP (RFC 4271 5.1.2): our ASN first, then the extra prepends.
  const asns = new Array<number>(1 + d.prepend).fill(ctx.localAsn);
  const attributes: PathAttributes = {
    origin: 0, // IGP: the prefix is ours
    asPath: [{ type: 'sequence', asns }],
    ...(v6 ? {} : { nextHop }),
    ...(d.med !== undefined ? { med: d.med } : {}),
    ...(d.communities.length > 0 ? { communities: d.communities } : {}),
    ...(d.largeCommunities.length > 0 ? { largeCommunities: d.largeCommunities } : {}),
  };
  const large = d.largeCommunities.map(formatLargeCommunity);
  const key = [d.prefix.afi, asns.length, nextHop, d.med ?? '-', d.communities.join(','), large.join(',')].join('|');
  return {
    attributes,
    nextHop,
    key,
    view: {
      asPath: asns,
      nextHop,
      ...(d.med !== undefined ? { med: d.med } : {}),
      communities: d.communities.map(formatCommunity),
      largeCommunities: large,
    },
  };
}

export { AFI_IPV4 };

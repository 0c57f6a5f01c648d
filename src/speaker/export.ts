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
  prepend: number;
  med?: number;
  communities: number[];
  largeCommunities: LargeCommunity[];
}

/** Validates and normalises the daemon's announcements; throws a TypeError naming the entry and field. */
export function parseAnnouncements(routes: readonly Announcement[]): DesiredRoute[] {
  const out: DesiredRoute[] = [];
  const seen = new Set<string>();
  routes.forEach((r, i) => {
    const at = `announcements[${i}]`;
    let prefix: Prefix;
    try {
      prefix = parsePrefix(r.prefix);
    } catch (e) {
      throw new TypeError(`${at}.prefix: ${(e as Error).message}`);
    }
    const key = prefixKey(prefix);
    if (seen.has(key)) throw new TypeError(`${at}.prefix: ${formatPrefix(prefix)} is listed twice`);
    seen.add(key);
    if (!Number.isInteger(r.prepend) || r.prepend < 0 || r.prepend > MAX_PREPEND) {
      throw new TypeError(`${at}.prepend: expected an integer 0..${MAX_PREPEND}, got ${String(r.prepend)}`);
    }
    if (r.med !== undefined && (!Number.isInteger(r.med) || r.med < 0 || r.med > 0xffffffff)) {
      throw new TypeError(`${at}.med: expected an integer 0..4294967295, got ${String(r.med)}`);
    }
    let communities: number[];
    let largeCommunities: LargeCommunity[];
    try {
      communities = [...new Set((r.communities ?? []).map(parseCommunity))].sort((a, b) => a - b);
    } catch (e) {
      throw new TypeError(`${at}.communities: ${(e as Error).message}`);
    }
    try {
      largeCommunities = (r.largeCommunities ?? []).map(parseLargeCommunity);
    } catch (e) {
      throw new TypeError(`${at}.largeCommunities: ${(e as Error).message}`);
    }
    out.push({
      prefix,
      text: formatPrefix(prefix),
      prepend: r.prepend,
      ...(r.med !== undefined ? { med: r.med } : {}),
      communities,
      largeCommunities,
    });
  });
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

export interface ExportedRoute {
  prefix: Prefix;
  text: string;
  /** Everything but the NLRI; for IPv6 the next hop is in `nextHop` and goes into MP_REACH_NLRI. */
  attributes: PathAttributes;
  nextHop: string;
  /** Equal keys = identical attributes: such prefixes share an UPDATE, and a changed key means resend. */
  key: string;
  view: AnnouncedRoute;
}

export interface ExportResult {
  routes: Map<string, ExportedRoute>;
  /** Announcements this peer cannot be sent, and why. */
  problems: string[];
}

const isV6 = (a: string) => a.includes(':');

export function exportRoutes(desired: readonly DesiredRoute[], ctx: ExportContext): ExportResult {
  const routes = new Map<string, ExportedRoute>();
  const problems: string[] = [];
  for (const d of desired) {
    const v6 = d.prefix.afi === AFI_IPV6;
    const family = `${d.prefix.afi}/1`;
    if (!ctx.families.has(family)) {
      // The peer did not announce the Multiprotocol capability for this family (RFC 4760 8): do not send.
      problems.push(`${d.text}: not sent, the peer did not negotiate ${v6 ? 'IPv6' : 'IPv4'} unicast`);
      continue;
    }
    let nextHop: string | undefined;
    if (v6) {
      nextHop = ctx.ipv6NextHop ?? (isV6(ctx.localAddress) ? ctx.localAddress : undefined);
      if (!nextHop) {
        problems.push(`${d.text}: not sent, the session is IPv4 and no IPv6 next hop is configured (ipv6-next-hop)`);
        continue;
      }
    } else {
      nextHop = ctx.ipv4NextHop ?? (isV6(ctx.localAddress) ? undefined : ctx.localAddress);
      if (!nextHop) {
        problems.push(`${d.text}: not sent, the session is IPv6 and no IPv4 next hop is configured (ipv4-next-hop)`);
        continue;
      }
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
    const key = [
      d.prefix.afi,
      asns.length,
      nextHop,
      d.med ?? '-',
      d.communities.join(','),
      large.join(','),
    ].join('|');
    routes.set(prefixKey(d.prefix), {
      prefix: d.prefix,
      text: d.text,
      attributes,
      nextHop,
      key,
      view: {
        prefix: d.text,
        asPath: asns,
        nextHop,
        ...(d.med !== undefined ? { med: d.med } : {}),
        communities: d.communities.map(formatCommunity),
        largeCommunities: large,
      },
    });
  }
  return { routes, problems };
}

export { AFI_IPV4 };

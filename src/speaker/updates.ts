/** Adj-RIB-Out differences -> encoded UPDATEs, through the codec's builder (packing included). */
import { buildUpdates, endOfRib } from '../bgp/index.js';
import { encodeMessage } from '../bgp/index.js';
import { AFI_IPV6, type CodecOptions } from '../bgp/types.js';
import type { ExportedRoute } from './export.js';

/** One group per attribute key: prefixes sharing attributes go in the same UPDATE(s). */
export function encodeRibUpdates(announce: readonly ExportedRoute[][], withdraw: readonly ExportedRoute[], codec: CodecOptions): Uint8Array[] {
  const groups = [];
  for (const g of announce) {
    const first = g[0];
    if (!first) continue;
    // Split by family inside a key: IPv4 goes in NLRI, IPv6 in MP_REACH_NLRI with its own next hop.
    const v6 = first.prefix.afi === AFI_IPV6;
    groups.push({
      attributes: first.attributes,
      prefixes: g.map((r) => r.prefix),
      ...(v6 ? { ipv6NextHops: [first.nextHop] } : {}),
    });
  }
  return buildUpdates({ announce: groups, withdraw: withdraw.map((r) => r.prefix) }, codec);
}

export function encodeEndOfRib(afi: number, safi: number, codec: CodecOptions): Uint8Array {
  return encodeMessage(endOfRib(afi, safi), codec);
}

/**
 * What we put in our OPEN, and what we conclude from the peer's.
 *
 * Capabilities we always send (docs/speaker.md "What is sent in OPEN"):
 * - Multiprotocol IPv4 unicast and IPv6 unicast (RFC 4760). IPv6 is always
 *   announced, even with no IPv6 prefix configured, so that adding one later
 *   never needs a session reset; peers ignore families they do not use.
 * - Route Refresh (RFC 2918) and Enhanced Route Refresh (RFC 7313).
 * - 4-octet AS (RFC 6793), with AS_TRANS in My AS when our ASN > 65535.
 * - Extended Message (RFC 8654).
 */
import { makeOpen, negotiate, peerAsnOf } from '../bgp/index.js';
import type { CodecOptions, OpenMessage } from '../bgp/types.js';
import type { NegotiatedSession } from './bgp-fsm-types.js';

export interface LocalOpenOptions {
  localAsn: number;
  routerId: string;
  /** Proposed hold time, seconds: 0 or 3..65535. */
  holdTime: number;
}

/** RFC 4271 10: suggested HoldTime 90 s. */
export const DEFAULT_HOLD_TIME = 90;

export function buildLocalOpen(o: LocalOpenOptions): OpenMessage {
  // The codec's builder puts AS_TRANS in My AS for ASNs above 65535 (RFC 6793 4.1).
  return makeOpen({
    asn: o.localAsn,
    holdTime: o.holdTime,
    bgpId: o.routerId,
    families: [
      { afi: 1, safi: 1 },
      { afi: 2, safi: 1 },
    ],
    routeRefresh: true,
    enhancedRouteRefresh: true,
    extendedMessage: true,
  });
}

/** The peer's real ASN: the 4-octet AS capability when present, My AS otherwise (RFC 6793 4.1). */
export function remoteAsnOf(open: OpenMessage): number {
  return peerAsnOf(open);
}

/** Hold time, keepalive, families and codec options agreed by two OPENs (the codec's negotiate()). */
export function negotiateSession(local: OpenMessage, remote: OpenMessage): NegotiatedSession {
  const n = negotiate(local, remote);
  // RFC 4271 4.2: hold time is the smaller of both; RFC 4271 10: keepalive one third of it,
  // at least 1 s when the hold time is not zero (hold time 3 s -> keepalive 1 s).
  const keepaliveTime = n.holdTime === 0 ? 0 : Math.max(1, n.keepaliveTime);
  const codec: CodecOptions = {
    fourOctetAs: n.fourOctetAs,
    extendedMessage: n.extendedMessage,
    ...(n.addPathReceive ? { addPathReceive: n.addPathReceive } : {}),
    ...(n.addPathSend ? { addPathSend: n.addPathSend } : {}),
  };
  return {
    localOpen: local,
    remoteOpen: remote,
    peerAsn: n.peerAsn,
    remoteId: n.peerBgpId,
    holdTime: n.holdTime,
    keepaliveTime,
    codec,
    families: new Set(n.families.map((f) => `${f.afi}/${f.safi}`)),
    routeRefresh: n.routeRefresh,
    enhancedRouteRefresh: n.enhancedRouteRefresh,
  };
}

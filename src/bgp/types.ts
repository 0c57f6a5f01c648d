/**
 * The BGP message model shared by the codec (src/bgp), the FSM (src/fsm) and
 * the speaker (src/speaker). Messages are a discriminated union on `type`.
 * Addresses are canonical strings ("10.0.0.1", "2001:db8::1"); prefixes carry
 * their family, address with host bits cleared, length and optional ADD-PATH id.
 */

export const AFI_IPV4 = 1 as const;
export const AFI_IPV6 = 2 as const;
export type Afi = typeof AFI_IPV4 | typeof AFI_IPV6;
export const SAFI_UNICAST = 1 as const;

export interface Prefix {
  afi: Afi;
  /** Network address with host bits cleared, canonical text form. */
  addr: string;
  /** Prefix length in bits: 0..32 (IPv4) or 0..128 (IPv6). */
  len: number;
  /** RFC 7911 path identifier, present only when ADD-PATH is negotiated for the family. */
  pathId?: number;
}

/* ---------------------------------------------------------------- OPEN */

export type Capability =
  | { code: 1; name: 'multiprotocol'; afi: number; safi: number }
  | { code: 2; name: 'route-refresh' }
  | { code: 6; name: 'extended-message' }
  | {
      code: 64;
      name: 'graceful-restart';
      /** R bit (restart state) and N bit (RFC 8538 notification) as flags nibble. */
      restartFlags: number;
      restartTime: number;
      families: { afi: number; safi: number; forwardingPreserved: boolean }[];
    }
  | { code: 65; name: 'four-octet-as'; asn: number }
  | { code: 69; name: 'add-path'; families: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[] }
  | { code: 70; name: 'enhanced-route-refresh' }
  | { code: number; name: 'unknown'; value: Uint8Array };

export interface OpenMessage {
  type: 'open';
  version: number;
  /** The 2-octet My Autonomous System field as sent (AS_TRANS 23456 for 4-octet ASNs). */
  myAs: number;
  holdTime: number;
  /** BGP Identifier as dotted quad. */
  bgpId: string;
  capabilities: Capability[];
  /** Optional parameters other than capabilities (type != 2), kept raw. */
  otherParams?: { type: number; value: Uint8Array }[];
  /** Encode with the RFC 9072 extended optional parameters length (set on decode when seen). */
  extendedParams?: boolean;
}

/* -------------------------------------------------------------- UPDATE */

export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
export interface AsPathSegment {
  type: AsPathSegmentType;
  asns: number[];
}

export interface Aggregator {
  asn: number;
  address: string;
}

export interface LargeCommunity {
  globalAdmin: number;
  local1: number;
  local2: number;
}

export interface MpReach {
  afi: number;
  safi: number;
  /** One next hop (global) or two (global, link-local) for IPv6. */
  nextHops: string[];
  nlri: Prefix[];
}

export interface MpUnreach {
  afi: number;
  safi: number;
  withdrawn: Prefix[];
}

export interface RawAttribute {
  flags: number;
  typeCode: number;
  value: Uint8Array;
}

export interface PathAttributes {
  origin?: 0 | 1 | 2; // IGP, EGP, INCOMPLETE
  asPath?: AsPathSegment[];
  as4Path?: AsPathSegment[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  as4Aggregator?: Aggregator;
  /** RFC 1997 communities as 32-bit unsigned integers (ASN << 16 | value). */
  communities?: number[];
  /** RFC 4360 extended communities, 8 octets each. */
  extendedCommunities?: Uint8Array[];
  largeCommunities?: LargeCommunity[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  /** Unrecognised attributes; optional transitive ones are re-advertised with the Partial bit set. */
  unknown?: RawAttribute[];
}

export interface UpdateMessage {
  type: 'update';
  withdrawn: Prefix[];
  attributes: PathAttributes;
  nlri: Prefix[];
}

/* -------------------------------------------------------- NOTIFICATION */

export interface NotificationMessage {
  type: 'notification';
  code: number;
  subcode: number;
  data: Uint8Array;
}

export interface KeepaliveMessage {
  type: 'keepalive';
}

export interface RouteRefreshMessage {
  type: 'route-refresh';
  afi: number;
  /** RFC 7313 message subtype: 0 normal request, 1 BoRR, 2 EoRR. */
  subtype: 0 | 1 | 2;
  safi: number;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

/**
 * What the session negotiated and what the codec needs to know to read and
 * write UPDATEs. `false`/absent everywhere is the state before OPENs are exchanged.
 */
export interface CodecOptions {
  /** RFC 6793: both sides announced the 4-octet AS capability. */
  fourOctetAs: boolean;
  /** RFC 8654: both sides announced extended message; max length 65535 instead of 4096. */
  extendedMessage: boolean;
  /** RFC 7911: families (key `${afi}/${safi}`) for which we RECEIVE path ids. */
  addPathReceive?: ReadonlySet<string>;
  /** RFC 7911: families for which we SEND path ids. */
  addPathSend?: ReadonlySet<string>;
}

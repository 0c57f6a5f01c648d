/** The speaker's public types (contract in docs/architecture.md). */
import type { Logger } from 'pino';
import type { BgpState } from '../fsm/bgp-fsm-types.js';
import type { Clock } from '../util/clock.js';

/** One floating prefix as this appliance wants it announced. */
export interface Announcement {
  /** "172.16.1.1/32" or "2001:db8::1/128". */
  prefix: string;
  /** Extra copies of the local ASN (0 = just ours). */
  prepend: number;
  med?: number;
  /** "65001:100" or a RFC 1997 well-known name ("no-export", "no-advertise", "no-export-subconfed", "no-peer"). */
  communities?: string[];
  /** "65001:1:2" (RFC 8092). */
  largeCommunities?: string[];
}

export interface SpeakerPeer {
  address: string;
  asn: number;
  /** TCP port, default 179. */
  port?: number;
  /** Source address for the session; also the IPv4 next hop. */
  localAddress?: string;
  /** Proposed hold time, seconds (0 or 3..65535); default 90. */
  holdTime?: number;
  /** Never connect out; wait for the peer (labs, other speakers). Needs `listen` on the speaker. */
  passive?: boolean;
  /** Global IPv6 next hop for IPv6 prefixes over an IPv4 session. */
  ipv6NextHop?: string;
  /** IPv4 next hop for IPv4 prefixes over an IPv6 session. */
  ipv4NextHop?: string;
  /** RFC 4486: above this many received prefixes the session is closed with Cease 6/1. */
  maxPrefixes?: number;
  /** Backoff between connection attempts, ms. Default {min: 1000, max: 30000}. */
  connectRetryMs?: { min: number; max: number };
  /** How long one connect may take before it is abandoned, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** RFC 9687 SendHoldTime, ms. Default max(8 min, 2 x hold time). */
  sendHoldMs?: number;
  /**
   * How long to wait for the peer's OPEN once ours is sent (hold timer in
   * OpenSent), ms. Default 30000: RFC 4271 8.2.2 suggests
   * 4 minutes, but a peer that accepts TCP and never sends OPEN would keep
   * the session from retrying that long (docs/speaker.md "Timers").
   */
  openHoldMs?: number;
}

export interface SpeakerOptions {
  localAsn: number;
  /** BGP Identifier. Default: the source address the kernel picks toward the first peer (see docs/speaker.md). */
  routerId?: string;
  peers: SpeakerPeer[];
  logger: Logger;
  clock?: Clock;
  /** Passive listener; only configured peer addresses are accepted. */
  listen?: { address: string; port: number };
  /** Received routes kept with attributes per peer; beyond, only counted. Default 10000. */
  receivedStoreLimit?: number;
  /** Random source for backoff jitter (tests). */
  random?: () => number;
}

/** One prefix as we sent it to one peer. */
export interface AnnouncedRoute {
  prefix: string;
  /** AS_PATH as sent, left (ours) to right. */
  asPath: number[];
  nextHop: string;
  med?: number;
  communities: string[];
  largeCommunities: string[];
}

export interface PeerStatus {
  address: string;
  asn: number;
  state: BgpState;
  /** Wall-clock ISO time of the last state change. */
  since: string;
  /** Milliseconds Established, null when not Established. */
  uptimeMs: number | null;
  /** Decoded reason of the last failure ("hold-timer-expired: Hold Timer Expired/Unspecific (sent)"). */
  lastError: string | null;
  /** Negotiated hold time, seconds; null before OPENs are exchanged. */
  holdTime: number | null;
  keepaliveTime: number | null;
  localAddress: string | null;
  remoteId: string | null;
  /** Families both sides negotiated, "1/1" = IPv4 unicast, "2/1" = IPv6 unicast. */
  families: string[];
  announced: AnnouncedRoute[];
  /** Prefixes the peer currently announces to us. */
  receivedPrefixes: number;
  /** True when the received count is past the store limit and only counted. */
  receivedCountOnly: boolean;
  updatesSent: number;
  updatesReceived: number;
  /** Bytes written to this peer and not yet taken by the kernel (a peer that reads slowly). */
  outQueueBytes: number;
  /** Things we cannot send to this peer and why ("2001:db8::1/128: no IPv6 next hop"). */
  problems: string[];
}

export interface PeerStateEvent {
  address: string;
  state: BgpState;
  previous: BgpState;
  reason: string;
}

export interface UpdateSentEvent {
  address: string;
  announced: string[];
  withdrawn: string[];
}

export interface UpdateReceivedEvent {
  address: string;
  /** Prefixes announced plus withdrawn in this UPDATE. */
  count: number;
}

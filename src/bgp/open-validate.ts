/**
 * OPEN validation as its own step (RFC 4271 6.2, RFC 5492 3, RFC 6286 2.2,
 * RFC 6793 4) and capability negotiation.
 */
import { findCapability, writeCapability } from './capabilities.js';
import { AS_TRANS, BGP_VERSION, ErrorCode, OpenSubcode } from './constants.js';
import { BgpMessageError, EMPTY, u16 } from './errors.js';
import { familyKey } from './update-decode.js';
import { parseIpv4 } from './address.js';
import { AFI_IPV4, SAFI_UNICAST, type Capability, type CodecOptions, type OpenMessage } from './types.js';
import { Writer } from './writer.js';

export interface OpenExpectations {
  /** The peer's configured ASN; omitted: any AS is accepted. */
  peerAsn?: number;
  /** Our BGP Identifier (dotted quad). */
  localBgpId: string;
  /** Our ASN: with it, an iBGP peer using our identifier is refused (RFC 6286 2.2). */
  localAsn?: number;
  /**
   * Capabilities we cannot work without (e.g. 4-octet AS for a peer ASN above
   * 65535, or IPv6 unicast multiprotocol). Missing ones -> 2/7 listing them.
   * A multiprotocol entry matches on AFI/SAFI; others on the code.
   */
  requiredCapabilities?: Capability[];
  /** Alias of requiredCapabilities. */
  supportedCapabilities?: Capability[];
}

/** RFC 6793 4: the peer's ASN is the 4-octet capability's when present, else My AS. */
export function peerAsnOf(open: OpenMessage): number {
  return findCapability(open.capabilities, 'four-octet-as')?.asn ?? open.myAs;
}

function hasCapability(open: OpenMessage, want: Capability): boolean {
  return open.capabilities.some((c) =>
    c.code === want.code && (want.name !== 'multiprotocol' || (c.name === 'multiprotocol' && c.afi === want.afi && c.safi === want.safi)));
}

/**
 * Checks a received OPEN. Returns the error whose NOTIFICATION must be sent,
 * or null when the OPEN is acceptable.
 */
export function validateOpen(open: OpenMessage, expect: OpenExpectations): BgpMessageError | null {
  // RFC 4271 6.2: Unsupported Version Number; data = the largest version we support.
  if (open.version !== BGP_VERSION) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSUPPORTED_VERSION, u16(BGP_VERSION),
      `peer speaks BGP version ${open.version}, we support ${BGP_VERSION}`);
  }
  const four = findCapability(open.capabilities, 'four-octet-as');
  const asn = peerAsnOf(open);
  // RFC 6793 4.1 (and 9): AS 0 and AS_TRANS are not valid as a speaker's own AS.
  if (four !== undefined && (four.asn === 0 || four.asn === AS_TRANS)) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_PEER_AS, EMPTY,
      `4-octet AS capability carries AS ${four.asn}`);
  }
  if (four === undefined && open.myAs === 0) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_PEER_AS, EMPTY, 'My Autonomous System is 0');
  }
  if (expect.peerAsn !== undefined && asn !== expect.peerAsn) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_PEER_AS, EMPTY,
      `peer AS ${asn}${four === undefined ? ' (no 4-octet AS capability)' : ''}, expected ${expect.peerAsn}`);
  }
  // RFC 6286 2.2: the identifier is any non-zero 32-bit value; equal to ours is an
  // error only between internal peers (between external peers it is allowed).
  const id = parseIpv4(open.bgpId);
  if (id <= 0) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_BGP_IDENTIFIER, EMPTY, `BGP Identifier ${open.bgpId} is zero`);
  }
  if (open.bgpId === expect.localBgpId && expect.localAsn !== undefined && expect.localAsn === asn) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.BAD_BGP_IDENTIFIER, EMPTY,
      `internal peer uses our own BGP Identifier ${open.bgpId}`);
  }
  // RFC 4271 6.2: Unsupported Optional Parameter (we only know capabilities, type 2).
  const other = open.otherParams?.[0];
  if (other !== undefined) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, EMPTY,
      `optional parameter type ${other.type} is not supported`);
  }
  // RFC 4271 4.2 / 6.2: hold time 0 or at least 3 seconds.
  if (open.holdTime === 1 || open.holdTime === 2) {
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNACCEPTABLE_HOLD_TIME, EMPTY,
      `hold time ${open.holdTime} s (must be 0 or at least 3)`);
  }
  // RFC 5492 3: a capability we require and the peer lacks -> Unsupported Capability, data = those capabilities.
  const required = expect.requiredCapabilities ?? expect.supportedCapabilities ?? [];
  const missing = required.filter((c) => !hasCapability(open, c));
  if (missing.length > 0) {
    const w = new Writer(64);
    for (const c of missing) writeCapability(c, w);
    return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSUPPORTED_CAPABILITY, w.finish(),
      `peer lacks required capabilities ${missing.map((c) => c.code).join(', ')}`);
  }
  return null;
}

export interface Family {
  afi: number;
  safi: number;
}

export interface NegotiatedSession extends CodecOptions {
  /** RFC 4271 4.2: the smaller of the two hold times (0: no keepalives). */
  holdTime: number;
  /** One third of the hold time, in seconds, rounded down (RFC 4271 10 suggests 1/3). */
  keepaliveTime: number;
  peerAsn: number;
  peerBgpId: string;
  /** RFC 2918: both sides announced route refresh. */
  routeRefresh: boolean;
  /** RFC 7313: both sides announced enhanced route refresh. */
  enhancedRouteRefresh: boolean;
  /** RFC 4760 / RFC 4271: the families both sides announced (IPv4 unicast when a side announces none). */
  families: Family[];
  /** RFC 4724: the peer's graceful-restart capability, if it sent one. */
  gracefulRestart?: Extract<Capability, { name: 'graceful-restart' }>;
  /** RFC 4724: we announced graceful restart too. */
  localGracefulRestart: boolean;
}

function familiesOf(open: OpenMessage): Family[] {
  const mp = open.capabilities.filter((c): c is Extract<Capability, { name: 'multiprotocol' }> => c.name === 'multiprotocol');
  // RFC 4760 8 / RFC 5492: a speaker without the capability supports IPv4 unicast only.
  return mp.length === 0 ? [{ afi: AFI_IPV4, safi: SAFI_UNICAST }] : mp.map((c) => ({ afi: c.afi, safi: c.safi }));
}

function addPathModes(open: OpenMessage): Map<string, number> {
  const m = new Map<string, number>();
  const c = findCapability(open.capabilities, 'add-path');
  for (const f of c?.families ?? []) m.set(familyKey(f.afi, f.safi), f.sendReceive);
  return m;
}

/** What the two OPENs agree on; feed the result to BgpStreamParser.setOptions and encodeMessage. */
export function negotiate(localOpen: OpenMessage, remoteOpen: OpenMessage): NegotiatedSession {
  const has = (o: OpenMessage, name: Capability['name']): boolean => o.capabilities.some((c) => c.name === name);
  const holdTime = Math.min(localOpen.holdTime, remoteOpen.holdTime);
  const remoteFamilies = familiesOf(remoteOpen);
  const families = familiesOf(localOpen).filter((f) => remoteFamilies.some((r) => r.afi === f.afi && r.safi === f.safi));
  // RFC 7911 5: we receive path ids for a family when we said "receive" (1 or 3)
  // and the peer said "send" (2 or 3), and the other way round for sending.
  const local = addPathModes(localOpen);
  const remote = addPathModes(remoteOpen);
  const addPathReceive = new Set<string>();
  const addPathSend = new Set<string>();
  for (const [key, mode] of local) {
    const peer = remote.get(key) ?? 0;
    if ((mode & 1) !== 0 && (peer & 2) !== 0) addPathReceive.add(key);
    if ((mode & 2) !== 0 && (peer & 1) !== 0) addPathSend.add(key);
  }
  const gr = findCapability(remoteOpen.capabilities, 'graceful-restart');
  const result: NegotiatedSession = {
    fourOctetAs: has(localOpen, 'four-octet-as') && has(remoteOpen, 'four-octet-as'),
    extendedMessage: has(localOpen, 'extended-message') && has(remoteOpen, 'extended-message'),
    addPathReceive,
    addPathSend,
    holdTime,
    keepaliveTime: Math.floor(holdTime / 3),
    peerAsn: peerAsnOf(remoteOpen),
    peerBgpId: remoteOpen.bgpId,
    routeRefresh: has(localOpen, 'route-refresh') && has(remoteOpen, 'route-refresh'),
    enhancedRouteRefresh: has(localOpen, 'enhanced-route-refresh') && has(remoteOpen, 'enhanced-route-refresh'),
    families,
    localGracefulRestart: has(localOpen, 'graceful-restart'),
  };
  if (gr !== undefined) result.gracefulRestart = gr;
  return result;
}

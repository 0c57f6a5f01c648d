/** Building our own OPEN from plain settings (RFC 4271 4.2, RFC 6793 4.1). */
import { AS_TRANS, BGP_VERSION } from './constants.js';
import { AFI_IPV4, AFI_IPV6, SAFI_UNICAST, type Capability, type OpenMessage } from './types.js';

export interface LocalOpenSettings {
  asn: number;
  /** Seconds: 0, or 3..65535. */
  holdTime: number;
  bgpId: string;
  /** Families to announce multiprotocol capabilities for; default IPv4 and IPv6 unicast. */
  families?: { afi: number; safi: number }[];
  routeRefresh?: boolean; // default true
  enhancedRouteRefresh?: boolean; // default true
  extendedMessage?: boolean; // default false
  gracefulRestart?: { restartTime: number; restarting?: boolean; notification?: boolean; forwardingPreserved?: boolean };
  addPath?: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[];
  /** Extra capabilities appended as given. */
  extraCapabilities?: Capability[];
}

export function makeOpen(s: LocalOpenSettings): OpenMessage {
  if (!Number.isInteger(s.asn) || s.asn < 1 || s.asn > 0xffffffff) throw new TypeError(`invalid local ASN ${s.asn}`);
  if (!Number.isInteger(s.holdTime) || s.holdTime < 0 || s.holdTime > 65535 || s.holdTime === 1 || s.holdTime === 2) {
    throw new TypeError(`invalid hold time ${s.holdTime}: expected 0 or 3..65535 seconds`);
  }
  const families = s.families ?? [
    { afi: AFI_IPV4, safi: SAFI_UNICAST },
    { afi: AFI_IPV6, safi: SAFI_UNICAST },
  ];
  const caps: Capability[] = families.map((f) => ({ code: 1, name: 'multiprotocol', afi: f.afi, safi: f.safi }));
  if (s.routeRefresh !== false) caps.push({ code: 2, name: 'route-refresh' });
  if (s.enhancedRouteRefresh !== false) caps.push({ code: 70, name: 'enhanced-route-refresh' });
  if (s.extendedMessage === true) caps.push({ code: 6, name: 'extended-message' });
  if (s.gracefulRestart !== undefined) {
    const g = s.gracefulRestart;
    caps.push({
      code: 64,
      name: 'graceful-restart',
      // RFC 4724 3: R bit 0x8; RFC 8538 N bit 0x4.
      restartFlags: (g.restarting === true ? 0x8 : 0) | (g.notification === true ? 0x4 : 0),
      restartTime: Math.min(4095, Math.max(0, Math.floor(g.restartTime))),
      families: families.map((f) => ({ afi: f.afi, safi: f.safi, forwardingPreserved: g.forwardingPreserved === true })),
    });
  }
  caps.push({ code: 65, name: 'four-octet-as', asn: s.asn });
  if (s.addPath !== undefined && s.addPath.length > 0) caps.push({ code: 69, name: 'add-path', families: s.addPath });
  caps.push(...(s.extraCapabilities ?? []));
  return {
    type: 'open',
    version: BGP_VERSION,
    // RFC 6793 4.1: My AS carries AS_TRANS when the ASN does not fit two octets.
    myAs: s.asn > 0xffff ? AS_TRANS : s.asn,
    holdTime: s.holdTime,
    bgpId: s.bgpId,
    capabilities: caps,
  };
}

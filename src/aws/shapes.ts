/**
 * AWS answers are hostile input: every field we act on is checked here and
 * turned into our own small types. A missing or odd field is an
 * AwsAnswerError naming the action and the field, never a silent default.
 */
import { AwsAnswerError } from './errors.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requestIdOf(out: unknown): string | undefined {
  if (!isObj(out) || !isObj(out.$metadata)) return undefined;
  const r = out.$metadata.requestId;
  return typeof r === 'string' ? r : undefined;
}

/** A list field: absent means empty (AWS omits empty lists), anything else must be a list of objects. */
export function listOf(action: string, out: unknown, field: string, where = ''): Obj[] {
  if (!isObj(out)) throw new AwsAnswerError(action, `${where || 'answer'} is not an object`);
  const v = out[field];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new AwsAnswerError(action, `${where}${field} is not a list`, requestIdOf(out));
  return v.map((x, i) => {
    if (!isObj(x)) throw new AwsAnswerError(action, `${where}${field}[${i}] is not an object`, requestIdOf(out));
    return x;
  });
}

export function str(action: string, o: Obj, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) throw new AwsAnswerError(action, `${where}.${field} missing or not a string`);
  return v;
}

export function optStr(action: string, o: Obj, field: string, where: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AwsAnswerError(action, `${where}.${field} is not a string`);
  return v;
}

export function nextToken(action: string, out: unknown): string | undefined {
  if (!isObj(out)) return undefined;
  const t = out.NextToken ?? out.nextToken;
  if (t === undefined || t === null || t === '') return undefined;
  if (typeof t !== 'string') throw new AwsAnswerError(action, 'NextToken is not a string');
  return t;
}

export function tagsOf(action: string, o: Obj, where: string, field = 'Tags'): Map<string, string> {
  const m = new Map<string, string>();
  listOf(action, o, field, `${where}.`).forEach((t, i) => {
    const k = str(action, t, 'Key', `${where}.${field}[${i}]`);
    const v = t.Value;
    m.set(k, typeof v === 'string' ? v : '');
  });
  return m;
}

/** At most this many pages per listing: a broken NextToken must not loop forever. */
export const MAX_PAGES = 100;

// ------------------------------------------------------------ VPC route tables

export type RouteDestination =
  | { kind: 'ipv4'; value: string }
  | { kind: 'ipv6'; value: string }
  | { kind: 'prefix-list'; value: string };

export interface VpcRoute {
  destination: RouteDestination;
  /** Target ENI when the route targets a network interface. */
  eni: string | undefined;
  state: string | undefined;
  origin: string | undefined;
}

export interface VpcRouteTable {
  id: string;
  vpcId: string | undefined;
  routes: VpcRoute[];
}

export function destinationText(d: RouteDestination): string {
  return d.value;
}

export function parseRouteTables(action: string, out: unknown): VpcRouteTable[] {
  return listOf(action, out, 'RouteTables').map((t, i) => {
    const id = str(action, t, 'RouteTableId', `RouteTables[${i}]`);
    const routes = listOf(action, t, 'Routes', `RouteTables[${i}].`).map((r, j): VpcRoute => {
      const where = `${id}.Routes[${j}]`;
      const v4 = optStr(action, r, 'DestinationCidrBlock', where);
      const v6 = optStr(action, r, 'DestinationIpv6CidrBlock', where);
      const pl = optStr(action, r, 'DestinationPrefixListId', where);
      const n = [v4, v6, pl].filter((x) => x !== undefined).length;
      if (n !== 1) throw new AwsAnswerError(action, `${where} has ${n} destinations (expected exactly one of DestinationCidrBlock, DestinationIpv6CidrBlock, DestinationPrefixListId)`, requestIdOf(out));
      const destination: RouteDestination = v4 !== undefined ? { kind: 'ipv4', value: v4 } : v6 !== undefined ? { kind: 'ipv6', value: v6.toLowerCase() } : { kind: 'prefix-list', value: pl as string };
      return {
        destination,
        eni: optStr(action, r, 'NetworkInterfaceId', where),
        state: optStr(action, r, 'State', where),
        origin: optStr(action, r, 'Origin', where),
      };
    });
    return { id, vpcId: optStr(action, t, 'VpcId', `RouteTables[${i}]`), routes };
  });
}

// ------------------------------------------------------------- VPN connections

export interface Tunnel {
  outsideIp: string;
  up: boolean;
  lastStatusChange: Date | undefined;
  message: string | undefined;
}

export interface VpnConnection {
  id: string;
  state: string;
  transitGatewayId: string | undefined;
  tags: Map<string, string>;
  tunnels: Tunnel[];
}

export function parseVpnConnections(action: string, out: unknown): VpnConnection[] {
  return listOf(action, out, 'VpnConnections').map((c, i) => {
    const id = str(action, c, 'VpnConnectionId', `VpnConnections[${i}]`);
    const tunnels = listOf(action, c, 'VgwTelemetry', `${id}.`).map((t, j): Tunnel => {
      const where = `${id}.VgwTelemetry[${j}]`;
      const status = str(action, t, 'Status', where);
      if (status !== 'UP' && status !== 'DOWN') throw new AwsAnswerError(action, `${where}.Status is ${JSON.stringify(status)} (expected UP or DOWN)`, requestIdOf(out));
      const lsc = t.LastStatusChange;
      return {
        outsideIp: optStr(action, t, 'OutsideIpAddress', where) ?? '?',
        up: status === 'UP',
        lastStatusChange: lsc instanceof Date ? lsc : undefined,
        message: optStr(action, t, 'StatusMessage', where),
      };
    });
    return {
      id,
      state: str(action, c, 'State', id),
      transitGatewayId: optStr(action, c, 'TransitGatewayId', id),
      tags: tagsOf(action, c, id),
      tunnels,
    };
  });
}

export interface TgwAttachment {
  id: string;
  resourceId: string | undefined;
  resourceType: string | undefined;
  state: string | undefined;
  transitGatewayId: string | undefined;
}

export function parseTgwAttachments(action: string, out: unknown): TgwAttachment[] {
  return listOf(action, out, 'TransitGatewayAttachments').map((a, i) => {
    const w = `TransitGatewayAttachments[${i}]`;
    return {
      id: str(action, a, 'TransitGatewayAttachmentId', w),
      resourceId: optStr(action, a, 'ResourceId', w),
      resourceType: optStr(action, a, 'ResourceType', w),
      state: optStr(action, a, 'State', w),
      transitGatewayId: optStr(action, a, 'TransitGatewayId', w),
    };
  });
}

export interface TgwRoute {
  destination: { kind: 'cidr' | 'prefix-list'; value: string };
  type: string;
  state: string;
  attachmentIds: string[];
}

export function parseTgwRoutes(action: string, out: unknown, table: string): { routes: TgwRoute[]; more: boolean } {
  const routes = listOf(action, out, 'Routes').map((r, i): TgwRoute => {
    const w = `${table}.Routes[${i}]`;
    const cidr = optStr(action, r, 'DestinationCidrBlock', w);
    const pl = optStr(action, r, 'PrefixListId', w);
    if ((cidr === undefined) === (pl === undefined)) throw new AwsAnswerError(action, `${w} has ${cidr === undefined ? 'no' : 'two'} destinations`, requestIdOf(out));
    return {
      destination: cidr !== undefined ? { kind: 'cidr', value: cidr } : { kind: 'prefix-list', value: pl as string },
      type: str(action, r, 'Type', w),
      state: str(action, r, 'State', w),
      attachmentIds: listOf(action, r, 'TransitGatewayAttachments', `${w}.`).map((a, j) => str(action, a, 'TransitGatewayAttachmentId', `${w}.TransitGatewayAttachments[${j}]`)),
    };
  });
  const more = isObj(out) && out.AdditionalRoutesAvailable === true;
  return { routes, more };
}

// ------------------------------------------------------------ Direct Connect

export interface BgpPeerInfo {
  id: string | undefined;
  status: 'up' | 'down' | 'unknown';
  state: string | undefined;
}

export interface VirtualInterface {
  id: string;
  state: string;
  name: string | undefined;
  bgpPeers: BgpPeerInfo[];
}

export function parseVirtualInterfaces(action: string, out: unknown): VirtualInterface[] {
  return listOf(action, out, 'virtualInterfaces').map((v, i) => {
    const id = str(action, v, 'virtualInterfaceId', `virtualInterfaces[${i}]`);
    const bgpPeers = listOf(action, v, 'bgpPeers', `${id}.`).map((p, j): BgpPeerInfo => {
      const w = `${id}.bgpPeers[${j}]`;
      const s = optStr(action, p, 'bgpStatus', w) ?? 'unknown';
      if (s !== 'up' && s !== 'down' && s !== 'unknown') throw new AwsAnswerError(action, `${w}.bgpStatus is ${JSON.stringify(s)} (expected up, down or unknown)`, requestIdOf(out));
      return { id: optStr(action, p, 'bgpPeerId', w), status: s, state: optStr(action, p, 'bgpPeerState', w) };
    });
    return { id, state: str(action, v, 'virtualInterfaceState', id), name: optStr(action, v, 'virtualInterfaceName', id), bgpPeers };
  });
}

// ------------------------------------------------------------ Route Server

export interface RouteServerPeerInfo {
  id: string;
  routeServerId: string;
  endpointId: string | undefined;
  endpointAddress: string | undefined;
  peerAddress: string;
  state: string | undefined;
  bgpStatus: string | undefined;
  bfdStatus: string | undefined;
  liveness: string | undefined;
}

function nestedStatus(o: Obj, field: string): string | undefined {
  const v = o[field];
  return isObj(v) && typeof v.Status === 'string' ? v.Status : undefined;
}

export function parseRouteServerPeers(action: string, out: unknown): RouteServerPeerInfo[] {
  return listOf(action, out, 'RouteServerPeers').map((p, i) => {
    const w = `RouteServerPeers[${i}]`;
    const bgpOptions = p.BgpOptions;
    return {
      id: str(action, p, 'RouteServerPeerId', w),
      routeServerId: str(action, p, 'RouteServerId', w),
      endpointId: optStr(action, p, 'RouteServerEndpointId', w),
      endpointAddress: optStr(action, p, 'EndpointEniAddress', w),
      peerAddress: str(action, p, 'PeerAddress', w),
      state: optStr(action, p, 'State', w),
      bgpStatus: nestedStatus(p, 'BgpStatus'),
      bfdStatus: nestedStatus(p, 'BfdStatus'),
      liveness: isObj(bgpOptions) && typeof bgpOptions.PeerLivenessDetection === 'string' ? bgpOptions.PeerLivenessDetection : undefined,
    };
  });
}

export interface RouteServerRouteInfo {
  prefix: string;
  status: string | undefined;
  nextHop: string | undefined;
  peerId: string | undefined;
  asPath: number[];
  med: number | undefined;
  installations: { routeTableId: string | undefined; status: string | undefined; reason: string | undefined }[];
}

export function parseRouteServerRoutes(action: string, out: unknown): RouteServerRouteInfo[] {
  return listOf(action, out, 'Routes').map((r, i) => {
    const w = `Routes[${i}]`;
    const asp = r.AsPaths;
    return {
      prefix: str(action, r, 'Prefix', w),
      status: optStr(action, r, 'RouteStatus', w),
      nextHop: optStr(action, r, 'NextHopIp', w),
      peerId: optStr(action, r, 'RouteServerPeerId', w),
      asPath: Array.isArray(asp) ? asp.map((x) => Number(x)).filter((x) => Number.isInteger(x)) : [],
      med: typeof r.Med === 'number' ? r.Med : undefined,
      installations: listOf(action, r, 'RouteInstallationDetails', `${w}.`).map((d, j) => ({
        routeTableId: optStr(action, d, 'RouteTableId', `${w}.RouteInstallationDetails[${j}]`),
        status: optStr(action, d, 'RouteInstallationStatus', `${w}.RouteInstallationDetails[${j}]`),
        reason: optStr(action, d, 'RouteInstallationStatusReason', `${w}.RouteInstallationDetails[${j}]`),
      })),
    };
  });
}

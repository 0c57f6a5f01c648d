/**
 * EC2 Query API of the fake: the calls the fallback makes, with AWS's
 * validation and error codes for the cases the tests exercise. Element names
 * are the EC2 XML names (lowerCamel, lists as xxxSet/item).
 */
import type { FakeRouteTable, FakeState, FakeTgwRoute, FakeVpcRoute } from './state.js';
import { FakeApiError, filters, listParam, required, type Filter, type Params } from './wire.js';

export interface Ec2Effect {
  /** A change that altered state (a no-op replace is not counted). */
  change?: string;
}

type Handler = (s: FakeState, p: Params, fx: Ec2Effect) => Record<string, unknown>;

function filterMatch(f: Filter, values: (string | undefined)[]): boolean {
  return values.some((v) => v !== undefined && f.values.some((w) => (w.includes('*') ? new RegExp(`^${w.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(v) : w === v)));
}

function unknownFilter(action: string, f: Filter): never {
  throw new FakeApiError('InvalidParameterValue', `The filter '${f.name}' is invalid for ${action}`);
}

function page<T>(items: T[], p: Params): { items: T[]; next?: string } {
  const max = Number(p.get('MaxResults') ?? '1000');
  const start = Number(p.get('NextToken') ?? '0');
  if (!Number.isInteger(start) || start < 0) throw new FakeApiError('InvalidPaginationToken', 'bad NextToken');
  const slice = items.slice(start, start + max);
  return { items: slice, ...(start + max < items.length ? { next: String(start + max) } : {}) };
}

function routeXml(r: FakeVpcRoute) {
  return {
    ...(r.destination.kind === 'ipv4' ? { destinationCidrBlock: r.destination.value } : {}),
    ...(r.destination.kind === 'ipv6' ? { destinationIpv6CidrBlock: r.destination.value } : {}),
    ...(r.destination.kind === 'prefix-list' ? { destinationPrefixListId: r.destination.value } : {}),
    ...(r.gatewayId ? { gatewayId: r.gatewayId } : {}),
    ...(r.eni ? { networkInterfaceId: r.eni, instanceOwnerId: '123456789012' } : {}),
    origin: r.origin,
    state: r.state,
  };
}

function tableXml(t: FakeRouteTable) {
  return { routeTableId: t.id, vpcId: t.vpcId, ownerId: '123456789012', routeSet: t.routes.map(routeXml), associationSet: [], tagSet: [] };
}

function tagSet(tags: Record<string, string>) {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

function tgwRouteXml(r: FakeTgwRoute, s: FakeState) {
  const a = s.attachments.find((x) => x.id === r.attachmentId);
  return {
    ...(r.cidr ? { destinationCidrBlock: r.cidr } : {}),
    ...(r.prefixListId ? { prefixListId: r.prefixListId } : {}),
    transitGatewayAttachments: [{ transitGatewayAttachmentId: r.attachmentId, resourceId: a?.resourceId, resourceType: a?.resourceType }],
    type: r.type,
    state: r.state,
  };
}

export const ec2Handlers: Record<string, Handler> = {
  DescribeRouteTables(s, p) {
    const ids = listParam(p, 'RouteTableId');
    for (const id of ids) {
      if (!s.routeTables.some((t) => t.id === id)) throw new FakeApiError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
    }
    let tables = ids.length ? s.routeTables.filter((t) => ids.includes(t.id)) : s.routeTables;
    for (const f of filters(p)) {
      if (f.name === 'route-table-id') tables = tables.filter((t) => filterMatch(f, [t.id]));
      else if (f.name === 'vpc-id') tables = tables.filter((t) => filterMatch(f, [t.vpcId]));
      else unknownFilter('DescribeRouteTables', f);
    }
    const pg = page(tables, p);
    return { routeTableSet: pg.items.map(tableXml), ...(pg.next ? { nextToken: pg.next } : {}) };
  },

  ReplaceRoute(s, p, fx) {
    const id = required(p, 'RouteTableId');
    const t = s.routeTables.find((x) => x.id === id);
    if (!t) throw new FakeApiError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
    const v4 = p.get('DestinationCidrBlock');
    const v6 = p.get('DestinationIpv6CidrBlock');
    const pl = p.get('DestinationPrefixListId');
    if ([v4, v6, pl].filter((x) => x !== undefined).length !== 1) throw new FakeApiError('InvalidParameterCombination', 'exactly one destination is required');
    const eni = p.get('NetworkInterfaceId');
    if (!eni || !/^eni-[0-9a-f]+$/.test(eni)) throw new FakeApiError('InvalidParameterValue', 'NetworkInterfaceId required by this fake');
    const r = t.routes.find((x) =>
      (v4 !== undefined && x.destination.kind === 'ipv4' && x.destination.value === v4)
      || (v6 !== undefined && x.destination.kind === 'ipv6' && x.destination.value === v6)
      || (pl !== undefined && x.destination.kind === 'prefix-list' && x.destination.value === pl));
    const dest = v4 ?? v6 ?? pl;
    if (!r) throw new FakeApiError('InvalidRoute.NotFound', `no route with destination-cidr-block ${dest} in route table ${id}`);
    if (r.origin === 'CreateRouteTable') throw new FakeApiError('InvalidParameterValue', 'cannot replace the local route');
    if (r.eni !== eni || r.state !== 'active' || r.gatewayId) fx.change = `${id} ${dest}: ${r.eni ?? r.gatewayId ?? '-'} -> ${eni}`;
    r.eni = eni;
    delete r.gatewayId;
    r.state = 'active';
    return { return: true };
  },

  DescribeVpnConnections(s, p) {
    const ids = listParam(p, 'VpnConnectionId');
    let vpns = ids.length ? s.vpns.filter((v) => ids.includes(v.id)) : s.vpns;
    for (const f of filters(p)) {
      if (f.name === 'tag-key') vpns = vpns.filter((v) => filterMatch(f, Object.keys(v.tags)));
      else if (f.name.startsWith('tag:')) vpns = vpns.filter((v) => filterMatch(f, [v.tags[f.name.slice(4)]]));
      else if (f.name === 'state') vpns = vpns.filter((v) => filterMatch(f, [v.state]));
      else if (f.name === 'transit-gateway-id') vpns = vpns.filter((v) => filterMatch(f, [v.transitGatewayId]));
      else unknownFilter('DescribeVpnConnections', f);
    }
    return {
      vpnConnectionSet: vpns.map((v) => ({
        vpnConnectionId: v.id,
        state: v.state,
        type: 'ipsec.1',
        category: 'VPN',
        customerGatewayId: 'cgw-0123456789abcdef0',
        transitGatewayId: v.transitGatewayId,
        options: { staticRoutesOnly: true },
        tagSet: tagSet(v.tags),
        vgwTelemetry: v.tunnels.map((t) => ({
          outsideIpAddress: t.outsideIp,
          status: t.status,
          lastStatusChange: t.lastStatusChange,
          statusMessage: t.status === 'UP' ? '' : 'IPSEC IS DOWN',
          acceptedRouteCount: 0,
        })),
      })),
    };
  },

  DescribeTransitGatewayAttachments(s, p) {
    let atts = s.attachments;
    for (const f of filters(p)) {
      if (f.name === 'resource-id') atts = atts.filter((a) => filterMatch(f, [a.resourceId]));
      else if (f.name === 'resource-type') atts = atts.filter((a) => filterMatch(f, [a.resourceType]));
      else if (f.name === 'transit-gateway-id') atts = atts.filter((a) => filterMatch(f, [a.transitGatewayId]));
      else if (f.name === 'state') atts = atts.filter((a) => filterMatch(f, [a.state]));
      else unknownFilter('DescribeTransitGatewayAttachments', f);
    }
    const pg = page(atts, p);
    return {
      transitGatewayAttachments: pg.items.map((a) => ({
        transitGatewayAttachmentId: a.id,
        transitGatewayId: a.transitGatewayId,
        resourceId: a.resourceId,
        resourceType: a.resourceType,
        state: a.state,
      })),
      ...(pg.next ? { nextToken: pg.next } : {}),
    };
  },

  DescribeTransitGatewayRouteTables(s, p) {
    let tables = s.tgwRouteTables;
    for (const f of filters(p)) {
      if (f.name === 'transit-gateway-id') tables = tables.filter((t) => filterMatch(f, [t.transitGatewayId]));
      else unknownFilter('DescribeTransitGatewayRouteTables', f);
    }
    const pg = page(tables, p);
    return {
      transitGatewayRouteTables: pg.items.map((t) => ({ transitGatewayRouteTableId: t.id, transitGatewayId: t.transitGatewayId, state: 'available' })),
      ...(pg.next ? { nextToken: pg.next } : {}),
    };
  },

  SearchTransitGatewayRoutes(s, p) {
    const id = required(p, 'TransitGatewayRouteTableId');
    const t = s.tgwRouteTables.find((x) => x.id === id);
    if (!t) throw new FakeApiError('InvalidRouteTableID.NotFound', `Transit Gateway Route Table ${id} was deleted or does not exist.`);
    const fs = filters(p);
    if (fs.length === 0) throw new FakeApiError('MissingParameter', 'The request must contain the parameter Filter');
    let routes = t.routes;
    for (const f of fs) {
      if (f.name === 'type') routes = routes.filter((r) => filterMatch(f, [r.type]));
      else if (f.name === 'state') routes = routes.filter((r) => filterMatch(f, [r.state]));
      else if (f.name === 'attachment.transit-gateway-attachment-id') routes = routes.filter((r) => filterMatch(f, [r.attachmentId]));
      else if (f.name === 'route-search.exact-match') routes = routes.filter((r) => filterMatch(f, [r.cidr]));
      else unknownFilter('SearchTransitGatewayRoutes', f);
    }
    const max = Number(p.get('MaxResults') ?? '1000');
    return { routeSet: routes.slice(0, max).map((r) => tgwRouteXml(r, s)), additionalRoutesAvailable: routes.length > max };
  },

  ReplaceTransitGatewayRoute(s, p, fx) {
    const id = required(p, 'TransitGatewayRouteTableId');
    const cidr = required(p, 'DestinationCidrBlock');
    const att = required(p, 'TransitGatewayAttachmentId');
    const t = s.tgwRouteTables.find((x) => x.id === id);
    if (!t) throw new FakeApiError('InvalidRouteTableID.NotFound', `Transit Gateway Route Table ${id} was deleted or does not exist.`);
    if (!s.attachments.some((a) => a.id === att)) throw new FakeApiError('InvalidTransitGatewayAttachmentID.NotFound', `Transit Gateway Attachment ${att} was deleted or does not exist.`);
    const r = t.routes.find((x) => x.cidr === cidr && x.type === 'static');
    if (!r) throw new FakeApiError('InvalidRoute.NotFound', `No route with destination-cidr-block ${cidr} in Transit Gateway Route Table ${id}`);
    if (r.attachmentId !== att) fx.change = `${id} ${cidr}: ${r.attachmentId} -> ${att}`;
    r.attachmentId = att;
    r.state = 'active';
    return { route: tgwRouteXml(r, s) };
  },

  ModifyTransitGatewayPrefixListReference(s, p, fx) {
    const id = required(p, 'TransitGatewayRouteTableId');
    const pl = required(p, 'PrefixListId');
    const att = required(p, 'TransitGatewayAttachmentId');
    const t = s.tgwRouteTables.find((x) => x.id === id);
    const r = t?.routes.find((x) => x.prefixListId === pl);
    if (!t || !r) throw new FakeApiError('InvalidPrefixListReference.NotFound', `no reference to ${pl} in ${id}`);
    if (r.attachmentId !== att) fx.change = `${id} ${pl}: ${r.attachmentId} -> ${att}`;
    r.attachmentId = att;
    return { transitGatewayPrefixListReference: { transitGatewayRouteTableId: id, prefixListId: pl, state: 'modifying' } };
  },

  DescribeRouteServerPeers(s, p) {
    let peers = s.rsPeers;
    const ids = listParam(p, 'RouteServerPeerId');
    if (ids.length) peers = peers.filter((x) => ids.includes(x.id));
    for (const f of filters(p)) {
      if (f.name === 'route-server-id') peers = peers.filter((x) => filterMatch(f, [x.routeServerId]));
      else unknownFilter('DescribeRouteServerPeers', f);
    }
    const pg = page(peers, p);
    return {
      routeServerPeerSet: pg.items.map((x) => ({
        routeServerPeerId: x.id,
        routeServerEndpointId: x.endpointId,
        routeServerId: x.routeServerId,
        vpcId: 'vpc-0123456789abcdef0',
        subnetId: 'subnet-0123456789abcdef0',
        state: x.state,
        endpointEniId: 'eni-0ffffffffffffffff',
        endpointEniAddress: x.endpointAddress,
        peerAddress: x.peerAddress,
        bgpOptions: { peerAsn: x.peerAsn, peerLivenessDetection: x.liveness },
        bgpStatus: { status: x.bgpStatus },
        ...(x.bfdStatus ? { bfdStatus: { status: x.bfdStatus } } : {}),
      })),
      ...(pg.next ? { nextToken: pg.next } : {}),
    };
  },

  GetRouteServerRoutingDatabase(s, p) {
    const rs = required(p, 'RouteServerId');
    if (!s.rsPeers.some((x) => x.routeServerId === rs)) throw new FakeApiError('InvalidRouteServerId.NotFound', `The route server ID '${rs}' does not exist`);
    const pg = page(s.rsRoutes.filter((r) => r.routeServerId === rs), p);
    return {
      areRoutesPersisted: false,
      routeSet: pg.items.map((r) => ({
        routeServerEndpointId: r.endpointId,
        routeServerPeerId: r.peerId,
        routeStatus: r.status,
        prefix: r.prefix,
        asPathSet: r.asPaths,
        ...(r.med !== undefined ? { med: r.med } : {}),
        nextHopIp: r.nextHop,
        routeInstallationDetailSet: r.status === 'in-fib' ? [{ routeTableId: 'rtb-0aaaaaaaaaaaaaaa0', routeInstallationStatus: 'installed' }] : [],
      })),
      ...(pg.next ? { nextToken: pg.next } : {}),
    };
  },
};

export const EC2_MUTATING = new Set(['ReplaceRoute', 'ReplaceTransitGatewayRoute', 'ModifyTransitGatewayPrefixListReference']);

/** The fake AWS account's state: what the fake endpoint holds and mutates. */

export type FakeDestination = { kind: 'ipv4' | 'ipv6' | 'prefix-list'; value: string };

export interface FakeVpcRoute {
  destination: FakeDestination;
  eni?: string;
  gatewayId?: string;
  state: 'active' | 'blackhole';
  origin: 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation';
}

export interface FakeRouteTable {
  id: string;
  vpcId: string;
  routes: FakeVpcRoute[];
}

export interface FakeTunnel {
  outsideIp: string;
  status: 'UP' | 'DOWN';
  lastStatusChange: Date;
}

export interface FakeVpn {
  id: string;
  state: 'available' | 'pending' | 'deleting' | 'deleted';
  transitGatewayId: string;
  tags: Record<string, string>;
  tunnels: FakeTunnel[];
}

export interface FakeAttachment {
  id: string;
  transitGatewayId: string;
  resourceId: string;
  resourceType: 'vpn' | 'vpc' | 'direct-connect-gateway';
  state: 'available' | 'deleted';
}

export interface FakeTgwRoute {
  cidr?: string;
  prefixListId?: string;
  attachmentId: string;
  type: 'static' | 'propagated';
  state: 'active' | 'blackhole';
}

export interface FakeTgwRouteTable {
  id: string;
  transitGatewayId: string;
  routes: FakeTgwRoute[];
}

export interface FakeBgpPeer {
  id: string;
  status: 'up' | 'down';
}

export interface FakeVif {
  id: string;
  name: string;
  /** The interface's own state, apart from any failover test. */
  baseState: 'available' | 'down' | 'pending';
  bgpPeers: FakeBgpPeer[];
  test?: { testId: string; durationMinutes: number; startTime: Date };
}

export interface FakeRsPeer {
  id: string;
  routeServerId: string;
  endpointId: string;
  endpointAddress: string;
  peerAddress: string;
  peerAsn: number;
  liveness: 'bgp-keepalive' | 'bfd';
  state: 'available' | 'failed' | 'pending';
  bgpStatus: 'up' | 'down';
  bfdStatus?: 'up' | 'down';
}

export interface FakeRsRoute {
  routeServerId: string;
  endpointId: string;
  peerId: string;
  prefix: string;
  nextHop: string;
  status: 'in-rib' | 'in-fib';
  asPaths: number[];
  med?: number;
}

export interface FakeState {
  routeTables: FakeRouteTable[];
  vpns: FakeVpn[];
  attachments: FakeAttachment[];
  tgwRouteTables: FakeTgwRouteTable[];
  vifs: FakeVif[];
  rsPeers: FakeRsPeer[];
  rsRoutes: FakeRsRoute[];
  published: { topicArn: string; subject?: string; message: string }[];
}

export function emptyState(): FakeState {
  return { routeTables: [], vpns: [], attachments: [], tgwRouteTables: [], vifs: [], rsPeers: [], rsRoutes: [], published: [] };
}

/** What AWS reports as the interface state: `testing` while a failover test runs. */
export function vifState(v: FakeVif): string {
  return v.test ? 'testing' : v.baseState;
}

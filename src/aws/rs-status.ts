/**
 * What VPC Route Server decided, as the EC2 API reports it: for this
 * appliance's peers, DescribeRouteServerPeers (BGP and BFD status as Route
 * Server sees them); for each floating prefix, GetRouteServerRoutingDatabase
 * (which next hop is in the FIB: this appliance or another).
 */
import type { Logger } from 'pino';
import { awsSchema, type AwsConfig } from '../config/aws.js';
import { AwsApi, resolveSettings, type ClientOverrides } from './clients.js';
import { AwsAnswerError } from './errors.js';
import { discoverIdentity, ImdsClient, type InstanceIdentity } from './imds.js';
import { MAX_PAGES, nextToken, parseRouteServerPeers, parseRouteServerRoutes, type RouteServerPeerInfo, type RouteServerRouteInfo } from './shapes.js';

export interface PrefixDecision {
  prefix: string;
  routeServerId: string;
  /** The route Route Server installed (in-fib), if any. */
  inFib: { nextHop: string | undefined; us: boolean; peerId: string | undefined; asPath: number[]; med: number | undefined } | undefined;
  /** Every path Route Server holds for the prefix (in-rib and in-fib). */
  paths: { nextHop: string | undefined; status: string | undefined; us: boolean; asPath: number[]; med: number | undefined }[];
}

export interface RsStatus {
  privateIp: string;
  routeServerIds: string[];
  peers: RouteServerPeerInfo[];
  prefixes: PrefixDecision[];
  /** Short verdict lines for the CLI and logs. */
  summary: string[];
}

export interface RsStatusDeps {
  logger: Logger;
  overrides?: ClientOverrides;
  identity?: Partial<Omit<InstanceIdentity, 'mac'>>;
  /** Reuse an existing API wrapper (the daemon's), else one is made and closed. */
  api?: AwsApi;
}

function canonical(prefix: string): string {
  const m = /^([^/]+)\/(\d+)$/.exec(prefix);
  if (m && m[1]?.includes(':')) {
    try {
      return `${new URL(`http://[${m[1]}]/`).hostname.slice(1, -1)}/${m[2]}`;
    } catch {
      /* fall through */
    }
  }
  return prefix.toLowerCase();
}

export async function rsStatus(cfg: { aws?: AwsConfig | undefined; prefixes: readonly string[] }, deps: RsStatusDeps): Promise<RsStatus> {
  const aws = cfg.aws ?? awsSchema.parse({});
  const known = {
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.privateIp ? { privateIp: aws.privateIp } : {}),
    ...deps.identity,
  };
  const need: ('region' | 'privateIp')[] = [];
  if (!known.region && !deps.api) need.push('region');
  if (!known.privateIp) need.push('privateIp');
  const id = await discoverIdentity(new ImdsClient({ endpoint: aws.imdsEndpoint }), known, need);
  const privateIp = id.privateIp as string;
  const api = deps.api ?? new AwsApi(resolveSettings(aws, id.region as string, deps.overrides), deps.logger);
  try {
    const peersAction = 'ec2:DescribeRouteServerPeers';
    const peers: RouteServerPeerInfo[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await api.call('ec2', 'DescribeRouteServerPeers', token ? { NextToken: token } : {}, false);
      peers.push(...parseRouteServerPeers(peersAction, res));
      token = nextToken(peersAction, res);
      if (!token) break;
    }
    const ours = peers.filter((p) => p.peerAddress === privateIp && (!aws.routeServerId || p.routeServerId === aws.routeServerId));
    const routeServerIds = aws.routeServerId ? [aws.routeServerId] : [...new Set(ours.map((p) => p.routeServerId))];
    const ourPeerIds = new Set(ours.map((p) => p.id));
    const prefixes: PrefixDecision[] = [];
    const dbAction = 'ec2:GetRouteServerRoutingDatabase';
    for (const rs of routeServerIds) {
      const routes: RouteServerRouteInfo[] = [];
      let t: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await api.call('ec2', 'GetRouteServerRoutingDatabase', { RouteServerId: rs, ...(t ? { NextToken: t } : {}) }, false);
        routes.push(...parseRouteServerRoutes(dbAction, res));
        t = nextToken(dbAction, res);
        if (!t) break;
      }
      if (t) throw new AwsAnswerError(dbAction, `still paginating after ${MAX_PAGES} pages`);
      for (const p of cfg.prefixes) {
        const mine = routes.filter((r) => canonical(r.prefix) === canonical(p));
        const isUs = (r: RouteServerRouteInfo) => r.nextHop === privateIp || (r.peerId !== undefined && ourPeerIds.has(r.peerId));
        const fib = mine.find((r) => r.status === 'in-fib');
        prefixes.push({
          prefix: p,
          routeServerId: rs,
          inFib: fib ? { nextHop: fib.nextHop, us: isUs(fib), peerId: fib.peerId, asPath: fib.asPath, med: fib.med } : undefined,
          paths: mine.map((r) => ({ nextHop: r.nextHop, status: r.status, us: isUs(r), asPath: r.asPath, med: r.med })),
        });
      }
    }
    const summary = [
      ...ours.map((p) => `peer ${p.endpointAddress ?? p.endpointId ?? '?'} (${p.id}): state ${p.state ?? '?'}, bgp ${p.bgpStatus ?? '?'}, bfd ${p.bfdStatus ?? (p.liveness === 'bfd' ? '?' : 'not used')}`),
      ...prefixes.map((d) =>
        d.inFib
          ? `${d.prefix} on ${d.routeServerId}: in FIB via ${d.inFib.nextHop ?? '?'} (${d.inFib.us ? 'us' : 'another appliance'}); ${d.paths.length} path(s)`
          : `${d.prefix} on ${d.routeServerId}: not in FIB; ${d.paths.length} path(s)`),
    ];
    if (ours.length === 0) summary.unshift(`no Route Server peer has this appliance's address ${privateIp}`);
    return { privateIp, routeServerIds, peers: ours, prefixes, summary };
  } finally {
    if (!deps.api) api.close();
  }
}

/** Shared test fixtures for the AWS fallback: ids, fake state builders, a capturing logger. */

// The SDK warns once per process that Node 20 support ends in 2027; tests need not repeat it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { awsSchema, fallbackSchema, type AwsConfig, type FallbackConfig } from '../../src/config/aws.js';
import type { ClientOverrides } from '../../src/aws/clients.js';
import { FAKE_ACCESS_KEY, FAKE_SECRET, type FakeAws } from './fake/server.js';
import type { FakeRouteTable, FakeState, FakeVif, FakeVpn } from './fake/state.js';

export const ENI_A = 'eni-0aaaaaaaaaaaaaaa1';
export const ENI_B = 'eni-0bbbbbbbbbbbbbbb2';
export const ENI_OTHER = 'eni-0ccccccccccccccc3';
export const RTB_A1 = 'rtb-0aaaaaaaaaaaaaa01';
export const RTB_A2 = 'rtb-0aaaaaaaaaaaaaa02';
export const RTB_B1 = 'rtb-0bbbbbbbbbbbbbb01';

export interface CapturedLog {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as CapturedLog);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export function overridesFor(fake: FakeAws, o: Partial<ClientOverrides> = {}): ClientOverrides {
  return {
    endpoint: fake.url,
    credentials: { accessKeyId: FAKE_ACCESS_KEY, secretAccessKey: FAKE_SECRET },
    requestTimeoutMs: 1000,
    maxAttempts: 4,
    ...o,
  };
}

export function awsCfg(input: Record<string, unknown> = {}): AwsConfig {
  return awsSchema.parse({ region: 'eu-west-1', ...input });
}

export function fallbackCfg(input: Record<string, unknown>): FallbackConfig {
  return fallbackSchema.parse(input);
}

/** Zone A: two tables (IPv4, IPv6 and prefix-list routes); zone B: one table. All routes on their own zone's ENI. */
export function routeTablesState(): FakeRouteTable[] {
  const local = { destination: { kind: 'ipv4' as const, value: '10.10.0.0/16' }, gatewayId: 'local', state: 'active' as const, origin: 'CreateRouteTable' as const };
  return [
    {
      id: RTB_A1, vpcId: 'vpc-1', routes: [
        local,
        { destination: { kind: 'ipv4', value: '172.16.1.1/32' }, eni: ENI_A, state: 'active', origin: 'CreateRoute' },
        { destination: { kind: 'ipv4', value: '0.0.0.0/0' }, eni: ENI_A, state: 'active', origin: 'CreateRoute' },
        { destination: { kind: 'ipv6', value: '2001:db8:100::/48' }, eni: ENI_A, state: 'active', origin: 'CreateRoute' },
        { destination: { kind: 'prefix-list', value: 'pl-0123456789abcdef0' }, eni: ENI_A, state: 'active', origin: 'CreateRoute' },
        // Not ours: another appliance's ENI and an internet gateway.
        { destination: { kind: 'ipv4', value: '192.168.0.0/16' }, eni: ENI_OTHER, state: 'active', origin: 'CreateRoute' },
        { destination: { kind: 'ipv4', value: '198.51.100.0/24' }, gatewayId: 'igw-0123456789abcdef0', state: 'active', origin: 'CreateRoute' },
      ],
    },
    {
      id: RTB_A2, vpcId: 'vpc-1', routes: [
        local,
        { destination: { kind: 'ipv4', value: '172.16.1.1/32' }, eni: ENI_A, state: 'active', origin: 'CreateRoute' },
      ],
    },
    {
      id: RTB_B1, vpcId: 'vpc-1', routes: [
        local,
        { destination: { kind: 'ipv4', value: '172.16.1.1/32' }, eni: ENI_B, state: 'active', origin: 'CreateRoute' },
        { destination: { kind: 'ipv4', value: '0.0.0.0/0' }, eni: ENI_B, state: 'active', origin: 'CreateRoute' },
        { destination: { kind: 'ipv6', value: '2001:db8:100::/48' }, eni: ENI_B, state: 'active', origin: 'CreateRoute' },
      ],
    },
  ];
}

export function routeTablesFallback(extra: Record<string, unknown> = {}): FallbackConfig {
  return fallbackCfg({
    'route-tables': {
      appliances: [
        { eni: ENI_A, 'route-tables': [RTB_A1, RTB_A2], health: { tcp: '127.0.0.1:1' } },
        { eni: ENI_B, 'route-tables': [RTB_B1], health: { tcp: '127.0.0.1:1' } },
      ],
      ...extra,
    },
  });
}

/** Route target per "table destination", for compact assertions. */
export function targets(state: FakeState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of state.routeTables) for (const r of t.routes) out[`${t.id} ${r.destination.value}`] = r.eni ?? r.gatewayId ?? '-';
  return out;
}

// ------------------------------------------------------------- TGW VPN

export const TGW = 'tgw-0123456789abcdef0';
export const TGW_RTB_1 = 'tgw-rtb-0aaaaaaaaaaaaaa01';
export const TGW_RTB_2 = 'tgw-rtb-0aaaaaaaaaaaaaa02';
export const VPN_P = 'vpn-0aaaaaaaaaaaaaa01';
export const VPN_B = 'vpn-0bbbbbbbbbbbbbb01';
export const ATT_P = 'tgw-attach-0aaaaaaaaaaaaa01';
export const ATT_B = 'tgw-attach-0bbbbbbbbbbbbb01';
export const ATT_VPC = 'tgw-attach-0ccccccccccccc01';

export function vpn(id: string, role: string, up: [boolean, boolean], pair = 'dc1'): FakeVpn {
  return {
    id, state: 'available', transitGatewayId: TGW, tags: { [pair]: role, Name: `${pair}-${role}` },
    tunnels: up.map((u, i) => ({ outsideIp: `203.0.113.${i + 1}`, status: u ? 'UP' : 'DOWN', lastStatusChange: new Date('2026-11-21T10:00:00Z') })),
  };
}

export function tgwState(): Partial<FakeState> {
  return {
    vpns: [vpn(VPN_P, 'primary', [true, true]), vpn(VPN_B, 'backup', [true, false])],
    attachments: [
      { id: ATT_P, transitGatewayId: TGW, resourceId: VPN_P, resourceType: 'vpn', state: 'available' },
      { id: ATT_B, transitGatewayId: TGW, resourceId: VPN_B, resourceType: 'vpn', state: 'available' },
      { id: ATT_VPC, transitGatewayId: TGW, resourceId: 'vpc-1', resourceType: 'vpc', state: 'available' },
    ],
    tgwRouteTables: [
      {
        id: TGW_RTB_1, transitGatewayId: TGW, routes: [
          { cidr: '10.100.0.0/16', attachmentId: ATT_P, type: 'static', state: 'active' },
          { cidr: '10.101.0.0/16', attachmentId: ATT_P, type: 'static', state: 'active' },
          { prefixListId: 'pl-0fedcba9876543210', attachmentId: ATT_P, type: 'static', state: 'active' },
          { cidr: '10.10.0.0/16', attachmentId: ATT_VPC, type: 'propagated', state: 'active' },
        ],
      },
      {
        id: TGW_RTB_2, transitGatewayId: TGW, routes: [
          { cidr: '10.100.0.0/16', attachmentId: ATT_P, type: 'static', state: 'active' },
          { cidr: '10.200.0.0/16', attachmentId: ATT_VPC, type: 'static', state: 'active' },
        ],
      },
    ],
  };
}

export function tgwTargets(state: FakeState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of state.tgwRouteTables) for (const r of t.routes) out[`${t.id} ${r.cidr ?? r.prefixListId}`] = r.attachmentId;
  return out;
}

export function setTunnels(state: FakeState, id: string, up: [boolean, boolean]): void {
  const v = state.vpns.find((x) => x.id === id);
  if (!v) throw new Error(`no ${id}`);
  v.tunnels.forEach((t, i) => {
    t.status = up[i] ? 'UP' : 'DOWN';
  });
}

// ------------------------------------------------------------- Direct Connect

export const VIF_1 = 'dxvif-fgaaaa01';
export const VIF_2 = 'dxvif-fgbbbb02';
export const VIF_3 = 'dxvif-fgcccc03';

export function vif(id: string, up = true): FakeVif {
  return { id, name: id, baseState: 'available', bgpPeers: [{ id: `dxpeer-${id.slice(-4)}a`, status: up ? 'up' : 'down' }, { id: `dxpeer-${id.slice(-4)}b`, status: up ? 'up' : 'down' }] };
}

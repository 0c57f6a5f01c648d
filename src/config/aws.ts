/**
 * Config fragments for the `aws` and `fallback` keys (issue 6).
 *
 * Input keys are kebab-case; the output is camelCase with every default filled
 * in, so src/aws never looks at raw config. Durations follow the convention of
 * src/config/health.ts: a string with a unit ("500ms", "5s", "2m", "1h"); a bare
 * number is rejected because its unit would be a guess.
 *
 * This file imports nothing from schema.ts (schema.ts imports this one; a cycle
 * would leave its helpers undefined while this module initialises).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

// ---------------------------------------------------------------- primitives

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a map' : typeof v;
}

/** A value parsed by `parse` (undefined = invalid), with a message naming what was expected. */
function value<T>(expected: string, parse: (v: unknown) => T | undefined) {
  return z.unknown().transform((v, ctx): T => {
    const r = v === undefined ? undefined : parse(v);
    if (r === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: v === undefined ? `missing: expected ${expected}` : `expected ${expected}, got ${shown(v)}`,
        input: v,
      });
      return z.NEVER;
    }
    return r;
  });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseAwsDuration(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2]] ?? NaN));
  return Number.isFinite(ms) ? ms : undefined;
}

function fmt(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function duration(minMs: number, maxMs: number) {
  return value(`a duration with a unit ("500ms", "5s", "2m", "1h") in ${fmt(minMs)}..${fmt(maxMs)}`, (v) => {
    const ms = parseAwsDuration(v);
    return ms !== undefined && ms >= minMs && ms <= maxMs ? ms : undefined;
  });
}

const int = (min: number, max: number) =>
  value(`an integer ${min}..${max}`, (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined));

const bool = value('true or false', (v) => (typeof v === 'boolean' ? v : undefined));

const idOf = (prefix: string, what: string) =>
  value(`${what} id like "${prefix}-0123456789abcdef0"`, (v) =>
    typeof v === 'string' && new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(v) ? v : undefined,
  );

export const ENI_ID = idOf('eni', 'a network interface');
const RTB_ID = idOf('rtb', 'a route table');
const TGW_RTB_ID = idOf('tgw-rtb', 'a Transit Gateway route table');
const VIF_ID = value('a virtual interface id like "dxvif-fg5xyz12"', (v) =>
  typeof v === 'string' && /^dxvif-[0-9a-z]{8,17}$/.test(v) ? v : undefined,
);

const REGION = value('an AWS region like "eu-west-1"', (v) =>
  typeof v === 'string' && /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v) ? v : undefined,
);

const HTTP_URL = value('an http:// or https:// URL', (v) => {
  if (typeof v !== 'string') return undefined;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? v.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
});

const SNS_ARN = value('an SNS topic ARN like "arn:aws:sns:eu-west-1:123456789012:bgp-sidecar"', (v) =>
  typeof v === 'string' && /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/.test(v) ? v : undefined,
);

const IPV4 = value('an IPv4 address', (v) => (typeof v === 'string' && isIPv4(v) ? v : undefined));

/** "host:port" for a TCP check. */
const HOST_PORT = value('"host:port" (e.g. "10.0.2.10:179")', (v) => {
  if (typeof v !== 'string') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  const host = m ? (m[1] ?? m[2]) : undefined;
  const port = m ? Number(m[3]) : NaN;
  if (!host || !(isIPv4(host) || isIPv6(host)) || !(port >= 1 && port <= 65535)) return undefined;
  return { host, port };
});

/** A destination a VPC route can have: an IPv4 or IPv6 CIDR or a managed prefix list. */
const DESTINATION = value('an IPv4 or IPv6 CIDR ("10.0.0.0/8", "2001:db8::/32") or a prefix list id ("pl-0123abcd")', (v) => {
  if (typeof v !== 'string') return undefined;
  if (/^pl-[0-9a-f]{8,17}$/.test(v)) return v;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  if (!m || m[1] === undefined) return undefined;
  const len = Number(m[2]);
  if (isIPv4(m[1]) && len <= 32) return v;
  if (isIPv6(m[1]) && len <= 128) return v.toLowerCase();
  return undefined;
});

const TAG_KEY = value('a tag key (1..128 characters)', (v) =>
  typeof v === 'string' && v.length >= 1 && v.length <= 128 && !v.startsWith('aws:') ? v : undefined,
);

function list<T extends z.ZodType>(item: T, what: string) {
  return z.array(item, { error: (i) => `expected a list of ${what}, got ${shown(i.input)}` });
}

function map<S extends z.ZodRawShape>(shape: S, keys: string) {
  return z.strictObject(shape, {
    error: (i) => (i.code === 'invalid_type' ? `expected a map (${keys}), got ${shown(i.input)}` : undefined),
  });
}

// ------------------------------------------------------------------- aws

export interface AwsCredentialsConfig {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsConfig {
  /** Region; from IMDS (placement/region) when absent. */
  region?: string;
  /** Send every AWS API call here instead of the real endpoints (labs and tests). */
  endpoint?: string;
  /** IMDS base URL (default http://169.254.169.254). */
  imdsEndpoint: string;
  instanceId?: string;
  eni?: string;
  zone?: string;
  privateIp?: string;
  /** Static credentials for labs and tests; production uses the default chain (instance role). */
  credentials?: AwsCredentialsConfig;
  /** Attempts per API call, including the first (SDK standard retry: throttling, 5xx, timeouts). */
  maxAttempts: number;
  /** Per-attempt timeout of one HTTP request. */
  requestTimeoutMs: number;
  /** Route Server id for rs-status (default: every route server that has this appliance as a peer). */
  routeServerId?: string;
  /** SNS topic every fallback action and refusal is published to. */
  snsTopicArn?: string;
  /** The daemon polls Route Server status (for status and metrics) this often; absent: no polling. */
  rsStatusIntervalMs?: number;
}

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

export const awsSchema = map({
  region: REGION.optional(),
  endpoint: HTTP_URL.optional(),
  'imds-endpoint': HTTP_URL.optional(),
  'instance-id': value('an instance id like "i-0123456789abcdef0"', (v) =>
    typeof v === 'string' && /^i-[0-9a-f]{8,17}$/.test(v) ? v : undefined).optional(),
  eni: ENI_ID.optional(),
  zone: value('an availability zone like "eu-west-1a"', (v) =>
    typeof v === 'string' && /^[a-z]{2}(-[a-z]+)+-\d{1,2}[a-z]$/.test(v) ? v : undefined).optional(),
  'private-ip': IPV4.optional(),
  credentials: map({
    'access-key-id': value('an access key id', (v) => (typeof v === 'string' && /^[A-Z0-9]{16,128}$/.test(v) ? v : undefined)),
    'secret-access-key': value('a secret access key', (v) => (typeof v === 'string' && v.length >= 1 ? v : undefined)),
    'session-token': value('a session token', (v) => (typeof v === 'string' && v.length >= 1 ? v : undefined)).optional(),
  }, 'access-key-id, secret-access-key, session-token').optional(),
  'max-attempts': int(1, 10).optional(),
  'request-timeout': duration(100, 120_000).optional(),
  'route-server-id': value('a route server id like "rs-0123456789abcdef0"', (v) =>
    typeof v === 'string' && /^rs-[0-9a-f]{8,17}$/.test(v) ? v : undefined).optional(),
  'sns-topic-arn': SNS_ARN.optional(),
  'rs-status-interval': duration(10_000, 3_600_000).optional(),
}, 'region, endpoint, imds-endpoint, instance-id, eni, zone, private-ip, credentials, max-attempts, request-timeout, route-server-id, sns-topic-arn, rs-status-interval')
  .transform((a): AwsConfig => ({
    ...(a.region !== undefined ? { region: a.region } : {}),
    ...(a.endpoint !== undefined ? { endpoint: a.endpoint } : {}),
    imdsEndpoint: a['imds-endpoint'] ?? DEFAULT_IMDS_ENDPOINT,
    ...(a['instance-id'] !== undefined ? { instanceId: a['instance-id'] } : {}),
    ...(a.eni !== undefined ? { eni: a.eni } : {}),
    ...(a.zone !== undefined ? { zone: a.zone } : {}),
    ...(a['private-ip'] !== undefined ? { privateIp: a['private-ip'] } : {}),
    ...(a.credentials !== undefined
      ? {
          credentials: {
            accessKeyId: a.credentials['access-key-id'],
            secretAccessKey: a.credentials['secret-access-key'],
            ...(a.credentials['session-token'] !== undefined ? { sessionToken: a.credentials['session-token'] } : {}),
          },
        }
      : {}),
    maxAttempts: a['max-attempts'] ?? 5,
    requestTimeoutMs: a['request-timeout'] ?? 5000,
    ...(a['route-server-id'] !== undefined ? { routeServerId: a['route-server-id'] } : {}),
    ...(a['sns-topic-arn'] !== undefined ? { snsTopicArn: a['sns-topic-arn'] } : {}),
    ...(a['rs-status-interval'] !== undefined ? { rsStatusIntervalMs: a['rs-status-interval'] } : {}),
  }));

// -------------------------------------------------------------- fallback

export type PeerHealthSource = { type: 'tcp'; host: string; port: number } | { type: 'http'; url: string };

export interface ApplianceConfig {
  eni: string;
  /** The route tables of this appliance's zone: they point at it while both appliances are healthy. */
  routeTables: string[];
  /** How the other appliance checks this one (used when this appliance is the peer). */
  health?: PeerHealthSource;
}

export interface PeerCheckConfig {
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
}

export interface RouteTablesFallbackConfig {
  dryRun: boolean;
  appliances: [ApplianceConfig, ApplianceConfig];
  /** Only routes with these destinations (default: every route that targets one of the two ENIs). */
  destinations?: string[];
  peerCheck: PeerCheckConfig;
  /** Re-read and correct the tables this often even without a change of health. */
  reconcileIntervalMs: number;
}

export interface TgwVpnFallbackConfig {
  dryRun: boolean;
  /** Tag keys; each names a pair: the VPN connection tagged `primary` and the one tagged `backup`. */
  pairs: string[];
  /** Transit Gateway route tables to search (default: every route table of the pair's Transit Gateway). */
  routeTables?: string[];
  pollIntervalMs: number;
  /** The primary must be seen down this long before failover (flap guard). */
  failoverAfterMs: number;
  /** The primary must be seen up continuously this long before failback; false: never fail back. */
  failbackAfterMs: number | false;
}

export interface VirtualInterfaceConfig {
  id: string;
  /** This appliance's health verdict going down raises an alarm for this interface. */
  alarmOnVerdict: boolean;
}

export interface DirectConnectFallbackConfig {
  dryRun: boolean;
  virtualInterfaces: VirtualInterfaceConfig[];
  minAvailable: number;
  testDurationMinutes: number;
  pollIntervalMs: number;
}

export interface FallbackConfig {
  dryRun: boolean;
  routeTables?: RouteTablesFallbackConfig;
  tgwVpn?: TgwVpnFallbackConfig;
  directConnect?: DirectConnectFallbackConfig;
}

const peerHealthSchema = map({
  tcp: HOST_PORT.optional(),
  http: HTTP_URL.optional(),
}, 'tcp: "host:port" or http: URL').transform((h, ctx): PeerHealthSource => {
  if ((h.tcp === undefined) === (h.http === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'expected exactly one of tcp: "host:port" or http: URL' });
    return z.NEVER;
  }
  return h.tcp !== undefined ? { type: 'tcp', host: h.tcp.host, port: h.tcp.port } : { type: 'http', url: h.http as string };
});

const applianceSchema = map({
  eni: ENI_ID,
  'route-tables': list(RTB_ID, 'route table ids').min(1, { error: 'expected at least one route table id' }),
  health: peerHealthSchema.optional(),
}, 'eni, route-tables, health').transform((a): ApplianceConfig => ({
  eni: a.eni,
  routeTables: a['route-tables'],
  ...(a.health !== undefined ? { health: a.health } : {}),
}));

const routeTablesSchema = map({
  'dry-run': bool.optional(),
  appliances: list(applianceSchema, 'appliances'),
  destinations: list(DESTINATION, 'destinations').min(1, { error: 'expected at least one destination (or leave the key out)' }).optional(),
  'peer-check': map({
    interval: duration(100, 600_000).optional(),
    timeout: duration(50, 60_000).optional(),
    rise: int(1, 100).optional(),
    fall: int(1, 100).optional(),
  }, 'interval, timeout, rise, fall').optional(),
  'reconcile-interval': duration(1000, 86_400_000).optional(),
}, 'dry-run, appliances, destinations, peer-check, reconcile-interval').transform((r, ctx): RouteTablesFallbackConfig => {
  const [a, b] = r.appliances;
  if (r.appliances.length !== 2 || !a || !b) {
    ctx.addIssue({ code: 'custom', path: ['appliances'], message: `expected exactly two appliances (active-active across two zones), got ${r.appliances.length}` });
    return z.NEVER;
  }
  if (a.eni === b.eni) {
    ctx.addIssue({ code: 'custom', path: ['appliances', 1, 'eni'], message: `expected a different ENI from appliances[0].eni, got ${JSON.stringify(b.eni)} twice` });
    return z.NEVER;
  }
  const shared = a.routeTables.filter((t) => b.routeTables.includes(t));
  if (shared.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['appliances', 1, 'route-tables'], message: `expected each route table under one appliance only, ${shared.join(', ')} is under both` });
    return z.NEVER;
  }
  const pc = r['peer-check'];
  const peerCheck: PeerCheckConfig = {
    intervalMs: pc?.interval ?? 2000,
    timeoutMs: pc?.timeout ?? 1000,
    rise: pc?.rise ?? 2,
    fall: pc?.fall ?? 3,
  };
  if (peerCheck.timeoutMs > peerCheck.intervalMs) {
    ctx.addIssue({ code: 'custom', path: ['peer-check', 'timeout'], message: `expected a timeout no longer than the interval (${fmt(peerCheck.intervalMs)}), got ${fmt(peerCheck.timeoutMs)}` });
    return z.NEVER;
  }
  return {
    dryRun: r['dry-run'] ?? false,
    appliances: [a, b],
    ...(r.destinations !== undefined ? { destinations: r.destinations } : {}),
    peerCheck,
    reconcileIntervalMs: r['reconcile-interval'] ?? 60_000,
  };
});

const tgwVpnSchema = map({
  'dry-run': bool.optional(),
  pairs: list(TAG_KEY, 'tag keys (one per primary/backup pair)').min(1, { error: 'expected at least one pair' }),
  'route-tables': list(TGW_RTB_ID, 'Transit Gateway route table ids').min(1, { error: 'expected at least one route table id (or leave the key out)' }).optional(),
  'poll-interval': duration(1000, 3_600_000).optional(),
  'failover-after': duration(0, 3_600_000).optional(),
  'failback-after': value('a duration with a unit ("30s", "10m", "1h") up to 24h, or false (never fail back)', (v) => {
    if (v === false) return false as const;
    const ms = parseAwsDuration(v);
    return ms !== undefined && ms <= 86_400_000 ? ms : undefined;
  }).optional(),
}, 'dry-run, pairs, route-tables, poll-interval, failover-after, failback-after').transform((t, ctx): TgwVpnFallbackConfig => {
  const dup = t.pairs.find((p, i) => t.pairs.indexOf(p) !== i);
  if (dup !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['pairs'], message: `expected each pair once, ${JSON.stringify(dup)} is listed twice` });
    return z.NEVER;
  }
  return {
    dryRun: t['dry-run'] ?? false,
    pairs: t.pairs,
    ...(t['route-tables'] !== undefined ? { routeTables: t['route-tables'] } : {}),
    pollIntervalMs: t['poll-interval'] ?? 15_000,
    failoverAfterMs: t['failover-after'] ?? 0,
    failbackAfterMs: t['failback-after'] ?? 600_000,
  };
});

const vifSchema = z.union([
  VIF_ID.transform((id): VirtualInterfaceConfig => ({ id, alarmOnVerdict: false })),
  map({ id: VIF_ID, 'alarm-on-verdict': bool.optional() }, 'id, alarm-on-verdict')
    .transform((v): VirtualInterfaceConfig => ({ id: v.id, alarmOnVerdict: v['alarm-on-verdict'] ?? false })),
], { error: (i) => `expected a virtual interface id or a map (id, alarm-on-verdict), got ${shown(i.input)}` });

const directConnectSchema = map({
  'dry-run': bool.optional(),
  'virtual-interfaces': list(vifSchema, 'virtual interfaces').min(1, { error: 'expected at least one virtual interface' }),
  'min-available': int(0, 1000),
  // StartBgpFailoverTest: testDurationInMinutes, default 180, maximum 4320.
  'test-duration-minutes': int(1, 4320).optional(),
  'poll-interval': duration(1000, 3_600_000).optional(),
}, 'dry-run, virtual-interfaces, min-available, test-duration-minutes, poll-interval').transform((d, ctx): DirectConnectFallbackConfig => {
  const ids = d['virtual-interfaces'].map((v) => v.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['virtual-interfaces'], message: `expected each interface once, ${dup} is listed twice` });
    return z.NEVER;
  }
  if (d['min-available'] >= ids.length) {
    ctx.addIssue({ code: 'custom', path: ['min-available'], message: `expected fewer than the ${ids.length} listed interfaces (otherwise no interface could ever be tested), got ${d['min-available']}` });
    return z.NEVER;
  }
  return {
    dryRun: d['dry-run'] ?? false,
    virtualInterfaces: d['virtual-interfaces'],
    minAvailable: d['min-available'],
    testDurationMinutes: d['test-duration-minutes'] ?? 60,
    pollIntervalMs: d['poll-interval'] ?? 30_000,
  };
});

export const fallbackSchema = map({
  'dry-run': bool.optional(),
  'route-tables': routeTablesSchema.optional(),
  'tgw-vpn': tgwVpnSchema.optional(),
  'direct-connect': directConnectSchema.optional(),
}, 'dry-run, route-tables, tgw-vpn, direct-connect').transform((f): FallbackConfig => {
  const all = f['dry-run'] ?? false;
  return {
    dryRun: all,
    ...(f['route-tables'] ? { routeTables: { ...f['route-tables'], dryRun: all || f['route-tables'].dryRun } } : {}),
    ...(f['tgw-vpn'] ? { tgwVpn: { ...f['tgw-vpn'], dryRun: all || f['tgw-vpn'].dryRun } } : {}),
    ...(f['direct-connect'] ? { directConnect: { ...f['direct-connect'], dryRun: all || f['direct-connect'].dryRun } } : {}),
  };
});

/** The keys this fragment adds to the document schema (spread into it by schema.ts). */
export const awsSections = {
  aws: awsSchema.optional(),
  fallback: fallbackSchema.optional(),
};

/** The normalized `aws` and `fallback` sections (for schema.ts's transform). */
export function pickAws(d: { aws?: AwsConfig | undefined; fallback?: FallbackConfig | undefined }): { aws?: AwsConfig; fallback?: FallbackConfig } {
  return {
    ...(d.aws !== undefined ? { aws: d.aws } : {}),
    ...(d.fallback !== undefined ? { fallback: d.fallback } : {}),
  };
}

/** True when any fallback action is configured (only then are AWS clients loaded). */
export function hasFallback(f: FallbackConfig | undefined): boolean {
  return !!f && (!!f.routeTables || !!f.tgwVpn || !!f.directConnect);
}

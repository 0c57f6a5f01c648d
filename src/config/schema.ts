/**
 * The configuration schema: zod schemas for the file format (kebab-case keys,
 * YAML or JSON) that validate, apply defaults and return the normalized
 * camelCase config. Every error message says what was expected and what was
 * found; src/config/load.ts prefixes it with the path.
 *
 * Areas own their fragments (src/config/bfd.ts, health.ts, aws.ts); this
 * file composes them with the sections the daemon itself owns.
 */
import { isIPv4, isIPv6 } from 'node:net';
import {
  DEFAULT_BGP_PORT,
  DEFAULT_CONTROL_SOCKET,
  DEFAULT_HOLD_TIME,
  DEFAULT_METRICS_PORT,
  LOG_LEVELS,
  type AnnounceConfig,
  type ControlConfig,
  type ListenAddress,
  type LogLevel,
} from './types.js';
import { z } from 'zod';
import { awsSections, pickAws } from './aws.js';
import { COMMUNITY_EXPECTED, LARGE_COMMUNITY_EXPECTED, parseCommunity, parseLargeCommunity, WELL_KNOWN_COMMUNITIES } from './communities.js';
import { peerBfdSchema } from './bfd.js';
import { healthConfigShape, MAX_PREPEND, type HealthConfig, type HooksConfig, type LoopbackConfig, type PolicyConfig } from './health.js';

/** How a value is shown in an error: strings quoted, lists and maps named. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return typeof v;
}

/**
 * A field whose value is parsed by `parse` (undefined = invalid). A missing
 * required key reads "missing: expected ..."; wrap with `.optional()` for
 * optional keys (zod then never calls the parser for undefined).
 */
export function field<T>(expected: string, parse: (v: unknown) => T | undefined, detail?: (v: unknown) => string | undefined) {
  return z.unknown().transform((v, ctx): T => {
    const r = v === undefined ? undefined : parse(v);
    if (r === undefined) {
      const extra = v === undefined ? undefined : detail?.(v);
      ctx.addIssue({
        code: 'custom',
        message: v === undefined ? `missing: expected ${expected}` : `expected ${expected}, got ${show(v)}${extra ? ` (${extra})` : ''}`,
        input: v,
      });
      return z.NEVER;
    }
    return r;
  });
}

export function intIn(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
}

export const intRange = (min: number, max: number, what = 'an integer') =>
  field(`${what} ${min}..${max}`, (v) => intIn(v, min, max));

export const bool = field('true or false', (v) => (typeof v === 'boolean' ? v : undefined), (v) =>
  typeof v === 'string' && /^(yes|no|on|off|y|n)$/i.test(v) ? 'YAML 1.2 reads yes/no/on/off as text; write true or false' : undefined,
);

/** RFC 6793 4-octet ASN, plain or RFC 5396 asdot ("1.10"). */
export function parseAsn(v: unknown): number | undefined {
  if (typeof v === 'number') return intIn(v, 1, 4294967295);
  if (typeof v === 'string') {
    const plain = /^\d{1,10}$/.exec(v);
    if (plain) return intIn(Number(v), 1, 4294967295);
    const dot = /^(\d{1,5})\.(\d{1,5})$/.exec(v);
    if (dot) {
      const hi = intIn(Number(dot[1]), 0, 65535);
      const lo = intIn(Number(dot[2]), 0, 65535);
      if (hi === undefined || lo === undefined) return undefined;
      return intIn(hi * 65536 + lo, 1, 4294967295);
    }
  }
  return undefined;
}
export const asn = field('an integer 1..4294967295', parseAsn);

/** Canonical text of an IP address (RFC 5952 for IPv6), undefined if not one. */
export function canonicalIp(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (isIPv4(v)) return v;
  if (isIPv6(v) && !v.includes('%')) return new URL(`http://[${v}]/`).hostname.slice(1, -1);
  return undefined;
}
export const ipv4 = field('an IPv4 address', (v) => (typeof v === 'string' && isIPv4(v) ? v : undefined));
export const ipv6 = field('an IPv6 address', (v) => {
  const c = canonicalIp(v);
  return c !== undefined && c.includes(':') ? c : undefined;
});
export const ipAddress = field('an IPv4 or IPv6 address', canonicalIp);

function ipv4ToBigInt(a: string): bigint {
  return a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}
function ipv6ToBigInt(a: string): bigint {
  // a is canonical (lower case, maybe "::", maybe an embedded dotted quad).
  let s = a;
  const dq = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dq && dq[1]) {
    const n = ipv4ToBigInt(dq[1]);
    s = `${s.slice(0, -dq[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
function bigIntToIp(n: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((sh) => String((n >> sh) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return canonicalIp(groups.join(':')) ?? groups.join(':');
}

export interface ParsedPrefix {
  text: string;
  family: 4 | 6;
  addr: string;
  len: number;
}

export type PrefixResult = { ok: ParsedPrefix } | { error: string };

/**
 * "172.16.1.1/32" or "2001:db8::1/128". Host bits set is an error, not a
 * silent normalisation: announcing 172.16.1.0/24 when the file says
 * 172.16.1.1/24 would announce something the operator did not write.
 */
export function parsePrefix(v: unknown): PrefixResult {
  if (typeof v !== 'string') return { error: `expected an IPv4 or IPv6 prefix like "172.16.1.1/32", got ${show(v)}` };
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  const addr = m ? canonicalIp(m[1]) : undefined;
  if (!m || addr === undefined) return { error: `expected an IPv4 or IPv6 prefix like "172.16.1.1/32", got ${show(v)}` };
  const v6 = addr.includes(':');
  const bits = v6 ? 128 : 32;
  const len = Number(m[2]);
  if (len > bits) return { error: `expected a prefix length 0..${bits}, got ${show(v)}` };
  const n = v6 ? ipv6ToBigInt(addr) : ipv4ToBigInt(addr);
  const hostMask = (1n << BigInt(bits - len)) - 1n;
  if ((n & hostMask) !== 0n) {
    const net = bigIntToIp(n & ~hostMask & ((1n << BigInt(bits)) - 1n), v6);
    return {
      error: `host bits set in ${show(v)}: write ${net}/${len} for the network or ${addr}/${bits} for the single address`,
    };
  }
  return { ok: { text: `${addr}/${len}`, family: v6 ? 6 : 4, addr, len } };
}

export const prefix = z.unknown().transform((v, ctx): ParsedPrefix => {
  const r = parsePrefix(v);
  if ('error' in r) {
    ctx.addIssue({ code: 'custom', message: v === undefined ? 'missing: expected a prefix' : r.error, input: v });
    return z.NEVER;
  }
  return r.ok;
});

export { WELL_KNOWN_COMMUNITIES };

export const community = field(COMMUNITY_EXPECTED, parseCommunity);

export const largeCommunity = field(LARGE_COMMUNITY_EXPECTED, parseLargeCommunity);

/** "host:port" or "[v6]:port". */
export function parseListen(v: unknown): { host: string; port: number } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const host = canonicalIp(m[1] ?? m[2]);
  const port = intIn(Number(m[3]), 1, 65535);
  if (host === undefined || port === undefined) return undefined;
  return { host, port };
}

/* ------------------------------------------------- fragments of other areas */
// Per-peer `bfd` comes from src/config/bfd.ts, health/policy/loopback/hooks from
// src/config/health.ts, aws/fallback from src/config/aws.ts.
const healthSections = {
  ...healthConfigShape,
  health: healthConfigShape.health.optional(),
};
function pickHealth(d: { health?: HealthConfig; policy: PolicyConfig; loopback: LoopbackConfig; hooks: HooksConfig }) {
  return { ...(d.health !== undefined ? { health: d.health } : {}), policy: d.policy, loopback: d.loopback, hooks: d.hooks };
}

/* ------------------------------------------------------------ our sections */

/** Same bound as the policy section's prepends (src/config/health.ts). */
const PREPEND_MAX = MAX_PREPEND;

/** `announce:` — how the floating prefixes are announced when no policy overrides it. */
export const announceSchema = z
  .strictObject({
    prepend: intRange(0, PREPEND_MAX).optional(),
    med: intRange(0, 4294967295).optional(),
    communities: z.array(community, { error: (i) => `expected a list of communities, got ${show(i.input)}` }).optional(),
    'large-communities': z.array(largeCommunity, { error: (i) => `expected a list of large communities, got ${show(i.input)}` }).optional(),
  }, { error: (i) => (i.code === 'invalid_type' ? `expected a map (prepend, med, communities, large-communities), got ${show(i.input)}` : undefined) })
  .transform((a): AnnounceConfig => ({
    prepend: a.prepend ?? 0,
    ...(a.med !== undefined ? { med: a.med } : {}),
    communities: a.communities ?? [],
    largeCommunities: a['large-communities'] ?? [],
  }));

/** RFC 4271 4.2: the Hold Time MUST be either zero or at least three seconds. */
export const holdTime = field('0 or an integer 3..65535 (seconds; RFC 4271 4.2 forbids 1 and 2)', (v) =>
  v === 0 ? 0 : intIn(v, 3, 65535),
);

/** Default OpenSent hold time in seconds (src/fsm/bgp-fsm.ts DEFAULT_OPEN_HOLD_MS). */
export const DEFAULT_OPEN_HOLD_TIME = 30;

const peerObject = z.strictObject({
  address: ipAddress,
  asn,
  port: intRange(1, 65535).optional(),
  'local-address': ipAddress.optional(),
  'hold-time': holdTime.optional(),
  // RFC 4271 8.2.2: the hold timer while waiting for the peer's OPEN (OpenSent); the RFC suggests 4 minutes.
  'open-hold-time': field('an integer 1..65535 (seconds)', (v) => intIn(v, 1, 65535)).optional(),
  passive: bool.optional(),
  bfd: peerBfdSchema.optional(),
  'ipv6-next-hop': ipv6.optional(),
  'ipv4-next-hop': ipv4.optional(),
  'max-prefixes': intRange(1, 4294967295).optional(),
}, { error: (i) => (i.code === 'invalid_type' ? `expected a map with address and asn, got ${show(i.input)}` : undefined) });

export const peerSchema = peerObject.transform((p) => ({
  address: p.address,
  asn: p.asn,
  port: p.port ?? DEFAULT_BGP_PORT,
  ...(p['local-address'] !== undefined ? { localAddress: p['local-address'] } : {}),
  holdTime: p['hold-time'] ?? DEFAULT_HOLD_TIME,
  /** Seconds the OpenSent state waits for the peer's OPEN before NOTIFICATION Hold Timer Expired. */
  openHoldTime: p['open-hold-time'] ?? DEFAULT_OPEN_HOLD_TIME,
  passive: p.passive ?? false,
  ...(p.bfd !== undefined ? { bfd: p.bfd } : {}),
  ...(p['ipv6-next-hop'] !== undefined ? { ipv6NextHop: p['ipv6-next-hop'] } : {}),
  ...(p['ipv4-next-hop'] !== undefined ? { ipv4NextHop: p['ipv4-next-hop'] } : {}),
  ...(p['max-prefixes'] !== undefined ? { maxPrefixes: p['max-prefixes'] } : {}),
}));

/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const SUN_PATH_MAX = 107;

export const controlSchema = z
  .strictObject({
    socket: field(`an absolute path of at most ${SUN_PATH_MAX} bytes`, (v) =>
      typeof v === 'string' && v.startsWith('/') && Buffer.byteLength(v) <= SUN_PATH_MAX && !v.includes('\0') ? v : undefined,
    ).optional(),
    mode: field('an octal file mode in quotes, like "0660"', (v) => {
      if (typeof v !== 'string' || !/^0?[0-7]{3}$/.test(v)) return undefined;
      return parseInt(v, 8);
    }, (v) => (typeof v === 'number' ? 'YAML reads 0660 as the decimal number 660; quote it' : undefined)).optional(),
    group: field('a group name or a numeric gid', (v) => {
      if (typeof v === 'number') return intIn(v, 0, 4294967294);
      if (typeof v === 'string' && /^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(v)) return v;
      return undefined;
    }).optional(),
  }, { error: (i) => (i.code === 'invalid_type' ? `expected a map (socket, mode, group), got ${show(i.input)}` : undefined) })
  .transform((c): ControlConfig => ({
    socket: c.socket ?? DEFAULT_CONTROL_SOCKET,
    mode: c.mode ?? 0o660,
    ...(c.group !== undefined ? { group: c.group } : {}),
  }));

const listen = field('"host:port" (e.g. "127.0.0.1:9479" or "[::1]:9479") or false', (v) =>
  v === false ? false : parseListen(v),
);

const metricsExpected = (i: { input?: unknown }) => `expected false or a map with listen: "host:port", got ${show(i.input)}`;
export const metricsSchema = z.union([
  z.literal(false, { error: metricsExpected }),
  z.strictObject({ listen: listen.optional() }, { error: (i) => (i.code === 'invalid_type' ? metricsExpected(i) : undefined) }),
])
  .transform((m): ListenAddress | false => {
    if (m === false || m.listen === false) return false;
    return m.listen ?? { host: '127.0.0.1', port: DEFAULT_METRICS_PORT };
  });

export const logLevel = field(`one of ${LOG_LEVELS.join(', ')}`, (v) =>
  typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : undefined,
);

/* ---------------------------------------------------------------- document */

const documentObject = z.strictObject({
  'local-asn': asn,
  'router-id': ipv4.optional(),
  listen: field('"host:port" to accept passive sessions on (e.g. "0.0.0.0:179")', parseListen).optional(),
  prefixes: z.array(prefix, { error: (i) => `expected a list of prefixes, got ${show(i.input)}` })
    .min(1, { error: 'expected at least one prefix' }),
  announce: announceSchema.optional(),
  peers: z.array(peerSchema, { error: (i) => (i.input === undefined ? 'missing: expected a list of peers' : `expected a list of peers, got ${show(i.input)}`) })
    .min(1, { error: 'expected at least one peer' }),
  ...healthSections,
  ...awsSections,
  control: controlSchema.optional(),
  metrics: metricsSchema.optional(),
  'log-level': logLevel.optional(),
}, { error: (i) => (i.code === 'invalid_type' ? `expected a map of settings (local-asn, prefixes, peers, ...), got ${show(i.input)}` : undefined) });

/** The whole file: validates, applies defaults and turns keys into camelCase. */
export const configSchema = documentObject.transform((d) => ({
  localAsn: d['local-asn'],
  ...(d['router-id'] !== undefined ? { routerId: d['router-id'] } : {}),
  ...(d.listen !== undefined ? { listen: d.listen } : {}),
  prefixes: d.prefixes.map((p) => p.text),
  announce: d.announce ?? { prepend: 0, communities: [], largeCommunities: [] },
  peers: d.peers,
  ...pickHealth(d),
  ...pickAws(d),
  control: d.control ?? { socket: DEFAULT_CONTROL_SOCKET, mode: 0o660 },
  metrics: d.metrics ?? { host: '127.0.0.1', port: DEFAULT_METRICS_PORT },
  logLevel: d['log-level'] ?? 'info',
}));

export type Config = z.output<typeof configSchema>;
export type PeerConfig = z.output<typeof peerSchema>;

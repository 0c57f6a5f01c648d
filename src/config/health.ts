/**
 * Config fragments for the `health`, `policy`, `loopback` and `hooks` keys.
 *
 * Input keys are kebab-case (as written in YAML); the parsed output is camelCase
 * and fully defaulted, so the daemon never looks at raw config.
 *
 * Durations: one convention for this whole fragment. A duration is a string with a
 * unit: "250ms", "5s", "2m", "1h" (decimals allowed: "1.5s"). A bare number is
 * rejected on purpose: `interval: 5` could mean 5 ms or 5 s, and guessing wrong
 * either hammers a service or slows failover by 1000x. (BFD keys, by contrast, are
 * integers with an explicit `-ms` suffix in their name; both forms state the unit.)
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { COMMUNITY_EXPECTED, LARGE_COMMUNITY_EXPECTED, parseCommunity, parseLargeCommunity } from './communities.js';

// ---------------------------------------------------------------------------
// Durations

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse "500ms" | "5s" | "2m" | "1h" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2]] ?? NaN);
  if (!Number.isFinite(ms)) return undefined;
  return Math.round(ms);
}

/** A duration string with a unit, checked to lie within [minMs, maxMs]; output: milliseconds. */
export function durationSchema(minMs: number, maxMs: number) {
  const range = `${formatDuration(minMs)}..${formatDuration(maxMs)}`;
  return z.unknown().transform((v, ctx): number => {
    if (typeof v === 'number') {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration with a unit such as "500ms", "5s" or "2m" (got the bare number ${v}; the unit is required)`,
      });
      return z.NEVER;
    }
    if (typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a duration string such as "500ms", "5s" or "2m" (got ${typeName(v)})` });
      return z.NEVER;
    }
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "500ms", "5s", "2m" or "1h" (got "${v}")` });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `expected a duration in ${range} (got "${v}")` });
      return z.NEVER;
    }
    return ms;
  });
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

const int = (min: number, max: number, what = 'an integer') =>
  z.number({ error: `expected ${what} in ${min}..${max}` }).int({ error: `expected ${what} in ${min}..${max}` })
    .min(min, { error: `expected ${what} in ${min}..${max}` }).max(max, { error: `expected ${what} in ${min}..${max}` });

const nonEmpty = (what: string) => z.string({ error: `expected ${what} (a string)` }).min(1, { error: `expected ${what} (a non-empty string)` });

// ---------------------------------------------------------------------------
// Health

export type HealthState = 'init' | 'rising' | 'up' | 'falling' | 'down' | 'maintenance';
export type StartState = 'init' | 'down' | 'up';

export type Combine = { mode: 'all' } | { mode: 'any' } | { mode: 'at-least'; n: number };

interface CheckBase {
  /** Unique within the config; defaults to a name derived from the type and target. */
  name: string;
  intervalMs: number;
  fastIntervalMs: number;
  /** Hard timeout of one run; for icmp, the per-echo timeout. */
  timeoutMs: number;
  rise: number;
  fall: number;
}
export interface TcpCheckConfig extends CheckBase { type: 'tcp'; host: string; port: number }
export interface IcmpCheckConfig extends CheckBase { type: 'icmp'; host: string; count: number; minReplies: number }
export interface HttpCheckConfig extends CheckBase {
  type: 'http' | 'https';
  url: string;
  method: 'GET' | 'HEAD';
  expectStatus: [number, number];
  bodyContains?: string;
  tlsVerify: boolean;
  /** PEM file with the CA(s) to trust instead of the system store. */
  caFile?: string;
  headers: Record<string, string>;
}
export interface ExecCheckConfig extends CheckBase {
  type: 'exec';
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Bytes of stdout+stderr kept for the logs. */
  outputLimit: number;
}
export interface FileCheckConfig extends CheckBase { type: 'file'; path: string }
export interface InterfaceCheckConfig extends CheckBase { type: 'interface'; interface: string }

export type CheckConfig =
  | TcpCheckConfig | IcmpCheckConfig | HttpCheckConfig | ExecCheckConfig | FileCheckConfig | InterfaceCheckConfig;
export type CheckType = CheckConfig['type'];

export interface HealthConfig {
  combine: Combine;
  rise: number;
  fall: number;
  intervalMs: number;
  fastIntervalMs: number;
  startState: StartState;
  announceBeforeVerdict: boolean;
  checks: CheckConfig[];
}

const DEFAULT_TIMEOUT_MS: Record<CheckType, number> = {
  tcp: 2000, icmp: 1000, http: 2000, https: 2000, exec: 5000, file: 1000, interface: 1000,
};

const checkCommon = {
  name: z.string().regex(/^[A-Za-z0-9_.:@/-]{1,64}$/, { error: 'expected a check name of 1-64 characters [A-Za-z0-9_.:@/-]' }).optional(),
  interval: durationSchema(100, 3_600_000).optional(),
  'fast-interval': durationSchema(100, 3_600_000).optional(),
  timeout: durationSchema(10, 600_000).optional(),
  rise: int(1, 100, 'a count').optional(),
  fall: int(1, 100, 'a count').optional(),
};

const hostSchema = nonEmpty('a host name or IP address');
const portSchema = int(1, 65535, 'a TCP port');

const tcpCheck = z.strictObject({ type: z.literal('tcp'), host: hostSchema, port: portSchema, ...checkCommon });
const icmpCheck = z.strictObject({
  type: z.literal('icmp'),
  host: z.string().refine((s) => isIpLiteral(s), { error: 'expected an IPv4 or IPv6 address (icmp checks do not resolve names)' }),
  count: int(1, 20, 'an echo count').default(3),
  'min-replies': int(1, 20, 'a reply count').optional(),
  ...checkCommon,
});
const statusRange = z.union([
  int(100, 599, 'an HTTP status').transform((n): [number, number] => [n, n]),
  z.tuple([int(100, 599, 'an HTTP status'), int(100, 599, 'an HTTP status')], { error: 'expected an HTTP status or a range [low, high]' }),
], { error: 'expected an HTTP status (200) or a range [low, high] such as [200, 299]' });
const httpCheck = z.strictObject({
  type: z.enum(['http', 'https'], { error: 'expected type http or https' }),
  url: z.string().refine((s) => { try { const u = new URL(s); return u.protocol === 'http:' || u.protocol === 'https:'; } catch { return false; } },
    { error: 'expected an http:// or https:// URL' }),
  method: z.enum(['GET', 'HEAD'], { error: 'expected method GET or HEAD' }).default('GET'),
  'expect-status': statusRange.default([200, 299]),
  'body-contains': z.string().min(1, { error: 'expected a non-empty substring' }).optional(),
  'tls-verify': z.boolean({ error: 'expected true or false' }).default(true),
  ca: nonEmpty('a path to a PEM CA file').optional(),
  headers: z.record(z.string(), z.string(), { error: 'expected a map of header name to string value' }).default({}),
  ...checkCommon,
});
const execCheck = z.strictObject({
  type: z.literal('exec'),
  command: nonEmpty('a command path'),
  args: z.array(z.string(), { error: 'expected a list of strings' }).default([]),
  env: z.record(z.string(), z.string(), { error: 'expected a map of variable name to string value' }).default({}),
  'output-limit': int(0, 1_048_576, 'a byte count').default(4096),
  ...checkCommon,
});
const fileCheck = z.strictObject({ type: z.literal('file'), path: nonEmpty('a file path'), ...checkCommon });
const interfaceCheck = z.strictObject({
  type: z.literal('interface'),
  name: z.string().regex(/^[^\s/]{1,15}$/, { error: 'expected a Linux interface name (1-15 characters, no spaces or "/")' }),
  // `name` is the interface here; `check-name` names the check itself.
  'check-name': checkCommon.name,
  interval: checkCommon.interval, 'fast-interval': checkCommon['fast-interval'], timeout: checkCommon.timeout,
  rise: checkCommon.rise, fall: checkCommon.fall,
});

const CHECK_TYPES = ['tcp', 'icmp', 'http', 'https', 'exec', 'file', 'interface'] as const;

const rawCheck = z.discriminatedUnion('type', [tcpCheck, icmpCheck, httpCheck, execCheck, fileCheck, interfaceCheck], {
  error: (iss) => (iss.code === 'invalid_union' && (iss as { note?: string }).note === 'No matching discriminator'
    ? `expected check type one of ${CHECK_TYPES.join(', ')}`
    : undefined),
});
type RawCheck = z.output<typeof rawCheck>;

function isIpLiteral(s: string): boolean {
  return isIP(s) !== 0;
}

const combineSchema = z.union([
  z.enum(['all', 'any']).transform((m): Combine => ({ mode: m })),
  z.strictObject({ 'at-least': int(1, 1000, 'a count') }).transform((o): Combine => ({ mode: 'at-least', n: o['at-least'] })),
], { error: 'expected "all", "any" or { at-least: N }' });

function defaultName(c: RawCheck): string {
  switch (c.type) {
    case 'tcp': return `tcp:${c.host}:${c.port}`;
    case 'icmp': return `icmp:${c.host}`;
    case 'http': case 'https': return `${c.type}:${c.url}`.slice(0, 64);
    case 'exec': return `exec:${c.command.split('/').pop() ?? c.command}`.slice(0, 64);
    case 'file': return `file:${c.path}`.slice(0, 64);
    case 'interface': return `interface:${c.name}`;
  }
}

export const healthSchema = z.strictObject({
  combine: combineSchema.default({ mode: 'all' }),
  rise: int(1, 100, 'a count').default(3),
  fall: int(1, 100, 'a count').default(3),
  interval: durationSchema(100, 3_600_000).default(5000),
  'fast-interval': durationSchema(100, 3_600_000).default(1000),
  'start-state': z.enum(['init', 'down', 'up'], { error: 'expected start-state init, down or up' }).default('init'),
  'announce-before-verdict': z.boolean({ error: 'expected true or false' }).default(false),
  checks: z.array(rawCheck, { error: 'expected a list of checks' }).min(1, { error: 'expected at least one check' }),
}).transform((h, ctx): HealthConfig => {
  const seen = new Set<string>();
  const checks: CheckConfig[] = [];
  h.checks.forEach((c, i) => {
    const given = c.type === 'interface' ? c['check-name'] : c.name;
    const name = given ?? defaultName(c);
    if (seen.has(name)) {
      ctx.addIssue({ code: 'custom', path: ['checks', i, c.type === 'interface' ? 'check-name' : 'name'],
        message: `expected a unique check name ("${name}" is used twice; set name to tell them apart)` });
    }
    seen.add(name);
    const base: CheckBase = {
      name,
      intervalMs: c.interval ?? h.interval,
      fastIntervalMs: c['fast-interval'] ?? h['fast-interval'],
      timeoutMs: c.timeout ?? DEFAULT_TIMEOUT_MS[c.type],
      rise: c.rise ?? h.rise,
      fall: c.fall ?? h.fall,
    };
    switch (c.type) {
      case 'tcp': checks.push({ ...base, type: 'tcp', host: c.host, port: c.port }); break;
      case 'icmp': {
        const minReplies = c['min-replies'] ?? 1;
        if (minReplies > c.count) {
          ctx.addIssue({ code: 'custom', path: ['checks', i, 'min-replies'], message: `expected min-replies <= count (${c.count})` });
        }
        checks.push({ ...base, type: 'icmp', host: c.host, count: c.count, minReplies });
        break;
      }
      case 'http': case 'https': {
        const proto = new URL(c.url).protocol.slice(0, -1);
        if (proto !== c.type) {
          ctx.addIssue({ code: 'custom', path: ['checks', i, 'url'], message: `expected an ${c.type}:// URL for a check of type ${c.type}` });
        }
        const [lo, hi] = c['expect-status'];
        if (lo > hi) ctx.addIssue({ code: 'custom', path: ['checks', i, 'expect-status'], message: 'expected [low, high] with low <= high' });
        const out: HttpCheckConfig = {
          ...base, type: c.type, url: c.url, method: c.method, expectStatus: [lo, hi],
          tlsVerify: c['tls-verify'], headers: c.headers,
        };
        if (c['body-contains'] !== undefined) out.bodyContains = c['body-contains'];
        if (c.ca !== undefined) out.caFile = c.ca;
        if (c.method === 'HEAD' && out.bodyContains !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['checks', i, 'body-contains'], message: 'expected no body-contains with method HEAD (a HEAD answer has no body)' });
        }
        checks.push(out);
        break;
      }
      case 'exec': checks.push({ ...base, type: 'exec', command: c.command, args: c.args, env: c.env, outputLimit: c['output-limit'] }); break;
      case 'file': checks.push({ ...base, type: 'file', path: c.path }); break;
      case 'interface': checks.push({ ...base, type: 'interface', interface: c.name }); break;
    }
  });
  const passFail = checks.filter((c) => c.type !== 'file').length;
  if (h.combine.mode === 'at-least' && h.combine.n > passFail) {
    ctx.addIssue({ code: 'custom', path: ['combine', 'at-least'],
      message: `expected at-least <= the number of pass/fail checks (${passFail}; file checks only signal maintenance)` });
  }
  return {
    combine: h.combine, rise: h.rise, fall: h.fall, intervalMs: h.interval, fastIntervalMs: h['fast-interval'],
    startState: h['start-state'], announceBeforeVerdict: h['announce-before-verdict'], checks,
  };
});

// ---------------------------------------------------------------------------
// Policy

/** What to do with every floating prefix in one state. */
export type AnnounceSpec =
  | { withdraw: true }
  | { withdraw: false; prepend: number; med?: number; communities?: string[]; largeCommunities?: string[] };

export type Role = 'active' | 'standby';

export interface PolicyConfig {
  role?: Role;
  up: AnnounceSpec;
  down: AnnounceSpec;
  maintenance: AnnounceSpec;
  /** 0 = take the `up` announcement at once. */
  failbackDelayMs: number;
  /** Prepend announced (with the `up` MED and communities) while the failback delay runs. */
  failbackPrepend: number;
}

/** Prepend of a standby's `up` announcement; the role presets are built on it. */
export const STANDBY_PREPEND = 2;
export const MAX_PREPEND = 32;

/** The same community parser as `announce` (src/config/communities.ts): names and numbers, normalized to "asn:value". */
const community = z.unknown().transform((v, ctx): string => {
  const c = parseCommunity(v);
  if (c === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected ${COMMUNITY_EXPECTED}, got ${JSON.stringify(v) ?? String(v)}` });
    return z.NEVER;
  }
  return c;
});
const largeCommunity = z.unknown().transform((v, ctx): string => {
  const c = parseLargeCommunity(v);
  if (c === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected ${LARGE_COMMUNITY_EXPECTED}, got ${JSON.stringify(v) ?? String(v)}` });
    return z.NEVER;
  }
  return c;
});

const announceInput = z.strictObject({
  withdraw: z.boolean({ error: 'expected true or false' }).optional(),
  prepend: int(0, MAX_PREPEND, 'a prepend count').optional(),
  med: int(0, 4294967295, 'a MED').optional(),
  communities: z.array(community, { error: 'expected a list of communities' }).optional(),
  'large-communities': z.array(largeCommunity, { error: 'expected a list of large communities' }).optional(),
}, {
  error: (iss) => (iss.code === 'invalid_type'
    ? 'expected { prepend: N } or { withdraw: true }, optionally with med, communities, large-communities'
    : iss.code === 'unrecognized_keys'
      ? `unknown key ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}; expected withdraw, prepend, med, communities, large-communities`
      : undefined),
});
type AnnounceInput = z.output<typeof announceInput>;

const PRESETS: Record<Role | 'none', { up: AnnounceSpec; down: AnnounceSpec; maintenance: AnnounceSpec }> = {
  active: { up: { withdraw: false, prepend: 0 }, down: { withdraw: true }, maintenance: { withdraw: true } },
  standby: { up: { withdraw: false, prepend: STANDBY_PREPEND }, down: { withdraw: true }, maintenance: { withdraw: true } },
  none: { up: { withdraw: false, prepend: 0 }, down: { withdraw: true }, maintenance: { withdraw: true } },
};

/** Explicit values override the preset field by field; see docs/health.md. */
function mergeSpec(preset: AnnounceSpec, given: AnnounceInput | undefined, key: string, ctx: z.RefinementCtx): AnnounceSpec {
  if (!given) return preset;
  const attrs = given.prepend !== undefined || given.med !== undefined || given.communities !== undefined
    || given['large-communities'] !== undefined;
  if (given.withdraw === true) {
    if (attrs) ctx.addIssue({ code: 'custom', path: [key], message: 'expected either withdraw: true or announcement attributes (prepend, med, communities), not both' });
    return { withdraw: true };
  }
  if (!attrs && given.withdraw === undefined) return preset;
  const base = preset.withdraw ? undefined : preset;
  const prepend = given.prepend ?? base?.prepend;
  if (prepend === undefined) {
    ctx.addIssue({ code: 'custom', path: [key, 'prepend'],
      message: `expected prepend: N (the preset for ${key} withdraws, so an announcement needs its prepend stated)` });
    return { withdraw: true };
  }
  const out: AnnounceSpec = { withdraw: false, prepend };
  const med = given.med ?? base?.med;
  if (med !== undefined) out.med = med;
  const communities = given.communities ?? base?.communities;
  if (communities !== undefined) out.communities = communities;
  const large = given['large-communities'] ?? base?.largeCommunities;
  if (large !== undefined) out.largeCommunities = large;
  return out;
}

export const policySchema = z.strictObject({
  role: z.enum(['active', 'standby'], { error: 'expected role active or standby' }).optional(),
  up: announceInput.optional(),
  down: announceInput.optional(),
  maintenance: announceInput.optional(),
  'failback-delay': durationSchema(0, 86_400_000).default(0),
  'failback-prepend': int(0, MAX_PREPEND, 'a prepend count').optional(),
}).transform((p, ctx): PolicyConfig => {
  const preset = PRESETS[p.role ?? 'none'];
  const up = mergeSpec(preset.up, p.up, 'up', ctx);
  const down = mergeSpec(preset.down, p.down, 'down', ctx);
  const maintenance = mergeSpec(preset.maintenance, p.maintenance, 'maintenance', ctx);
  const upPrepend = up.withdraw ? 0 : up.prepend;
  // Less preferred than a standby's `up` path (shorter AS_PATH wins at the Route Server),
  // and never more preferred than our own `up`.
  const failbackPrepend = p['failback-prepend'] ?? Math.min(MAX_PREPEND, Math.max(upPrepend, STANDBY_PREPEND) + 1);
  if (p['failback-prepend'] !== undefined && !up.withdraw && p['failback-prepend'] < up.prepend) {
    ctx.addIssue({ code: 'custom', path: ['failback-prepend'],
      message: `expected failback-prepend >= the up prepend (${up.prepend}); a recovering appliance must not be preferred over its healthy self` });
  }
  const out: PolicyConfig = { up, down, maintenance, failbackDelayMs: p['failback-delay'], failbackPrepend };
  if (p.role) out.role = p.role;
  return out;
});

// ---------------------------------------------------------------------------
// Loopback and hooks

export interface LoopbackConfig { manage: boolean; interface: string }

export const loopbackSchema = z.strictObject({
  manage: z.boolean({ error: 'expected true or false' }).default(false),
  interface: z.string().regex(/^[^\s/]{1,15}$/, { error: 'expected a Linux interface name (1-15 characters)' }).default('lo'),
}).transform((l): LoopbackConfig => ({ manage: l.manage, interface: l.interface }));

export interface HooksConfig {
  /** argv: command then arguments; run without a shell. */
  command?: string[];
  timeoutMs: number;
  snsTopicArn?: string;
  /** Region of the topic; defaults to the region in the ARN. */
  snsRegion?: string;
}

const SNS_ARN_RE = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export const hooksSchema = z.strictObject({
  command: z.array(z.string(), { error: 'expected a command as a list: [path, arg, ...]' })
    .min(1, { error: 'expected a command as a list: [path, arg, ...]' })
    .refine((a) => (a[0] ?? '').length > 0, { error: 'expected a non-empty command path as the first element' })
    .optional(),
  timeout: durationSchema(100, 600_000).default(5000),
  'sns-topic-arn': z.string().regex(SNS_ARN_RE, { error: 'expected an SNS topic ARN: arn:aws:sns:<region>:<account-id>:<topic-name>' }).optional(),
  'sns-region': z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region such as eu-west-1' }).optional(),
}).transform((h): HooksConfig => {
  const out: HooksConfig = { timeoutMs: h.timeout };
  if (h.command) out.command = h.command;
  if (h['sns-topic-arn']) {
    out.snsTopicArn = h['sns-topic-arn'];
    out.snsRegion = h['sns-region'] ?? SNS_ARN_RE.exec(h['sns-topic-arn'])?.[1];
  }
  return out;
});

/** The four keys this fragment owns, for the daemon to compose into its root schema. */
export const healthConfigShape = {
  health: healthSchema,
  policy: policySchema.prefault({}),
  loopback: loopbackSchema.prefault({}),
  hooks: hooksSchema.prefault({}),
};

export type HealthConfigInput = z.input<typeof healthSchema>;

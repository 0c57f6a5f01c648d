/**
 * Loading a configuration: YAML or JSON text -> validated, normalized Config.
 * Every problem is reported as one line, `path: expected ..., got ...`, with
 * the file position when it is known. Semantic checks that need the whole
 * document (duplicate peers, address families) run after the schema.
 */
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { LineCounter, parseDocument, isMap, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import { configSchema, show, type Config } from './schema.js';
import { ConfigError, type ConfigProblem } from './types.js';

export type { Config, PeerConfig } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** Things that are allowed but probably not what was meant; logged at start and by check-config. */
  warnings: ConfigProblem[];
  file?: string;
}

export type ConfigFormat = 'yaml' | 'json';

/** Route Server quota: 100 routes per peer (and per route server FIB). */
const ROUTE_SERVER_ROUTE_QUOTA = 100;
/** A YAML alias bomb must not eat the daemon's memory. */
const MAX_ALIAS_COUNT = 100;

/* ------------------------------------------------------------------ paths */

/** ['peers', 0, 'asn'] -> "peers[0].asn" */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Keys of the object schema found at `path` (array indices skipped), for "did you mean" hints. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  const unwrap = (n: unknown): unknown => {
    for (let guard = 0; guard < 32; guard++) {
      const def = (n as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
      if (!def) return n;
      const t = def['type'];
      if (t === 'pipe') n = def['in'];
      else if (t === 'optional' || t === 'default' || t === 'nullable' || t === 'prefault' || t === 'catch' || t === 'readonly') n = def['innerType'];
      else if (t === 'lazy') n = (def['getter'] as () => unknown)();
      else return n;
    }
    return n;
  };
  for (const seg of path) {
    node = unwrap(node);
    const def = (node as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return [];
    if (typeof seg === 'number') {
      if (def['type'] === 'array') node = def['element'];
      else if (def['type'] === 'tuple') node = (def['items'] as unknown[])[seg];
      else return [];
      continue;
    }
    if (def['type'] === 'union') {
      const opt = (def['options'] as unknown[]).map(unwrap).find((o) => {
        const d = (o as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
        return d?.['type'] === 'object' && String(seg) in (d['shape'] as object);
      });
      if (!opt) return [];
      node = opt;
    }
    const d2 = (unwrap(node) as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (d2?.['type'] !== 'object') return [];
    node = (d2['shape'] as Record<string, unknown>)[String(seg)];
  }
  const def = (unwrap(node) as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
  if (def?.['type'] === 'object') return Object.keys(def['shape'] as object);
  if (def?.['type'] === 'union') {
    return (def['options'] as unknown[]).flatMap((o) => {
      const d = (unwrap(o) as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
      return d?.['type'] === 'object' ? Object.keys(d['shape'] as object) : [];
    });
  }
  return [];
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggest(key: string, known: string[]): string | undefined {
  const norm = key.toLowerCase().replace(/_/g, '-');
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k === norm ? 0 : editDistance(norm, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

/* ------------------------------------------------------- zod issue -> line */

function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = issue.path as PropertyKey[];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = keysAt(configSchema, path);
      return issue.keys.map((k) => {
        const hint = suggest(k, known);
        return {
          path: formatPath([...path, k]),
          message: `unknown key${hint ? ` (did you mean ${hint}?)` : known.length ? ` (expected one of ${known.join(', ')})` : ''}`,
        };
      });
    }
    case 'invalid_type':
      if (issue.message && !issue.message.startsWith('Invalid input')) return [{ path: formatPath(path), message: issue.message }];
      return [{ path: formatPath(path), message: input === undefined ? `missing: expected ${issue.expected}` : `expected ${issue.expected}, got ${show(input)}` }];
    case 'invalid_union': {
      if (issue.message && issue.message !== 'Invalid input') return [{ path: formatPath(path), message: issue.message }];
      // Report the branch that got furthest (the one with the deepest first issue).
      const branches = issue.errors.filter((b) => b.length > 0);
      branches.sort((a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)));
      const best = branches[0];
      if (best) return best.flatMap((i) => issueToProblems({ ...i, path: [...path, ...i.path] } as z.core.$ZodIssue));
      return [{ path: formatPath(path), message: `unexpected value ${show(input)}` }];
    }
    case 'invalid_value':
      if (issue.message && !issue.message.startsWith('Invalid')) return [{ path: formatPath(path), message: issue.message }];
      return [{ path: formatPath(path), message: `expected one of ${issue.values.map((v) => show(v)).join(', ')}, got ${show(input)}` }];
    default:
      return [{ path: formatPath(path), message: issue.message }];
  }
}

/* -------------------------------------------------------- semantic checks */

interface Checked {
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** Rules that need more than one key at a time. Paths are the file's kebab-case ones. */
export function semanticChecks(cfg: Config): Checked {
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  // Prefixes: duplicates after canonicalisation.
  const seenPrefix = new Map<string, number>();
  cfg.prefixes.forEach((p, i) => {
    const first = seenPrefix.get(p);
    if (first !== undefined) errors.push({ path: `prefixes[${i}]`, message: `duplicate of prefixes[${first}] (${p})` });
    else seenPrefix.set(p, i);
  });
  if (cfg.prefixes.length > ROUTE_SERVER_ROUTE_QUOTA) {
    warnings.push({
      path: 'prefixes',
      message: `${cfg.prefixes.length} prefixes exceed the VPC Route Server quota of ${ROUTE_SERVER_ROUTE_QUOTA} routes per peer`,
    });
  }
  const v6Prefix = cfg.prefixes.findIndex((p) => p.includes(':'));
  const v4Prefix = cfg.prefixes.findIndex((p) => !p.includes(':'));

  // Peers: duplicates, address families, next hops.
  const seenPeer = new Map<string, number>();
  cfg.peers.forEach((p, i) => {
    const first = seenPeer.get(p.address);
    if (first !== undefined) errors.push({ path: `peers[${i}].address`, message: `duplicate of peers[${first}] (${p.address})` });
    else seenPeer.set(p.address, i);

    const v4Session = isIPv4(p.address);
    if (p.bfd !== undefined && !v4Session) {
      errors.push({ path: `peers[${i}].bfd`, message: 'BFD is implemented for IPv4 sessions only (RFC 5881 over IPv4); remove bfd or use an IPv4 session' });
    }
    if (p.localAddress !== undefined && isIPv4(p.localAddress) !== v4Session) {
      errors.push({
        path: `peers[${i}].local-address`,
        message: `expected an ${v4Session ? 'IPv4' : 'IPv6'} address like the peer address ${p.address}, got ${show(p.localAddress)}`,
      });
    }
    // RFC 4760 3: an IPv6 NLRI carries an IPv6 next hop in MP_REACH_NLRI; over an
    // IPv4 session there is no local IPv6 address to take it from.
    if (v4Session && v6Prefix >= 0 && p.ipv6NextHop === undefined) {
      errors.push({
        path: `peers[${i}].ipv6-next-hop`,
        message: `missing: prefixes[${v6Prefix}] (${cfg.prefixes[v6Prefix]}) is IPv6 and this session is IPv4, so an IPv6 next hop must be given`,
      });
    }
    // RFC 8950: IPv4 NLRI with a next hop from an IPv6 session needs an IPv4 next hop given.
    if (!v4Session && v4Prefix >= 0 && p.ipv4NextHop === undefined) {
      errors.push({
        path: `peers[${i}].ipv4-next-hop`,
        message: `missing: prefixes[${v4Prefix}] (${cfg.prefixes[v4Prefix]}) is IPv4 and this session is IPv6, so an IPv4 next hop must be given`,
      });
    }
    if (p.asn === cfg.localAsn) {
      warnings.push({
        path: `peers[${i}].asn`,
        message: `same as local-asn (${cfg.localAsn}): an iBGP session, where AS-path prepend has no effect on the peer's choice`,
      });
    }
    if (p.holdTime === 0 && p.bfd === undefined) {
      warnings.push({
        path: `peers[${i}].hold-time`,
        message: 'hold time 0 without bfd: a dead peer is never detected and its routes are never withdrawn',
      });
    }
  });

  // RFC 6286 2.1: the BGP Identifier is a non-zero 4-octet value.
  if (cfg.routerId === '0.0.0.0') errors.push({ path: 'router-id', message: 'expected a non-zero IPv4 address (RFC 6286 2.1), got "0.0.0.0"' });
  if (cfg.routerId === undefined) {
    const first = cfg.peers[0];
    if (first && !isIPv4(first.address) && (first.localAddress === undefined || !isIPv4(first.localAddress))) {
      errors.push({
        path: 'router-id',
        message: 'missing: required when peers[0] is IPv6 (the BGP Identifier is an IPv4-style 4-octet value, RFC 6286)',
      });
    }
  }
  return { errors, warnings };
}

/** router-id defaults to the first peer's local address when that is configured (else the daemon resolves it). */
function applyDerivedDefaults(cfg: Config): Config {
  let out = cfg;
  const local = cfg.peers[0]?.localAddress;
  if (out.routerId === undefined && local !== undefined && isIPv4(local)) out = { ...out, routerId: local };
  // Passive peers need a listener: on every address, port 179, unless `listen` says otherwise.
  if (out.listen === undefined && cfg.peers.some((p) => p.passive)) {
    out = { ...out, listen: { host: cfg.peers.every((p) => isIPv4(p.address)) ? '0.0.0.0' : '::', port: 179 } };
  }
  return out;
}

/* ------------------------------------------------------------------- load */

/** Validate an already parsed document (e.g. from JSON.parse). */
export function validateConfig(raw: unknown, locate?: (path: readonly PropertyKey[]) => { line: number; col: number } | undefined): {
  config?: Config;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
} {
  const r = configSchema.safeParse(raw, { reportInput: true });
  if (!r.success) {
    const errors = r.error.issues.flatMap((issue) =>
      issueToProblems(issue).map((p) => {
        const pos = locate?.(parsePath(p.path));
        return pos ? { ...p, ...pos } : p;
      }),
    );
    return { errors: dedupe(errors), warnings: [] };
  }
  const config = applyDerivedDefaults(r.data);
  const { errors, warnings } = semanticChecks(config);
  const withPos = (ps: ConfigProblem[]) =>
    ps.map((p) => {
      const pos = locate?.(parsePath(p.path));
      return pos ? { ...p, ...pos } : p;
    });
  if (errors.length) return { errors: withPos(errors), warnings: withPos(warnings) };
  return { config, errors: [], warnings: withPos(warnings) };
}

function dedupe(ps: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.path}\0${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** "peers[0].asn" -> ['peers', 0, 'asn'] */
export function parsePath(s: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const m of s.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function detectFormat(text: string, file?: string): ConfigFormat {
  if (file && /\.json$/i.test(file)) return 'json';
  if (file && /\.ya?ml$/i.test(file)) return 'yaml';
  return /^\s*[{[]/.test(text) && !/^\s*\[.*\]\s*:/.test(text) ? 'json' : 'yaml';
}

function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** Parse and validate configuration text. Throws ConfigError with every problem. */
export function parseConfigText(text: string, opts: { file?: string; format?: ConfigFormat } = {}): LoadedConfig {
  const format = opts.format ?? detectFormat(text, opts.file);
  const file = opts.file;

  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const at = /position (\d+)/.exec(msg);
      const pos = at ? positionOf(text, Number(at[1])) : undefined;
      throw new ConfigError([{ path: '', message: `JSON syntax error: ${msg.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '')}`, ...pos }], file);
    }
  }

  // JSON is YAML 1.2, so one parser gives positions for both formats.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: '',
        message: `${format === 'json' ? 'JSON' : 'YAML'} syntax error: ${e.message.split('\n')[0]}`,
        ...lineCounter.linePos(e.pos[0]),
      })),
      file,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigError([{ path: '', message: `YAML error: ${(e as Error).message.split('\n')[0]}` }], file);
  }
  if (raw === undefined || raw === null) throw new ConfigError([{ path: '', message: 'the file is empty: expected a map of settings (local-asn, prefixes, peers, ...)' }], file);

  const { config, errors, warnings } = validateConfig(raw, (path) => locate(doc, lineCounter, path));
  if (!config) throw new ConfigError(errors, file);
  return { config, warnings, ...(file !== undefined ? { file } : {}) };
}

/** Line and column of the node at `path`; for a key that does not exist, its nearest existing parent (or the unknown key itself). */
function locate(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const parentPath = path.slice(0, n);
    const node = n === 0 ? doc.contents : doc.getIn(parentPath as unknown[], true);
    if (node && typeof node === 'object' && 'range' in node && Array.isArray((node as { range?: unknown }).range)) {
      // An unknown key is reported under its own name: point at the key, not its parent map.
      if (n < path.length && isMap(node)) {
        const key = path[n];
        const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
        if (pair && isScalar(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]);
      }
      const range = (node as { range: [number, number, number] }).range;
      return lc.linePos(range[0]);
    }
  }
  return undefined;
}

/** Read and validate a config file. Throws ConfigError (one line per problem). */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${why}` }]);
  }
  return parseConfigText(text, { file });
}

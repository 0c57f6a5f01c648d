/**
 * The normalized configuration: what the daemon and the CLI use after
 * src/config/load.ts has parsed and validated a file. camelCase, defaults
 * filled in, addresses and prefixes in canonical text form. The kebab-case
 * file format is described in docs/config.md; the zod schemas that turn one
 * into the other live in src/config/schema.ts.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** How every floating prefix is announced when no health policy says otherwise. */
export interface AnnounceConfig {
  /** Extra copies of the local ASN in the AS_PATH (0 = just ours). */
  prepend: number;
  med?: number;
  /** RFC 1997 communities, canonical "asn:value" text (well-known names are resolved). */
  communities: string[];
  /** RFC 8092 large communities, "global:local1:local2". */
  largeCommunities: string[];
}

export interface ControlConfig {
  /** Absolute path of the unix socket. */
  socket: string;
  /** File mode of the socket, e.g. 0o660. */
  mode: number;
  /** Group that owns the socket: a name or a numeric gid (resolved at start). */
  group?: string | number;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_CONTROL_SOCKET = '/run/bgp-sidecar/control.sock';
export const DEFAULT_METRICS_PORT = 9479;
export const DEFAULT_HOLD_TIME = 90;
export const DEFAULT_BGP_PORT = 179;

/** A problem found in a configuration: the path in the file's own (kebab-case) terms and what was expected. */
export interface ConfigProblem {
  /** e.g. "peers[0].asn"; "" for the document itself. */
  path: string;
  message: string;
  /** 1-based position in the source, when known (YAML and JSON). */
  line?: number;
  col?: number;
}

/** Render a problem as the one line users see. */
export function formatProblem(p: ConfigProblem, file?: string): string {
  const where = p.line !== undefined ? ` (${file ? `${file}:` : 'line '}${p.line}${p.col !== undefined ? `:${p.col}` : ''})` : '';
  return `${p.path ? `${p.path}: ` : ''}${p.message}${where}`;
}

/** A configuration that failed to load: every problem, one line each. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  readonly file: string | undefined;
  constructor(problems: ConfigProblem[], file?: string) {
    super(problems.map((p) => formatProblem(p, file)).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
    this.file = file;
  }
  /** One line per problem. */
  lines(): string[] {
    return this.problems.map((p) => formatProblem(p, this.file));
  }
}

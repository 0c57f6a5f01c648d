/**
 * journald-friendly logging for pino.
 *
 * Under systemd, stdout/stderr are a stream to journald, which reads a leading
 * "<N>" on each line as the syslog priority (systemd.exec(5),
 * SyslogLevelPrefix=, default on) and strips it. So each pino record becomes
 * one line "<prio>msg key=value ..." (format 'text', the default: journald
 * adds time, host, pid and unit itself) or "<prio>{json}" (format 'json', for
 * `journalctl -o cat | jq`). `journalctl -p warning -u bgp-sidecar` then
 * filters by the pino level.
 *
 * Detection follows systemd.exec(5): JOURNAL_STREAM="dev:ino" names the
 * stream journald gave us; it only counts if our stdout/stderr is still that
 * stream (not redirected by a wrapper).
 */
import { fstatSync } from 'node:fs';
import pino from 'pino';

/** pino numeric level -> syslog priority (RFC 5424 6.2.1 severities). */
export function journalPriority(level: number): number {
  if (level >= 60) return 2; // fatal -> crit
  if (level >= 50) return 3; // error -> err
  if (level >= 40) return 4; // warn -> warning
  if (level >= 30) return 6; // info -> info
  return 7; // debug, trace -> debug
}

/** True when fd (1 = stdout by default) is the journald stream systemd announced in JOURNAL_STREAM. */
export function isJournalStream(env: NodeJS.ProcessEnv = process.env, fd = 1): boolean {
  const js = env.JOURNAL_STREAM;
  if (!js) return false;
  const m = /^(\d+):(\d+)$/.exec(js);
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1] as string) && st.ino === BigInt(m[2] as string);
  } catch {
    return false;
  }
}

/** pino level labels (when a `formatters.level` writes the label instead of the number). */
const LABEL_LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** A record's level as pino's number, from either form; info when absent or unknown. */
export function recordLevel(level: unknown): number {
  if (typeof level === 'number' && Number.isFinite(level)) return level;
  if (typeof level === 'string') return LABEL_LEVELS[level.toLowerCase()] ?? 30;
  return 30;
}

/** Fields journald already records for every line (time, host, pid, SyslogIdentifier), or that the prefix carries. */
const DROPPED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v', 'name']);

function formatValue(v: unknown): string {
  if (typeof v === 'string') {
    return /^[^\s"=\\]+$/.test(v) && v !== '' ? v : JSON.stringify(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'bigint') return v.toString();
  // objects and arrays: compact JSON, which escapes newlines (one record = one line).
  return JSON.stringify(v) ?? 'undefined';
}

export type JournalFormat = 'text' | 'json';

/** One pino JSON record (as pino serialised it) -> one journald line, with the trailing newline. */
export function formatJournalLine(record: string, format: JournalFormat = 'text'): string {
  const trimmed = record.endsWith('\n') ? record.slice(0, -1) : record;
  let obj: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    obj = parsed as Record<string, unknown>;
  } catch {
    // Not a pino record: pass it through as one info line, never drop a log line.
    return `<6>${trimmed.replace(/[\r\n]+/g, ' ')}\n`;
  }
  const prio = journalPriority(recordLevel(obj.level));
  if (format === 'json') return `<${prio}>${trimmed.replace(/[\r\n]+/g, ' ')}\n`;
  const parts: string[] = [];
  const msg = typeof obj.msg === 'string' ? obj.msg.replace(/[\r\n]+/g, ' ') : '';
  if (msg) parts.push(msg);
  for (const [k, v] of Object.entries(obj)) {
    if (DROPPED.has(k) || v === undefined) continue;
    parts.push(`${k}=${formatValue(v)}`);
  }
  return `<${prio}>${parts.join(' ')}\n`;
}

export interface JournalDestinationOptions {
  /** File descriptor to write to (default 1, stdout). */
  fd?: number;
  format?: JournalFormat;
  /** Synchronous writes (default false: journald stalls must not block the event loop). */
  sync?: boolean;
}

export interface JournalDestination {
  write(record: string): boolean;
  /** Flushes buffered lines; call before process exit. */
  flushSync(): void;
}

/**
 * A pino destination: `pino(opts, journalDestination())`. Each record pino
 * writes is re-formatted with its priority prefix and written to fd.
 */
export function journalDestination(opts: JournalDestinationOptions = {}): JournalDestination {
  const out = pino.destination({ dest: opts.fd ?? 1, sync: opts.sync ?? false, minLength: 0 });
  const format = opts.format ?? 'text';
  return {
    write(record: string): boolean {
      // pino hands over one record per write, ending in '\n'.
      return out.write(formatJournalLine(record, format));
    },
    flushSync(): void {
      try {
        out.flushSync();
      } catch {
        // nothing buffered / fd closed: nothing to flush
      }
    },
  };
}

/**
 * The destination the daemon should log to: journald lines when stdout is
 * the journal stream, plain pino JSON on stdout otherwise.
 */
export function defaultLogDestination(env: NodeJS.ProcessEnv = process.env, format: JournalFormat = 'text', sync = false): pino.DestinationStream {
  if (isJournalStream(env, 1)) return journalDestination({ fd: 1, format, sync });
  return pino.destination({ dest: 1, sync, minLength: 0 });
}

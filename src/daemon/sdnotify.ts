/**
 * The sd_notify(3) protocol, spoken for real: one AF_UNIX datagram per
 * notification to the socket named by NOTIFY_SOCKET ("/path" or "@abstract").
 *
 * node:dgram has no AF_UNIX, so the datagram is sent by a tiny Node-API addon
 * (systemd/native/sdnotify.c). It is sent from this process, so the kernel
 * stamps it with our own pid: systemd accepts it with NotifyAccess=main. (The
 * `systemd-notify` binary would report its own, short-lived pid, which
 * NotifyAccess=main rejects and which systemd may fail to attribute to the
 * unit once the binary has exited.)
 *
 * Protocol facts (sd_notify(3), systemd.service(5), systemd 252):
 *  - READY=1 ends the start-up of a Type=notify unit.
 *  - RELOADING=1 ... READY=1 brackets a reload; MONOTONIC_USEC= lets newer
 *    systemd (253+, Type=notify-reload) match the two.
 *  - STOPPING=1 says the service is shutting down on purpose.
 *  - WATCHDOG=1 resets the watchdog timer; WATCHDOG_USEC/WATCHDOG_PID tell us
 *    whether it is armed for us.
 *  - EXTEND_TIMEOUT_USEC= asks for more time in the current start/stop phase.
 *  - STATUS= is a free text line shown by `systemctl status`.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions exported by systemd/native/sdnotify.c. */
export interface NativeDgram {
  send(path: string, data: Buffer): number;
  bind(path: string): number;
  recv(fd: number): { data: Buffer; pid: number; uid: number; gid: number; truncated: boolean } | null;
  close(fd: number): void;
}

/** Minimal logger shape (pino's child loggers satisfy it). */
export interface NotifyLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export class SdNotifyError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'SdNotifyError';
  }
}

let cachedNative: NativeDgram | undefined;
let cachedNativeError: Error | undefined;

/** Directory holding this package's package.json, found from this file's location (src/ or dist/src/). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const name = (JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name;
        if (name === 'bgp-sidecar') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new SdNotifyError(`package root of bgp-sidecar not found above ${from}`, 'ENOPKG');
}

/** Path of the compiled addon inside the package. */
export function nativeAddonPath(root: string = packageRoot()): string {
  return join(root, 'systemd', 'native', 'build', 'Release', 'sdnotify.node');
}

/**
 * Loads the addon once. Throws SdNotifyError('ENOADDON') with the build
 * command when it is missing, so a service that needs it fails at start-up
 * with one clear line rather than timing out in `activating`.
 */
export function loadNative(): NativeDgram {
  if (cachedNative) return cachedNative;
  if (cachedNativeError) throw cachedNativeError;
  let path = '(unknown)';
  try {
    path = nativeAddonPath();
    const req = createRequire(import.meta.url);
    cachedNative = req(path) as NativeDgram;
    return cachedNative;
  } catch (err) {
    cachedNativeError = new SdNotifyError(
      `sd_notify addon not loadable at ${path} (${(err as Error).message}); ` +
        'build it with `npx node-gyp rebuild -C systemd/native` in the package directory',
      'ENOADDON',
    );
    throw cachedNativeError;
  }
}

/** Values are single-line: a newline would start a new KEY=VALUE assignment. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 1024);
}

/** CLOCK_MONOTONIC in microseconds (libuv's hrtime is CLOCK_MONOTONIC on Linux). */
function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

export interface NotifierOptions {
  /** Environment to read NOTIFY_SOCKET from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Remove NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` after
   * reading them (default true), like sd_notify(unset_environment=1), so
   * exec health checks and hooks we spawn cannot talk to systemd as us.
   */
  unsetEnvironment?: boolean;
  logger?: NotifyLogger;
  /** Injected transport (tests); default: the native addon. */
  transport?: Pick<NativeDgram, 'send'>;
}

export interface Notifier {
  /** True when NOTIFY_SOCKET was set: we run under a service manager that listens. */
  readonly enabled: boolean;
  /** The socket address in use ('' when disabled). */
  readonly socket: string;
  /** WatchdogSec of the unit in microseconds when the watchdog is armed for this process, else undefined. */
  readonly watchdogUsec: number | undefined;
  /** Sends raw KEY=VALUE lines; returns false when not sent (disabled or send error, already logged). */
  notify(fields: Record<string, string | number | bigint>): boolean;
  ready(status?: string): boolean;
  reloading(status?: string): boolean;
  stopping(status?: string): boolean;
  status(text: string): boolean;
  watchdog(): boolean;
  /** Watchdog trigger: tells systemd the service is hung now (WATCHDOG=trigger). */
  watchdogTrigger(): boolean;
  /** Asks for `ms` more in the current start/stop/reload phase (systemd 236+). */
  extendTimeout(ms: number): boolean;
  /** Reports an errno-style failure before exiting (shown by systemctl status). */
  errno(code: number): boolean;
}

/**
 * Creates the notifier from the environment. With NOTIFY_SOCKET unset every
 * call is a cheap no-op returning false. With it set, the addon must load:
 * otherwise this throws (the unit would otherwise hang until TimeoutStartSec).
 */
export function createNotifier(opts: NotifierOptions = {}): Notifier {
  const env = opts.env ?? process.env;
  const socket = env.NOTIFY_SOCKET ?? '';
  const watchdogUsec = watchdogFromEnv(env);
  if (opts.unsetEnvironment !== false) {
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
  }
  const log = opts.logger;
  const valid = socket.startsWith('/') || (socket.startsWith('@') && socket.length > 1);
  if (socket !== '' && !valid) {
    // sd_notify(3) only accepts absolute paths and '@' abstract names (vsock: needs systemd 253+).
    log?.warn({ notifySocket: socket }, 'NOTIFY_SOCKET not an absolute path or @abstract name; not notifying');
  }
  const enabled = socket !== '' && valid;
  const transport = enabled ? (opts.transport ?? loadNative()) : undefined;
  let lastErrorCode = '';

  const notify = (fields: Record<string, string | number | bigint>): boolean => {
    if (!enabled || !transport) return false;
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${oneLine(String(v))}`)
      .join('\n');
    try {
      transport.send(socket, Buffer.from(text + '\n', 'utf8'));
      lastErrorCode = '';
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'EIO';
      // Log a failure once per error kind, not once per watchdog ping.
      if (code !== lastErrorCode) {
        log?.error({ notifySocket: socket, code, err: (err as Error).message, fields: Object.keys(fields) }, 'sd_notify send failed');
        lastErrorCode = code;
      }
      return false;
    }
  };

  const withStatus = (base: Record<string, string | number | bigint>, status?: string) =>
    status === undefined ? base : { ...base, STATUS: status };

  return {
    enabled,
    socket: enabled ? socket : '',
    watchdogUsec: enabled ? watchdogUsec : undefined,
    notify,
    ready: (status) => notify(withStatus({ READY: 1 }, status)),
    reloading: (status) => notify(withStatus({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec() }, status)),
    stopping: (status) => notify(withStatus({ STOPPING: 1 }, status)),
    status: (text) => notify({ STATUS: text }),
    watchdog: () => notify({ WATCHDOG: 1 }),
    watchdogTrigger: () => notify({ WATCHDOG: 'trigger' }),
    extendTimeout: (ms) => notify({ EXTEND_TIMEOUT_USEC: BigInt(Math.max(0, Math.ceil(ms))) * 1000n }),
    errno: (code) => notify({ ERRNO: Math.trunc(code) }),
  };
}

/**
 * sd_watchdog_enabled(3): WATCHDOG_USEC is a positive integer; when
 * WATCHDOG_PID is set it must be our pid (otherwise the watchdog is meant for
 * another process, e.g. a wrapper shell that exec'd us would have matched).
 */
export function watchdogFromEnv(env: NodeJS.ProcessEnv, pid: number = process.pid): number | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^[0-9]{1,15}$/.test(usecText)) return undefined;
  const usec = Number(usecText);
  if (usec <= 0) return undefined;
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return undefined;
  return usec;
}

/** Parses one notification datagram into its KEY=VALUE fields (for tests and tools). */
export function parseNotification(data: Buffer | string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of data.toString().split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

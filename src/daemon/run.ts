/**
 * `bgp-sidecar run`: load the config, start the daemon, handle signals.
 * SIGHUP reloads; SIGTERM/SIGINT stop gracefully (withdraw, Cease 6/2, BFD
 * AdminDown, loopback cleanup) and the process exits 0.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { effectiveCapabilities, missingCapabilities } from '../cli/cmds/install/capabilities.js';
import type { Config } from '../config/schema.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError, type LogLevel } from '../config/types.js';
import { systemClock, type Clock } from '../util/clock.js';
import { realComponents } from './components.js';
import { Daemon } from './daemon.js';
import { createLogger } from './logger.js';
import type { Components } from './ports.js';
import { createNotifier, type Notifier } from './sdnotify.js';
import { Watchdog } from './watchdog.js';

/**
 * Exit status for a configuration that cannot be loaded or validated: EX_CONFIG
 * from sysexits.h. The systemd unit lists it in RestartPreventExitStatus=, because
 * restarting with the same file cannot help (systemd/bgp-sidecar.service).
 */
export const EX_CONFIG = 78;
/** Exit status for any other failure to start (socket taken, port in use, ...): systemd may retry. */
export const EX_START_FAILED = 1;

/** A failure to start, printed as one line per entry; `exitCode` says whether a restart can help. */
export class StartupError extends Error {
  constructor(readonly lines: string[], readonly exitCode: number = EX_START_FAILED) {
    super(lines.join('\n'));
    this.name = 'StartupError';
  }
}

export interface RunOptions {
  configFile: string;
  /** --log-level: wins over the file's log-level, also after reloads. */
  logLevel?: LogLevel;
  version: string;
  logger?: Logger;
  components?: Components;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** Install signal and process-level error handlers (the bin does; in-process tests do not). */
  signals?: boolean;
  /** sd_notify client (tests); default: from NOTIFY_SOCKET / WATCHDOG_USEC in env. */
  notifier?: Notifier;
}

/** Say at start which configured feature will fail for lack of a capability (not fatal: it may be granted another way). */
function warnMissingCapabilities(cfg: Config, logger: Logger): void {
  let text: string;
  try {
    text = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return;
  }
  const eff = effectiveCapabilities(text);
  if (eff === undefined) return;
  for (const m of missingCapabilities(cfg, eff)) logger.warn({ path: m.path, capability: m.cap }, `missing capability: ${m.why}`);
}

export interface RunningDaemon {
  daemon: Daemon;
  /** The systemd watchdog keep-alive (status: pings, withheld reason). */
  watchdog: Watchdog;
  /** Resolves with the exit code once the daemon has stopped. */
  done: Promise<number>;
  stop(): Promise<number>;
}

export async function runDaemon(o: RunOptions): Promise<RunningDaemon> {
  const load = async () => {
    const l = await loadConfigFile(o.configFile);
    return o.logLevel ? { ...l, config: { ...l.config, logLevel: o.logLevel } } : l;
  };
  let loaded;
  try {
    loaded = await load();
  } catch (e) {
    // loadConfigFile reports every load problem (unreadable file, syntax, validation) as a ConfigError.
    if (e instanceof ConfigError) throw new StartupError(e.lines(), EX_CONFIG);
    throw new StartupError([(e as Error).message], EX_START_FAILED);
  }
  const logger = o.logger ?? createLogger(loaded.config.logLevel);
  let notifier: Notifier;
  try {
    notifier = o.notifier ?? createNotifier({ logger, ...(o.env ? { env: o.env } : {}) });
  } catch (e) {
    throw new StartupError([(e as Error).message]);
  }
  warnMissingCapabilities(loaded.config, logger);
  const daemon = new Daemon({
    loaded,
    loadConfig: load,
    components: o.components ?? realComponents(),
    logger,
    clock: o.clock ?? systemClock,
    version: o.version,
    notifier,
  });
  // Pings stop when the loop hangs, and also when a part beside the loop is dead for good (daemon.liveness()).
  const watchdog = new Watchdog({ notifier, logger, healthy: () => daemon.liveness() });
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const cleanups: (() => void)[] = [];
  let started = false;
  let stopRequested = false;
  const stop = async (): Promise<number> => {
    stopRequested = true;
    watchdog.stop();
    await daemon.stop();
    for (const c of cleanups) c();
    resolveDone(0);
    return 0;
  };

  // Handlers go in before start(): a SIGTERM during start-up must still end in a clean stop.
  if (o.signals) {
    const onHup = () => {
      if (!started) {
        logger.warn({ signal: 'SIGHUP' }, 'reload ignored: still starting');
        return;
      }
      logger.info({ signal: 'SIGHUP' }, 'reload requested');
      daemon.reload().catch((e: Error) => logger.error({ err: e.message.split('\n')[0] }, 'reload failed'));
    };
    const onTerm = (sig: NodeJS.Signals) => {
      if (stopRequested) {
        logger.warn({ signal: sig }, 'already stopping');
        return;
      }
      stopRequested = true;
      logger.info({ signal: sig }, started ? 'stop requested' : 'stop requested during start-up; stopping once started');
      if (started) void stop();
    };
    // Never crash on something unexpected: log it and keep the announcement as it is.
    const onException = (err: unknown) => logger.error({ err: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack }, 'uncaught exception; continuing');
    const onRejection = (err: unknown) => logger.error({ err: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack }, 'unhandled rejection; continuing');
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    cleanups.push(() => {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    });
  }

  try {
    await daemon.start();
  } catch (e) {
    for (const c of cleanups) c();
    notifier.errno(1);
    const msg = (e as Error).message;
    logger.fatal({ err: msg }, 'cannot start');
    throw new StartupError([msg]);
  }
  started = true;
  watchdog.start();
  if (stopRequested) void stop();
  return { daemon, watchdog, done, stop };
}

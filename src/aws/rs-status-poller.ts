/**
 * Route Server status for the daemon's status and metrics: rsStatus() every
 * `aws.rs-status-interval`, one API wrapper kept across polls, identity
 * resolved once. Polls never overlap; a failed poll keeps the last good
 * answer and records the error.
 */
import type { Logger } from 'pino';
import type { AwsConfig } from '../config/aws.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { AwsApi, resolveSettings, type ClientOverrides } from './clients.js';
import { errorText } from './errors.js';
import { discoverIdentity, ImdsClient, type InstanceIdentity } from './imds.js';
import { rsStatus, type RsStatus } from './rs-status.js';

export interface RsStatusSnapshot {
  /** Clock time of the last successful poll. */
  at?: number;
  result?: RsStatus;
  error?: string;
  polls: number;
}

export interface RsStatusPoller {
  status(): RsStatusSnapshot;
  /** Poll now (waits for a poll in progress instead of starting a second one). */
  refresh(): Promise<RsStatusSnapshot>;
  close(): void;
}

export function createRsStatusPoller(
  cfg: { aws: AwsConfig; prefixes: readonly string[] },
  deps: { logger: Logger; clock?: Clock; overrides?: ClientOverrides; identity?: Partial<Omit<InstanceIdentity, 'mac'>> },
): RsStatusPoller {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ area: 'rs-status' });
  const interval = cfg.aws.rsStatusIntervalMs ?? 60_000;
  const snap: RsStatusSnapshot = { polls: 0 };
  let api: AwsApi | undefined;
  let identity: Partial<InstanceIdentity> | undefined;
  let inFlight: Promise<RsStatusSnapshot> | undefined;
  let timer: TimerHandle | undefined;
  let closed = false;

  async function poll(): Promise<RsStatusSnapshot> {
    try {
      if (!api || !identity) {
        const known = {
          ...(cfg.aws.region ? { region: cfg.aws.region } : {}),
          ...(cfg.aws.privateIp ? { privateIp: cfg.aws.privateIp } : {}),
          ...deps.identity,
        };
        identity = await discoverIdentity(new ImdsClient({ endpoint: cfg.aws.imdsEndpoint }), known, ['region', 'privateIp']);
        api = new AwsApi(resolveSettings(cfg.aws, identity.region as string, deps.overrides), log);
      }
      const result = await rsStatus({ aws: cfg.aws, prefixes: cfg.prefixes }, { logger: log, api, identity: { privateIp: identity.privateIp as string } });
      snap.result = result;
      snap.at = clock.now();
      delete snap.error;
    } catch (err) {
      snap.error = errorText(err);
      log.warn({ err: snap.error }, 'route server status poll failed');
    }
    snap.polls++;
    return { ...snap };
  }

  function refresh(): Promise<RsStatusSnapshot> {
    if (closed) return Promise.resolve({ ...snap });
    inFlight ??= poll().finally(() => {
      inFlight = undefined;
      if (!closed) {
        timer?.cancel();
        timer = clock.setTimer(interval, () => void refresh());
      }
    });
    return inFlight;
  }

  void refresh();
  return {
    status: () => ({ ...snap }),
    refresh,
    close() {
      closed = true;
      timer?.cancel();
      api?.close();
    },
  };
}

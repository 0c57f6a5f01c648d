/**
 * createFallback: the daemon's one entry point to the AWS fallback actions.
 *
 * Health verdicts, the peer appliance's health and per-action poll timers
 * all become "run this action" requests. Runs are serialized (never two at
 * once) and requests that arrive during a run are coalesced into one more
 * run. A run that could not finish (throttled past the SDK's retries, a 5xx,
 * a timeout) is retried with capped backoff; every action is idempotent, so a
 * retry only does what is still missing.
 */
import type { Logger } from 'pino';
import { hasFallback, type AwsConfig, type FallbackConfig } from '../config/aws.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { AwsApi, ClientOverrides } from './clients.js';
import type { DirectConnectFallback, DirectConnectStatus } from './direct-connect.js';
import { errorText } from './errors.js';
import type { InstanceIdentity } from './imds.js';
import type { Notice, Notifier } from './notify.js';
import { PeerHealth, probeFor, type ProbeFn } from './peer-health.js';
import { needsRetry, type RunResult } from './result.js';
import type { RouteTablesFallback, RouteTablesStatus } from './route-tables.js';
import { buildActions } from './setup.js';
import type { TgwVpnFallback, TgwVpnStatus } from './tgw-vpn.js';

export type ActionName = 'route-tables' | 'tgw-vpn' | 'direct-connect';

export interface Verdict {
  /** Health state (init, rising, up, falling, down, maintenance). */
  state: 'init' | 'rising' | 'up' | 'falling' | 'down' | 'maintenance' | string;
  /** The daemon's verdict (init, up, down, maintenance); wins over `state` when given. */
  verdict?: string;
  reason?: string;
}

export interface FallbackDeps {
  logger: Logger;
  clock?: Clock;
  /** Endpoint, credentials, timeouts: for tests and labs (win over the config). */
  overrides?: ClientOverrides;
  /** Identity already known (skips IMDS for those fields). */
  identity?: Partial<Omit<InstanceIdentity, 'mac'>>;
  /** Replace the peer probe (tests). */
  probe?: ProbeFn;
}

export interface FallbackStatus {
  configured: ActionName[];
  selfState: string | undefined;
  running: boolean;
  runs: number;
  /** Requests folded into a run already pending. */
  coalesced: number;
  identity?: Partial<InstanceIdentity>;
  error?: string;
  peer?: { healthy: boolean | undefined; detail: string; since?: number };
  routeTables?: RouteTablesStatus;
  tgwVpn?: TgwVpnStatus;
  directConnect?: DirectConnectStatus;
  /** Per action since start: runs, AWS changes made, failed changes, refusals. */
  totals: Partial<Record<ActionName, ActionTotals>>;
  recent: Notice[];
}

export interface ActionTotals {
  runs: number;
  changes: number;
  failures: number;
  refusals: number;
  last?: RunResult['outcome'];
}

export interface Fallback {
  onVerdict(v: Verdict): Promise<void>;
  status(): FallbackStatus;
  close(): Promise<void>;
  /** Request a run (all configured actions by default) and wait until it is done. */
  runNow(actions?: ActionName[]): Promise<RunResult[]>;
  /** Resolves when no run is in progress or pending. */
  idle(): Promise<void>;
  /** Direct Connect manual commands (CLI). */
  directConnect(): DirectConnectFallback | undefined;
}

/** up/falling: still healthy (falling is hysteresis on the way down). init: not known. */
export function verdictHealthy(state: string | undefined): boolean | undefined {
  if (state === undefined || state === 'init') return undefined;
  return state === 'up' || state === 'falling';
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 60_000;

export function createFallback(cfg: { aws?: AwsConfig | undefined; fallback?: FallbackConfig | undefined }, deps: FallbackDeps): Fallback {
  const log = deps.logger.child({ area: 'fallback' });
  const fb = cfg.fallback;
  if (!hasFallback(fb) || !fb) {
    // Nothing configured: no SDK import, no timers.
    return {
      onVerdict: async () => undefined,
      status: () => ({ configured: [], selfState: undefined, running: false, runs: 0, coalesced: 0, totals: {}, recent: [] }),
      close: async () => undefined,
      runNow: async () => [],
      idle: async () => undefined,
      directConnect: () => undefined,
    };
  }
  const clock = deps.clock ?? systemClock;
  const configured: ActionName[] = [
    ...(fb.routeTables ? (['route-tables'] as const) : []),
    ...(fb.tgwVpn ? (['tgw-vpn'] as const) : []),
    ...(fb.directConnect ? (['direct-connect'] as const) : []),
  ];

  let selfState: string | undefined;
  let closed = false;
  let runs = 0;
  let coalesced = 0;
  let initError: string | undefined;
  let identity: Partial<InstanceIdentity> = { ...deps.identity };
  let api: AwsApi | undefined;
  let notifier: Notifier | undefined;
  let routeTables: RouteTablesFallback | undefined;
  let tgwVpn: TgwVpnFallback | undefined;
  let dx: DirectConnectFallback | undefined;
  let peer: PeerHealth | undefined;
  const timers = new Map<ActionName, TimerHandle>();
  const retryDelay = new Map<ActionName, number>();
  const pending = new Set<ActionName>();
  let loop: Promise<void> | undefined;
  let lastResults: RunResult[] = [];
  const totals: Partial<Record<ActionName, ActionTotals>> = {};

  let initPromise: Promise<void> | undefined;
  function init(): Promise<void> {
    initPromise ??= (async () => {
      const now = () => clock.now();
      const built = await buildActions(cfg, { logger: log, now, ...(deps.overrides ? { overrides: deps.overrides } : {}), ...(deps.identity ? { identity: deps.identity } : {}) });
      identity = built.identity;
      api = built.api;
      notifier = built.notifier;
      routeTables = built.routeTables;
      tgwVpn = built.tgwVpn;
      dx = built.directConnect;
      const rt = fb?.routeTables;
      if (rt && routeTables) {
        const other = rt.appliances.find((a) => a.eni !== identity.eni);
        const probe = deps.probe ?? (other?.health ? probeFor(other.health, rt.peerCheck.timeoutMs) : undefined);
        if (!other || !probe) {
          built.close();
          throw new Error(`fallback.route-tables.appliances: the peer appliance (${other?.eni ?? '?'}) needs health: { tcp: "host:port" } or { http: URL }`);
        }
        peer = new PeerHealth(probe, rt.peerCheck, clock, log.child({ fallback: 'route-tables', peerEni: other.eni }), () => void request(['route-tables']));
        peer.start();
      }
      log.info({ configured, region: api.region, eni: identity.eni, instanceId: identity.instanceId }, 'fallback ready');
    })();
    initPromise.catch((err: unknown) => {
      initError = errorText(err);
      log.error({ err: initError }, 'fallback init failed; retrying');
      initPromise = undefined;
    });
    return initPromise;
  }

  function interval(a: ActionName): number {
    if (a === 'route-tables') return fb?.routeTables?.reconcileIntervalMs ?? 60_000;
    if (a === 'tgw-vpn') return fb?.tgwVpn?.pollIntervalMs ?? 15_000;
    return fb?.directConnect?.pollIntervalMs ?? 30_000;
  }

  function schedule(a: ActionName, ms: number): void {
    timers.get(a)?.cancel();
    if (closed) return;
    timers.set(a, clock.setTimer(ms, () => {
      timers.delete(a);
      request([a]);
    }));
  }

  async function runOne(a: ActionName): Promise<RunResult | undefined> {
    const healthy = verdictHealthy(selfState);
    if (a === 'route-tables' && routeTables) return routeTables.run({ self: healthy, peer: peer?.state });
    if (a === 'tgw-vpn' && tgwVpn) return tgwVpn.run(healthy);
    if (a === 'direct-connect' && dx) return dx.run(selfState);
    return undefined;
  }

  async function drain(): Promise<void> {
    for (let guard = 0; pending.size > 0 && !closed && guard < 1000; guard++) {
      try {
        await init();
        initError = undefined;
      } catch {
        for (const a of pending) schedule(a, RETRY_MAX_MS);
        pending.clear();
        return;
      }
      const batch = configured.filter((a) => pending.has(a));
      pending.clear();
      const results: RunResult[] = [];
      for (const a of batch) {
        if (closed) break;
        let r: RunResult | undefined;
        try {
          r = await runOne(a);
        } catch (err) {
          r = { fallback: a, outcome: 'error', reason: errorText(err), planned: [], applied: 0, failures: [errorText(err)], at: clock.now() };
          log.error({ fallback: a, err: errorText(err) }, 'fallback run failed');
        }
        runs++;
        if (!r) continue;
        results.push(r);
        const tot = (totals[a] ??= { runs: 0, changes: 0, failures: 0, refusals: 0 });
        tot.runs++;
        tot.changes += r.applied;
        tot.failures += r.failures.length;
        if (r.outcome === 'refused') tot.refusals++;
        tot.last = r.outcome;
        if (needsRetry(r)) {
          const d = Math.min(RETRY_MAX_MS, retryDelay.get(a) ?? RETRY_MIN_MS);
          retryDelay.set(a, d * 2);
          log.warn({ fallback: a, outcome: r.outcome, retryInMs: d, reason: r.reason }, 'fallback run not complete; retrying');
          schedule(a, d);
        } else {
          retryDelay.delete(a);
          // A flap guard's wait that ends before the next poll: look again right then.
          schedule(a, Math.min(interval(a), r.wakeInMs ?? Infinity));
        }
      }
      lastResults = results;
    }
  }

  function request(actions: ActionName[]): Promise<void> {
    if (closed) return Promise.resolve();
    for (const a of actions) {
      if (!configured.includes(a)) continue;
      if (pending.has(a)) coalesced++;
      pending.add(a);
    }
    if (!loop) {
      loop = drain().finally(() => {
        loop = undefined;
        if (pending.size > 0 && !closed) void request([]);
      });
    }
    return loop;
  }

  async function idle(): Promise<void> {
    for (let guard = 0; loop && guard < 1000; guard++) await loop;
  }

  // Start the polls and the peer check without waiting for a verdict.
  void request(configured);

  return {
    async onVerdict(v) {
      const next = typeof v.verdict === 'string' ? v.verdict : v.state;
      if (typeof next !== 'string' || next === selfState) return;
      const before = verdictHealthy(selfState);
      selfState = next;
      log.debug({ verdict: next, reason: v.reason }, 'verdict');
      // Direct Connect alarms follow the raw state (down vs not down); the others follow healthy/not.
      const wanted: ActionName[] = verdictHealthy(next) !== before ? [...configured] : ['direct-connect'];
      await request(wanted);
    },
    status() {
      return {
        configured,
        selfState,
        running: loop !== undefined,
        runs,
        coalesced,
        ...(Object.keys(identity).length ? { identity } : {}),
        ...(initError ? { error: initError } : {}),
        ...(peer ? { peer: peer.status() } : {}),
        ...(routeTables ? { routeTables: routeTables.status() } : {}),
        ...(tgwVpn ? { tgwVpn: tgwVpn.status() } : {}),
        ...(dx ? { directConnect: dx.status() } : {}),
        totals: structuredClone(totals),
        recent: notifier?.recent() ?? [],
      };
    },
    async runNow(actions) {
      await idle();
      await request(actions ?? configured);
      await idle();
      return lastResults;
    },
    idle,
    directConnect: () => dx,
    async close() {
      closed = true;
      for (const t of timers.values()) t.cancel();
      timers.clear();
      peer?.stop();
      pending.clear();
      // Abort the API call in progress (and its retries); the run then ends at once.
      api?.close();
      await loop?.catch(() => undefined);
    },
  };
}

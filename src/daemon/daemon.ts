/**
 * The daemon: wires config -> speaker, BFD, health -> policy -> speaker, and
 * answers the control socket. Data flows one way (health -> verdict ->
 * policy -> desired routes -> speaker); session state comes back only as
 * observations (status, metrics, logs).
 *
 * Every component callback runs inside `guard()`: an exception is logged and
 * the daemon keeps running, because a bug in one check must not take the
 * announcement down with it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Config, PeerConfig } from '../config/schema.js';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../config/types.js';
import { DaemonMetrics } from '../metrics/metrics.js';
import { MetricsServer } from '../metrics/server.js';
import { Policy } from '../policy/policy.js';
import { RouteApplier } from '../host/apply.js';
import { bfdChangeResetsBgp, bfdHoldsBgpDown, CEASE, CEASE_BFD_DOWN } from '../bfd/bgp-tie.js';
import type { BfdStateName } from '../bfd/constants.js';
import type { BfdSessionOptions } from '../io/bfd-types.js';
import type { Clock } from '../util/clock.js';
import type { ControlRequest } from './control-protocol.js';
import { staticAnnouncements, withAnnounceDefaults } from './announcements.js';
import { ControlServer } from './control-server.js';
import { FLUSH_TIMEOUT_MS, flushingAnnounce } from './flush.js';
import { speakerPeer, type Announcement, type BfdPort, type Components, type FallbackPort, type HealthPort, type RsStatusPort, type HooksPort, type LoopbackPort, type SpeakerPeer, type SpeakerPort } from './ports.js';

export { CEASE, CEASE_BFD_DOWN };
export const STOP_REASON = 'bgp-sidecar stopping';
/**
 * How long the BFD worker may be starting or restarting before the daemon counts it as
 * dead. BfdManager restarts a dead worker after 200 ms .. 3.2 s (then gives up for 60 s:
 * state 'failed'), so 30 s is only reached when a restart itself is stuck.
 */
export const BFD_WORKER_GRACE_MS = 30_000;

type Verdict = 'init' | 'up' | 'down' | 'maintenance';

export interface Notifications {
  ready(status?: string): boolean;
  reloading(status?: string): boolean;
  stopping(status?: string): boolean;
  status(text: string): boolean;
}

export interface DaemonOptions {
  loaded: LoadedConfig;
  /** Re-reads the config file (reload). */
  loadConfig: () => Promise<LoadedConfig>;
  components: Components;
  logger: Logger;
  clock: Clock;
  version: string;
  notifier?: Notifications;
  /** Time the speaker may take to send the final withdraw/maintenance UPDATEs on stop. */
  stopTimeoutMs?: number;
  /** Bound on the wait for UPDATEs to be written before a withdrawn prefix's address is removed (default 5000). */
  flushTimeoutMs?: number;
}

interface VerdictInfo {
  verdict: Verdict;
  state: string;
  since: string;
  reason: string;
}

interface BfdInfo {
  state: string;
  since: string;
  diag?: number;
}

export class Daemon {
  private cfg: Config;
  private file: string | undefined;
  private readonly log: Logger;
  readonly metrics = new DaemonMetrics();
  private metricsServer: MetricsServer | undefined;
  private metricsAddress: { host: string; port: number } | undefined;
  private control: ControlServer | undefined;
  private speaker: SpeakerPort | undefined;
  private bfd: BfdPort | undefined;
  private health: HealthPort | undefined;
  private policy: Policy | undefined;
  private loopback: LoopbackPort | undefined;
  /** Loopback first, then the speaker; addresses of withdrawn prefixes removed after (src/host/apply.ts). */
  private applier: RouteApplier | undefined;
  private hooks: HooksPort | undefined;
  private fallback: FallbackPort | undefined;
  private rsStatus: RsStatusPort | undefined;
  private awsMetricsRegistered = false;
  private routerId = '';
  private readonly startedAt = new Date();
  private phase: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private drained: { reason: string; since: string } | undefined;
  private verdict: VerdictInfo;
  private readonly bfdStates = new Map<string, BfdInfo>();
  private heldDown = new Set<string>();
  private lastApplied: Announcement[] | undefined;
  private lastAppliedAt: string | undefined;
  private reloading: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;
  /** Clock time since when the BFD worker is starting/restarting (for BFD_WORKER_GRACE_MS). */
  private bfdWorkerDownSince: number | undefined;

  constructor(private readonly opts: DaemonOptions) {
    this.cfg = opts.loaded.config;
    this.file = opts.loaded.file;
    this.log = opts.logger;
    this.log.level = this.cfg.logLevel;
    this.verdict = { verdict: this.cfg.health ? 'init' : 'up', state: this.cfg.health ? 'init' : 'static', since: new Date().toISOString(), reason: this.cfg.health ? 'starting' : 'no health section: static announcement' };
  }

  get config(): Config {
    return this.cfg;
  }

  /** Address the metrics endpoint listens on (after start), for tests and logs. */
  get metricsListen(): { host: string; port: number } | undefined {
    return this.metricsAddress;
  }

  /** Start everything. Throws (one clear message) when the daemon cannot run. */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new Error('daemon already started');
    this.phase = 'starting';
    const cfg = this.cfg;
    for (const w of this.opts.loaded.warnings) this.log.warn({ path: w.path }, `config: ${w.message}`);
    this.metrics.setVerdict(this.verdict.verdict);
    this.metrics.drained.set(0);

    // The control socket first: a second daemon must fail before it touches any session.
    this.control = new ControlServer({
      path: cfg.control.socket,
      mode: cfg.control.mode,
      ...(cfg.control.group !== undefined ? { group: cfg.control.group } : {}),
      handler: (req) => this.handle(req),
      logger: this.log.child({ component: 'control' }),
    });
    await this.control.listen();
    try {
      await this.startMetrics(cfg);
      await this.startComponents(cfg);
    } catch (e) {
      await this.teardownAfterFailedStart();
      throw e;
    }
    this.phase = 'running';
    this.apply('start');
    if (!cfg.health) this.notifyFallback('up', 'no health section: static announcement');
    this.opts.notifier?.ready(this.statusLine());
    this.log.info({ routerId: this.routerId, localAsn: cfg.localAsn, peers: cfg.peers.map((p) => p.address), prefixes: cfg.prefixes, file: this.file }, 'bgp-sidecar started');
  }

  private async startMetrics(cfg: Config): Promise<void> {
    if (cfg.metrics === false) return;
    this.metricsServer = new MetricsServer(this.metrics.registry, this.log.child({ component: 'metrics' }));
    const addr = await this.metricsServer.listen(cfg.metrics.host, cfg.metrics.port);
    this.metricsAddress = { host: addr.address, port: addr.port };
    this.log.info({ listen: `${addr.address}:${addr.port}` }, 'metrics listening');
  }

  private async startComponents(cfg: Config): Promise<void> {
    const c = this.opts.components;
    this.hooks = c.createHooks?.(cfg, this.log.child({ component: 'hooks' }));
    this.policy = this.makePolicy(cfg);

    // Strict BFD peers are held down until their BFD session is Up.
    this.heldDown = new Set(cfg.peers.filter((p) => isStrictBfd(p)).map((p) => p.address));
    for (const p of cfg.peers) this.metrics.addPeer(p.address);
    this.metrics.announcedSource = () =>
      ((this.speaker?.status() ?? []) as { address?: string; announced?: unknown[] }[]).map((p) => [String(p.address), p.announced?.length ?? 0] as [string, number]);
    const speaker = c.createSpeaker(
      {
        localAsn: cfg.localAsn,
        ...(cfg.routerId !== undefined ? { routerId: cfg.routerId } : {}),
        peers: this.activePeers(cfg),
        ...(cfg.listen ? { listen: { address: cfg.listen.host, port: cfg.listen.port } } : {}),
      },
      this.log.child({ component: 'speaker' }),
      this.opts.clock,
    );
    this.speaker = speaker;
    this.attachSpeaker(speaker);

    if (cfg.peers.some((p) => p.bfd !== undefined) && c.createBfd) {
      this.bfd = await c.createBfd(cfg, this.log.child({ component: 'bfd' }));
      this.attachBfd(this.bfd);
      for (const p of cfg.peers) {
        if (p.bfd === undefined) continue;
        this.metrics.setBfdState(p.address, 'down');
        this.bfd.add(p.address, bfdOptions(p));
      }
    }
    if (cfg.fallback && c.createFallback) this.fallback = await c.createFallback(cfg, this.log.child({ component: 'fallback' }));
    if (cfg.loopback.manage && c.createLoopback) {
      const loopback = c.createLoopback(cfg, this.log.child({ component: 'loopback' }));
      // Records the addresses already there: those are never removed (unless a crashed previous run added them).
      await loopback.start();
      // A previous run's address for a prefix no longer configured: nothing will announce or withdraw it now.
      await loopback.releaseInheritedExcept(cfg.prefixes);
      this.loopback = loopback;
      this.applier = new RouteApplier({
        // Withdrawn prefixes lose their address only once the withdraw is written (bounded; see flush.ts).
        announce: flushingAnnounce(() => this.speaker, { logger: this.log.child({ component: 'apply' }), timeoutMs: this.opts.flushTimeoutMs ?? FLUSH_TIMEOUT_MS }),
        loopback,
        logger: this.log,
        clock: this.opts.clock,
      });
    }
    // Resolves the router id when not configured (the source address toward the first peer).
    await speaker.start();
    this.routerId = cfg.routerId ?? speaker.bgpId ?? '';
    // Status only: after the speaker, so it never delays the first UPDATE.
    await this.startRsStatus(cfg);
    await this.registerAwsMetrics();
    this.metrics.info.set({ version: this.opts.version, router_id: this.routerId, local_asn: String(cfg.localAsn) }, 1);
    if (cfg.health && c.createHealth) this.startHealth(cfg);
  }

  /** Route Server status polling (issue 6), only with aws.rs-status-interval; the AWS SDK is imported only then. */
  private async startRsStatus(cfg: Config): Promise<void> {
    const create = this.opts.components.createRsStatus;
    if (cfg.aws?.rsStatusIntervalMs === undefined || !create) return;
    this.rsStatus = await create(cfg, this.log.child({ component: 'rs-status' }), this.opts.clock);
  }

  /** The AWS metrics read this.fallback and this.rsStatus at scrape time, so they survive reloads; registered once. */
  private async registerAwsMetrics(): Promise<void> {
    const register = this.opts.components.registerAwsMetrics;
    if (this.awsMetricsRegistered || !register || (!this.fallback && !this.rsStatus)) return;
    this.awsMetricsRegistered = true;
    await register(this.metrics.registry, {
      fallback: () => this.fallback?.status(),
      rsStatus: () => this.rsStatus?.status(),
      now: () => this.opts.clock.now(),
    });
  }

  /** The poller's snapshot for status: `at` is on the daemon's clock, so it is shown as an age. */
  private rsStatusView(): Record<string, unknown> | null {
    if (!this.rsStatus) return null;
    const { at, ...rest } = this.rsStatus.status();
    return { ...rest, ageMs: at === undefined ? null : Math.max(0, Math.round(this.opts.clock.now() - at)) };
  }

  private makePolicy(cfg: Config): Policy {
    const policy = new Policy({
      config: cfg.policy,
      prefixes: cfg.prefixes,
      clock: this.opts.clock,
      announceBeforeVerdict: cfg.health?.announceBeforeVerdict ?? false,
      logger: this.log,
    });
    policy.on('change', (ch) => this.guard('policy change', () => {
      this.log.info({ phase: ch.phase, reason: ch.reason }, 'policy changed the announcements');
      this.apply(`policy: ${ch.reason}`);
    }));
    return policy;
  }

  private startHealth(cfg: Config): void {
    const create = this.opts.components.createHealth;
    if (!create || !cfg.health) return;
    const health = create(cfg, this.log.child({ component: 'health' }), this.opts.clock);
    this.health = health;
    health.on('verdict', (t: { state: string; previous: string; verdict?: Verdict; previousVerdict?: Verdict; reason?: string }) =>
      this.guard('verdict', () => this.onVerdict(t)));
    health.on('check', (e: { name: string; result?: { ok: boolean; latencyMs?: number; maintenance?: boolean } }) =>
      this.guard('check metrics', () => {
        if (!e.result) return;
        const result = e.result.maintenance ? 'maintenance' : e.result.ok ? 'pass' : 'fail';
        this.metrics.checkResults.inc({ check: e.name, result });
        if (typeof e.result.latencyMs === 'number') this.metrics.checkLatency.observe({ check: e.name }, e.result.latencyMs / 1000);
      }));
    if (this.drained) health.setDrain(true, this.drained.reason);
    health.start();
  }

  private onVerdict(t: { state: string; previous: string; verdict?: Verdict; previousVerdict?: Verdict; reason?: string }): void {
    const verdict: Verdict = t.verdict ?? verdictOf(t.state);
    const previous = this.verdict.verdict;
    this.verdict = { verdict, state: t.state, since: new Date().toISOString(), reason: t.reason ?? '' };
    this.metrics.setVerdict(verdict);
    if (previous === 'up' && verdict !== 'up') this.metrics.failovers.inc();
    this.log.info({ state: t.state, previous: t.previous, verdict, reason: t.reason }, 'health verdict');
    this.policy?.update({ state: t.state as never, verdict });
    this.apply(`verdict ${verdict}`);
    if (verdict !== previous) {
      this.hooks?.onTransition({ verdict, previousVerdict: previous, state: t.state, reason: t.reason ?? '' }, this.cfg.prefixes);
      this.notifyFallback(t.state, t.reason ?? '');
    }
  }

  /** Without a health section the verdict is 'up', or 'maintenance' while drained; observers learn it like a health verdict. */
  private setStaticVerdict(verdict: 'up' | 'maintenance', reason: string): void {
    const previous = this.verdict.verdict;
    if (previous === verdict) return;
    const state = verdict === 'up' ? 'static' : 'maintenance';
    this.verdict = { verdict, state, since: new Date().toISOString(), reason };
    this.metrics.setVerdict(verdict);
    if (previous === 'up') this.metrics.failovers.inc();
    this.hooks?.onTransition({ verdict, previousVerdict: previous, state, reason }, this.cfg.prefixes);
    this.notifyFallback(verdict, reason);
  }

  private notifyFallback(state: string, reason: string): void {
    this.fallback?.onVerdict({ state, reason }).catch((e: Error) => this.log.error({ err: e.message }, 'fallback action failed'));
  }

  private attachSpeaker(s: SpeakerPort): void {
    s.on('peer-state', (e: { address: string; state: string; previous?: string; reason?: unknown }) =>
      this.guard('peer-state', () => {
        this.metrics.setPeerState(e.address, String(e.state));
        // The speaker logs 'peer up' / 'peer down' with the details; here only the trace.
        this.log.debug({ peer: e.address, state: e.state, previous: e.previous, reason: e.reason }, 'peer state');
      }));
    s.on('update-sent', (e: { address?: string; peer?: string }) =>
      this.guard('update-sent', () => this.metrics.updatesSent.inc({ peer: e.address ?? e.peer ?? 'unknown' })));
    s.on('update-received', (e: { address?: string; peer?: string }) =>
      this.guard('update-received', () => this.metrics.updatesReceived.inc({ peer: e.address ?? e.peer ?? 'unknown' })));
    s.on('error', (e: Error) => this.log.error({ err: e.message }, 'speaker error'));
  }

  private attachBfd(b: BfdPort): void {
    b.on('state', (e: { key: string; state: string; previous: string; diag?: number; wasUp?: boolean }) =>
      this.guard('bfd state', () => this.onBfdState(e)));
    b.on('error', (e: Error) => this.log.error({ err: e.message }, 'bfd error'));
  }

  private onBfdState(e: { key: string; state: string; previous: string; diag?: number; wasUp?: boolean; remoteState?: string; reason?: string }): void {
    const state = String(e.state) as BfdStateName;
    const previous = String(e.previous);
    const peer = this.cfg.peers.find((p) => p.address === e.key);
    this.bfdStates.set(e.key, { state, since: new Date().toISOString(), ...(e.diag !== undefined ? { diag: e.diag } : {}) });
    this.metrics.setBfdState(e.key, state);
    const log = this.log.child({ peer: e.key });
    log.info({ bfd: state, previous, diag: e.diag, remote: e.remoteState, reason: e.reason }, 'bfd state');
    if (!peer) return;
    // RFC 5882 3.2 / RFC 9384: Up -> Down means the path is gone: tear BGP down now with
    // Cease/BFD Down instead of waiting for the hold timer (not when the peer said AdminDown).
    const change = {
      state,
      previous: previous as BfdStateName,
      wasUp: e.wasUp ?? previous === 'up',
      remoteState: (e.remoteState ?? 'down') as BfdStateName,
      diag: e.diag ?? 0,
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
    };
    if (bfdChangeResetsBgp(change)) this.speaker?.resetPeer(e.key, CEASE, CEASE_BFD_DOWN);
    const hold = bfdHoldsBgpDown(isStrictBfd(peer), { state });
    if (hold !== this.heldDown.has(e.key)) {
      if (hold) this.heldDown.add(e.key);
      else this.heldDown.delete(e.key);
      log.info({ bfd: state }, hold ? 'strict bfd: holding the BGP session down' : 'strict bfd: BFD up, starting the BGP session');
      this.speaker?.setPeers(this.activePeers(this.cfg));
    }
  }

  private activePeers(cfg: Config): SpeakerPeer[] {
    return cfg.peers.filter((p) => !this.heldDown.has(p.address)).map(speakerPeer);
  }

  /* --------------------------------------------------------- announcements */

  /** What should be announced now. */
  desired(): Announcement[] {
    if (this.drained) return this.maintenanceAnnouncements();
    if (!this.cfg.health) return this.staticAnnouncements();
    return this.withDefaults(this.policy?.current() ?? []);
  }

  /** The announcement for maintenance (drain, stop); [] means withdraw. */
  maintenanceAnnouncements(): Announcement[] {
    return this.withDefaults(this.policy?.announcementsFor('maintenance') ?? []);
  }

  private staticAnnouncements(): Announcement[] {
    return staticAnnouncements(this.cfg.prefixes, this.cfg.announce);
  }

  private withDefaults(list: Announcement[]): Announcement[] {
    return withAnnounceDefaults(list, this.cfg.announce);
  }

  /** Push the desired announcements to the speaker when they changed. */
  private apply(reason: string): void {
    if (this.phase !== 'running' || !this.speaker) return;
    const want = this.desired();
    if (this.lastApplied && isDeepStrictEqual(want, this.lastApplied)) return;
    try {
      if (this.applier) {
        const applier = this.applier;
        applier.apply(want).catch((e: Error) => this.log.error({ err: e.message }, 'applying the announcements failed'));
      } else {
        this.speaker.set(want);
      }
    } catch (e) {
      // The config was validated, so this is a bug; keep what is announced rather than crash.
      this.log.error({ err: (e as Error).message, announcements: want }, 'speaker rejected the announcements; keeping the previous ones');
      return;
    }
    this.lastApplied = want;
    this.lastAppliedAt = new Date().toISOString();
    this.log.info({ reason, announcements: want }, want.length ? 'announcing' : 'withdrawing all prefixes');
    this.opts.notifier?.status(this.statusLine());
  }

  private statusLine(): string {
    const n = this.lastApplied?.length ?? 0;
    return `${this.drained ? 'drained' : this.verdict.verdict}; ${n} prefix${n === 1 ? '' : 'es'} announced`;
  }

  /* ---------------------------------------------------------- control */

  private async handle(req: ControlRequest): Promise<unknown> {
    switch (req.cmd) {
      case 'status':
        return this.status();
      case 'drain':
        return this.drain(req.reason ?? 'operator request');
      case 'undrain':
        return this.undrain();
      case 'reload':
        return this.reload();
    }
  }

  drain(reason: string): { drained: true; reason: string; since: string; announcements: Announcement[] } {
    if (!this.drained) this.drained = { reason, since: new Date().toISOString() };
    else this.drained.reason = reason;
    this.metrics.drained.set(1);
    this.log.warn({ reason }, 'drain: announcing the maintenance route');
    this.health?.setDrain(true, reason);
    if (!this.cfg.health) this.setStaticVerdict('maintenance', `drain: ${reason}`);
    this.apply(`drain: ${reason}`);
    return { drained: true, reason, since: this.drained.since, announcements: this.desired() };
  }

  undrain(): { drained: false; announcements: Announcement[] } {
    const was = this.drained;
    this.drained = undefined;
    this.metrics.drained.set(0);
    if (was) this.log.warn({ wasReason: was.reason }, 'undrain: back to the health verdict');
    this.health?.setDrain(false);
    if (!this.cfg.health) this.setStaticVerdict('up', 'undrain');
    this.apply('undrain');
    return { drained: false, announcements: this.desired() };
  }

  /**
   * Reload: a config that fails validation is rejected (its errors logged and
   * returned) and the running one kept. Peers whose settings did not change keep
   * their sessions (speaker.setPeers); the drain survives.
   */
  async reload(): Promise<{ reloaded: true; warnings: string[] }> {
    if (this.phase !== 'running') throw new Error(`cannot reload while ${this.phase}`);
    if (this.reloading) throw new Error('a reload is already in progress');
    const p = this.doReload();
    this.reloading = p;
    try {
      return await p;
    } finally {
      this.reloading = undefined;
    }
  }

  private async doReload(): Promise<{ reloaded: true; warnings: string[] }> {
    this.opts.notifier?.reloading('reloading configuration');
    let loaded: LoadedConfig;
    try {
      loaded = await this.opts.loadConfig();
    } catch (e) {
      this.metrics.reloads.inc({ result: 'rejected' });
      const lines = e instanceof ConfigError ? e.lines() : [(e as Error).message];
      for (const l of lines) this.log.error({ file: this.file }, `reload rejected: ${l}`);
      this.opts.notifier?.ready(this.statusLine());
      throw new Error(`reload rejected, running configuration kept:\n${lines.join('\n')}`);
    }
    const old = this.cfg;
    const cfg = loaded.config;
    const restart: string[] = [];
    if (cfg.localAsn !== old.localAsn) restart.push('local-asn');
    if ((cfg.routerId ?? this.routerId) !== this.routerId) restart.push('router-id');
    if (!isDeepStrictEqual(cfg.control, old.control)) restart.push('control');
    if (!isDeepStrictEqual(cfg.loopback, old.loopback)) restart.push('loopback');
    if (!isDeepStrictEqual(cfg.listen, old.listen)) restart.push('listen');
    if (restart.length) {
      this.metrics.reloads.inc({ result: 'rejected' });
      const msg = `reload rejected, running configuration kept: ${restart.join(', ')} changed; restart bgp-sidecar to change ${restart.length > 1 ? 'them' : 'it'}`;
      this.log.error({ keys: restart }, msg);
      this.opts.notifier?.ready(this.statusLine());
      throw new Error(msg);
    }
    for (const w of loaded.warnings) this.log.warn({ path: w.path }, `config: ${w.message}`);

    this.cfg = cfg;
    this.file = loaded.file ?? this.file;
    this.log.level = cfg.logLevel;
    const c = this.opts.components;

    // Metrics endpoint: rebind only when its address changed.
    if (!isDeepStrictEqual(cfg.metrics, old.metrics)) {
      await this.metricsServer?.close();
      this.metricsServer = undefined;
      this.metricsAddress = undefined;
      await this.startMetrics(cfg).catch((e: Error) => this.log.error({ err: e.message }, 'metrics endpoint not restarted'));
    }

    // From here on the new config is in force; a component that fails is logged and reported, the rest still applies.
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${(e as Error).message}`);
        this.log.error({ err: (e as Error).message, in: what }, 'reload: part of the new configuration could not be applied');
      }
    };

    // BFD: add, update, remove sessions by peer address.
    await attempt('bfd', () => this.reloadBfd(old, cfg));
    await attempt('peers', () => this.reloadPeers(old, cfg));

    // Health and policy: rebuilt only when their settings changed.
    const healthChanged = !isDeepStrictEqual(cfg.health, old.health);
    const policyChanged = healthChanged || !isDeepStrictEqual(cfg.policy, old.policy);
    if (healthChanged) {
      const h = this.health;
      this.health = undefined;
      await h?.stop().catch((e: Error) => this.log.warn({ err: e.message }, 'health monitor stop failed'));
    }
    if (policyChanged) {
      this.policy?.stop();
      this.policy?.removeAllListeners();
      this.policy = this.makePolicy(cfg);
      if (!cfg.health) {
        const verdict = this.drained ? 'maintenance' : 'up';
        this.verdict = { verdict, state: this.drained ? 'maintenance' : 'static', since: new Date().toISOString(), reason: 'no health section: static announcement' };
        this.metrics.setVerdict(verdict);
      }
      else if (!healthChanged && this.verdict.verdict !== 'init') this.policy.update({ state: this.verdict.state as never, verdict: this.verdict.verdict });
    } else if (!isDeepStrictEqual(cfg.prefixes, old.prefixes)) {
      this.policy?.setPrefixes(cfg.prefixes);
    }
    if (healthChanged && cfg.health) {
      this.verdict = { verdict: 'init', state: 'init', since: new Date().toISOString(), reason: 'health configuration reloaded' };
      this.metrics.setVerdict('init');
      this.startHealth(cfg);
    }
    if (!isDeepStrictEqual(cfg.hooks, old.hooks)) {
      this.hooks?.close();
      this.hooks = c.createHooks?.(cfg, this.log.child({ component: 'hooks' }));
    }
    if (!isDeepStrictEqual(cfg.fallback, old.fallback) || !isDeepStrictEqual(cfg.aws, old.aws)) {
      await this.fallback?.close().catch((e: Error) => this.log.warn({ err: e.message }, 'fallback close failed'));
      this.fallback = undefined;
      const create = c.createFallback;
      if (cfg.fallback && create) await attempt('fallback', async () => void (this.fallback = await create(cfg, this.log.child({ component: 'fallback' }))));
    }
    if (!isDeepStrictEqual(cfg.aws, old.aws) || !isDeepStrictEqual(cfg.prefixes, old.prefixes)) {
      this.rsStatus?.close();
      this.rsStatus = undefined;
      await attempt('rs-status', () => this.startRsStatus(cfg));
    }
    await attempt('aws metrics', () => this.registerAwsMetrics());
    this.apply('reload');
    this.metrics.reloads.inc({ result: problems.length ? 'partial' : 'applied' });
    this.log.info({ file: this.file, peers: cfg.peers.map((p) => p.address), problems }, problems.length ? 'configuration reloaded with problems' : 'configuration reloaded');
    this.opts.notifier?.ready(this.statusLine());
    return { reloaded: true, warnings: [...loaded.warnings.map((w) => `${w.path}: ${w.message}`), ...problems] };
  }

  private async reloadBfd(old: Config, cfg: Config): Promise<void> {
    const c = this.opts.components;
    const oldBfd = new Map(old.peers.filter((p) => p.bfd !== undefined).map((p) => [p.address, p]));
    const newBfd = new Map(cfg.peers.filter((p) => p.bfd !== undefined).map((p) => [p.address, p]));
    if (newBfd.size && !this.bfd && c.createBfd) {
      this.bfd = await c.createBfd(cfg, this.log.child({ component: 'bfd' }));
      this.attachBfd(this.bfd);
    }
    if (this.bfd) {
      for (const [addr] of oldBfd) {
        if (!newBfd.has(addr)) {
          await this.bfd.remove(addr).catch((e: Error) => this.log.warn({ peer: addr, err: e.message }, 'bfd remove failed'));
          this.bfdStates.delete(addr);
        }
      }
      for (const [addr, p] of newBfd) {
        const before = oldBfd.get(addr);
        if (!before) {
          this.metrics.setBfdState(addr, 'down');
          this.bfd.add(addr, bfdOptions(p));
        } else if (!isDeepStrictEqual(before.bfd, p.bfd)) {
          this.bfd.update(addr, bfdOptions(p));
        }
      }
    }
  }

  private reloadPeers(old: Config, cfg: Config): void {
    // Strict BFD hold-downs: new strict peers wait for BFD Up; others are released.
    const held = new Set<string>();
    for (const p of cfg.peers) {
      if (isStrictBfd(p) && this.bfdStates.get(p.address)?.state !== 'up') held.add(p.address);
    }
    this.heldDown = held;
    for (const p of old.peers) if (!cfg.peers.some((q) => q.address === p.address)) this.metrics.removePeer(p.address);
    for (const p of cfg.peers) if (!old.peers.some((q) => q.address === p.address)) this.metrics.addPeer(p.address);
    this.speaker?.setPeers(this.activePeers(cfg));
  }

  /* ------------------------------------------------------------ status */

  status(): Record<string, unknown> {
    const peers = (this.speaker?.status() ?? []) as Record<string, unknown>[];
    const byAddr = new Map(peers.map((p) => [String(p['address']), p]));
    return {
      daemon: {
        version: this.opts.version,
        pid: process.pid,
        startedAt: this.startedAt.toISOString(),
        configFile: this.file ?? null,
        routerId: this.routerId,
        localAsn: this.cfg.localAsn,
        phase: this.phase,
      },
      verdict: this.verdict,
      drain: this.drained ? { on: true, ...this.drained } : { on: false },
      desired: this.lastApplied ?? [],
      desiredSince: this.lastAppliedAt ?? null,
      peers: this.cfg.peers.map((p) => ({
        address: p.address,
        asn: p.asn,
        configuredHoldTime: p.holdTime,
        heldDownByBfd: this.heldDown.has(p.address),
        bfd: p.bfd === undefined ? null : { ...(this.bfdStates.get(p.address) ?? { state: 'down', since: null }), session: this.bfd?.status(p.address)[0] ?? null },
        ...(byAddr.get(p.address) ?? { state: this.heldDown.has(p.address) ? 'idle' : 'unknown' }),
      })),
      health: this.health?.status() ?? null,
      policy: this.cfg.health ? this.policy?.status() ?? null : null,
      fallback: this.fallback?.status() ?? null,
      rsStatus: this.rsStatusView(),
      loopback: this.loopback?.status() ?? null,
      hooks: this.hooks?.status() ?? null,
    };
  }

  /* ---------------------------------------------------------- liveness */

  /**
   * The systemd watchdog's liveness probe (src/daemon/watchdog.ts `healthy`): true, or
   * why pings must stop so that systemd restarts the daemon. Withheld when a part that
   * runs beside the event loop is dead and will not come back by itself: the BFD worker
   * process is 'failed' (kept dying; BfdManager waits 60 s, longer than WatchdogSec) or
   * 'closed' under a running daemon, or has been starting/restarting for
   * BFD_WORKER_GRACE_MS; or the speaker reports an internal fault. Only while running:
   * start-up and stop have their own systemd timeouts.
   */
  liveness(): true | string {
    if (this.phase !== 'running') return true;
    const bfd = this.bfdLiveness();
    if (bfd !== true) return bfd;
    let fault: string | undefined;
    try {
      fault = this.speaker?.fault?.();
    } catch (e) {
      fault = `fault() threw: ${(e as Error).message}`;
    }
    if (fault) return `speaker internal fault: ${fault}`;
    return true;
  }

  private bfdLiveness(): true | string {
    if (!this.bfd) return true;
    let states: string[];
    try {
      states = (this.bfd.status() as { worker?: unknown }[]).map((s) => String(s?.worker ?? 'running'));
    } catch (e) {
      return `bfd status failed: ${(e as Error).message}`;
    }
    // No sessions, no worker needed.
    const notRunning = states.find((w) => w !== 'running');
    if (notRunning === undefined) {
      this.bfdWorkerDownSince = undefined;
      return true;
    }
    if (notRunning === 'failed') return 'bfd worker process keeps dying and is not being restarted (failed)';
    if (notRunning === 'closed') return 'bfd worker process is gone (closed) while the daemon runs';
    const now = this.opts.clock.now();
    this.bfdWorkerDownSince ??= now;
    const down = now - this.bfdWorkerDownSince;
    if (down >= BFD_WORKER_GRACE_MS) return `bfd worker process ${notRunning} for ${Math.round(down / 1000)} s`;
    return true;
  }

  /* -------------------------------------------------------------- stop */

  /**
   * Graceful stop: the final maintenance announcement (or withdraw) goes out
   * and the sessions close with Cease/Administrative Shutdown (RFC 4486 6/2)
   * before BFD goes AdminDown and the loopback addresses are removed.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const was = this.phase;
    this.phase = 'stopping';
    this.opts.notifier?.stopping('stopping: withdrawing');
    this.log.info({}, 'stopping');
    const step = async (what: string, fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (e) {
        this.log.error({ err: (e as Error).message }, `stop: ${what} failed`);
      }
    };
    await step('control socket', () => this.control?.close());
    await step('health', () => this.health?.stop());
    this.policy?.stop();
    if (this.speaker && was !== 'new') {
      const drain = this.maintenanceAnnouncements();
      await step('speaker', () => this.speaker?.stop({ drain, reason: STOP_REASON, timeoutMs: this.opts.stopTimeoutMs ?? 5000 }));
    }
    await step('bfd', () => this.bfd?.close());
    // Only now: removing the address before the withdraw is out blackholes traffic (ExaBGP #993).
    await step('loopback', () => this.applier?.close());
    await step('hooks', async () => {
      await this.hooks?.idle(2000);
      this.hooks?.close();
    });
    await step('fallback', () => this.fallback?.close());
    await step('rs-status', () => this.rsStatus?.close());
    await step('metrics', () => this.metricsServer?.close());
    this.phase = 'stopped';
    this.log.info({}, 'stopped');
  }

  private async teardownAfterFailedStart(): Promise<void> {
    await this.control?.close().catch(() => undefined);
    await this.metricsServer?.close().catch(() => undefined);
    await this.bfd?.close().catch(() => undefined);
    this.rsStatus?.close();
    await this.fallback?.close().catch(() => undefined);
    await this.speaker?.stop({ reason: STOP_REASON, timeoutMs: 1000 }).catch(() => undefined);
    this.phase = 'stopped';
  }

  /** Run a component callback; log an exception instead of crashing the daemon. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error({ err: (e as Error).message, stack: (e as Error).stack, in: what }, 'unexpected error in a component callback; continuing');
    }
  }
}

function isStrictBfd(p: PeerConfig): boolean {
  return p.bfd?.strict === true;
}

function verdictOf(state: string): Verdict {
  if (state === 'up' || state === 'falling') return 'up';
  if (state === 'maintenance') return 'maintenance';
  if (state === 'init') return 'init';
  return 'down';
}

/** Peer config -> BfdManager session options (peer, local?, multihop, minTxMs, minRxMs, multiplier, passive, auth?). */
export function bfdOptions(p: PeerConfig): BfdSessionOptions {
  const b = p.bfd;
  if (!b) throw new Error(`peer ${p.address} has no bfd settings`);
  return {
    peer: p.address,
    ...(p.localAddress !== undefined ? { local: p.localAddress } : {}),
    multihop: b.multihop,
    minTxMs: b.minTxMs,
    minRxMs: b.minRxMs,
    multiplier: b.multiplier,
    passive: b.passive,
    ...(b.auth ? { auth: b.auth } : {}),
  };
}

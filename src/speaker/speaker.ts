/**
 * The speaker: the daemon states which routes it wants announced (set());
 * each peer's Adj-RIB-Out is diffed and only changes are sent. Everything is
 * resent when a session comes up (then End-of-RIB) and on ROUTE-REFRESH
 * (inside BoRR/EoRR when RFC 7313 was negotiated).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Logger } from 'pino';
import { shutdownCommunication } from '../bgp/index.js';
import { AFI_IPV4, AFI_IPV6, type Prefix } from '../bgp/types.js';
import { buildLocalOpen, DEFAULT_HOLD_TIME } from '../fsm/bgp-open-policy.js';
import { bgpIdToNumber } from '../fsm/bgp-collision.js';
import {
  CEASE_ADMIN_SHUTDOWN,
  CEASE_MAX_PREFIXES,
  CEASE_OTHER_CONFIG_CHANGE,
  CEASE_PEER_DECONFIGURED,
  ERR_CEASE,
} from '../fsm/bgp-codes.js';
import type { NegotiatedSession } from '../fsm/bgp-fsm-types.js';
import { BgpListener } from '../io/bgp-listener.js';
import { firstHostIpv4, resolveSourceAddress } from '../io/bgp-local-address.js';
import { describeReason, PeerSession } from '../io/bgp-session.js';
import { systemClock, type Clock } from '../util/clock.js';
import { AdjRibOut } from './adj-rib-out.js';
import { ReceivedRoutes, DEFAULT_STORE_LIMIT, type ReceivedRoute } from './adj-rib-in.js';
import { exportRoutes, parseAnnouncements, routeView, type DesiredRoute, type ExportedRoute } from './export.js';
import { encodeEndOfRib, encodeRibUpdates } from './updates.js';
import type {
  Announcement,
  PeerStateEvent,
  PeerStatus,
  SpeakerOptions,
  SpeakerPeer,
  UpdateReceivedEvent,
  UpdateSentEvent,
} from './types.js';

export interface SpeakerEvents {
  'peer-state': [PeerStateEvent];
  'update-sent': [UpdateSentEvent];
  'update-received': [UpdateReceivedEvent];
}

export interface StopOptions {
  /** Announcements to leave in place while going down (e.g. graceful-shutdown community); default: withdraw all. */
  drain?: Announcement[];
  /** RFC 9003 shutdown communication sent with Cease 6/2. */
  reason?: string;
  /** Bound on the whole stop, ms. Default 5000. */
  timeoutMs?: number;
}

interface PeerEntry {
  cfg: SpeakerPeer;
  session: PeerSession;
  rib: AdjRibOut;
  received: ReceivedRoutes;
  updatesSent: number;
  updatesReceived: number;
  problems: string[];
  upSince: number | null;
  log: Logger;
  /** ROUTE-REFRESH families waiting until our earlier output has been taken by the kernel. */
  refreshPending: Set<number>;
  cancelRefreshWait: (() => void) | null;
}

const DEFAULT_STOP_TIMEOUT_MS = 5_000;
/** Prefixes named in one 'update sent' log line, each way; the counts are always there. */
const LOG_PREFIXES = 20;

/** Fields that only change what we export or how we judge received routes: applied without a reset. */
const LIVE_FIELDS = new Set<string>(['ipv6NextHop', 'ipv4NextHop', 'maxPrefixes']);

/** Stable text of a peer config: keys sorted at every level, undefined dropped. */
function canonical(p: SpeakerPeer, skipLive: boolean): string {
  const norm = (v: unknown, top: boolean): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => norm(x, false));
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] === undefined || (top && skipLive && LIVE_FIELDS.has(k))) continue;
      out[k] = norm(o[k], false);
    }
    return out;
  };
  return JSON.stringify(norm(p, true));
}

/** 'same', 'live' (only LIVE_FIELDS differ) or 'session' (the session must restart). */
function configChange(a: SpeakerPeer, b: SpeakerPeer): 'same' | 'live' | 'session' {
  if (canonical(a, false) === canonical(b, false)) return 'same';
  return canonical(a, true) === canonical(b, true) ? 'live' : 'session';
}

/** RFC 4486 4: Cease 6/1 data: AFI (2 octets), SAFI (1), upper bound (4). */
export function maxPrefixData(afi: number, safi: number, limit: number): Uint8Array {
  return Uint8Array.of(afi >> 8, afi & 0xff, safi, (limit >>> 24) & 0xff, (limit >>> 16) & 0xff, (limit >>> 8) & 0xff, limit & 0xff);
}

/**
 * fault(): more than FAULT_ERRORS exceptions escaping the speaker's peer event handlers
 * (session up/down/update/route-refresh/state) within FAULT_WINDOW_MS. One such error is
 * logged and survived; a steady stream means a broken invariant that the process will not
 * repair by itself, so the daemon withholds watchdog pings and systemd restarts it. The
 * fault clears by itself once the rate falls below the threshold. Route problems (an
 * UPDATE that cannot be built for a peer) are not internal errors and never count.
 */
export const FAULT_ERRORS = 10;
export const FAULT_WINDOW_MS = 60_000;

export class Speaker extends EventEmitter<SpeakerEvents> {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly peers = new Map<string, PeerEntry>();
  private desired: DesiredRoute[] = [];
  private routerId: string | null;
  private listener: BgpListener | null = null;
  private bound: { address: string; port: number } | null = null;
  /** Peers whose changed config waits for the old session to close. */
  private readonly restarting = new Map<string, Promise<void>>();
  private started = false;
  private stopping = false;
  /** Wall time at clock time 0, to report `since` as ISO text. */
  private readonly epoch: number;
  /** Clock times of the last FAULT_ERRORS + 1 handler errors (bounded). */
  private handlerErrors: number[] = [];
  private lastHandlerError = '';

  constructor(private readonly opts: SpeakerOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger;
    this.epoch = Date.now() - this.clock.now();
    if (!Number.isInteger(opts.localAsn) || opts.localAsn < 1 || opts.localAsn > 0xffffffff) {
      throw new TypeError(`localAsn: expected an integer 1..4294967295, got ${String(opts.localAsn)}`);
    }
    this.routerId = opts.routerId ?? null;
    if (this.routerId !== null) checkRouterId(this.routerId);
    opts.peers.forEach((p, i) => checkPeer(p, `peers[${i}]`, opts.localAsn));
    checkUnique(opts.peers);
    this.checkPassive(opts.peers);
  }

  /** Where the passive listener is bound (after start()), null without `listen`. */
  get listenAddress(): { address: string; port: number } | null {
    return this.bound;
  }

  /** The BGP Identifier in use (after start()). */
  get bgpId(): string | null {
    return this.routerId;
  }

  /**
   * Resolve the router id if needed, bind the listener if configured, start
   * every peer. Resolves when all that is done; rejects (nothing started) when
   * the router id cannot be found or the listener cannot bind.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.bringUp();
    } catch (e) {
      this.started = false;
      await this.listener?.close();
      this.listener = null;
      throw e;
    }
  }

  private async bringUp(): Promise<void> {
    if (this.routerId === null) this.routerId = await this.defaultRouterId();
    if (this.stopping) return; // stop() was called while the router id was being resolved
    this.log.info({ routerId: this.routerId, localAsn: this.opts.localAsn }, 'bgp speaker starting');
    if (this.opts.listen) {
      this.listener = new BgpListener({
        ...this.opts.listen,
        logger: this.log,
        lookup: (remote) => this.peers.get(remote)?.session,
      });
      this.bound = await this.listener.listen();
    }
    for (const p of this.opts.peers) this.addPeer(p);
  }

  /** Desired state: exactly these routes announced to every peer; others withdrawn. Throws on invalid input, changing nothing. */
  set(routes: Announcement[]): void {
    const parsed = parseAnnouncements(routes);
    if (this.stopping) {
      this.log.info('set() ignored: speaker is stopping');
      return;
    }
    this.desired = parsed;
    for (const e of this.peers.values()) this.sync(e);
  }

  /**
   * Resolves true once every UPDATE queued so far by set() (and anything else
   * written before this call) has been handed to the kernel on the socket of
   * every Established peer; false if that has not happened within timeoutMs.
   * Peers that are not Established count as flushed: nothing of ours is
   * queued for them, and their whole Adj-RIB-Out is sent on session up.
   * A session that goes down while we wait counts as flushed too.
   * "Handed to the kernel" is what a process can know: the bytes are in the
   * socket's send buffer, not yet acknowledged by the peer. Writes made after
   * this call do not delay it. Never rejects (a bad timeoutMs throws).
   *
   * Use: remove a floating address from the loopback only once the withdraw
   * of its prefix was written (ExaBGP issue 993 removed it first).
   */
  flushed(timeoutMs: number): Promise<boolean> {
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new TypeError(`flushed: timeoutMs: expected a number of milliseconds >= 0, got ${String(timeoutMs)}`);
    }
    const waits = [...this.peers.values()].map((e) => e.session.flushed(timeoutMs));
    return Promise.all(waits).then((r) => r.every(Boolean));
  }

  /** Send this NOTIFICATION, drop, reconnect after the backoff (BFD down: 6/10). */
  resetPeer(address: string, code: number, subcode: number, data?: Uint8Array): void {
    const e = this.peers.get(address);
    if (!e) {
      this.log.warn({ peer: address }, 'resetPeer: no such peer');
      return;
    }
    e.session.reset({ code, subcode, ...(data ? { data } : {}) }, 'reset requested');
  }

  /** Reload: unchanged peers stay up, changed ones restart (Cease 6/6), removed ones get Cease 6/3. */
  setPeers(peers: SpeakerPeer[]): void {
    peers.forEach((p, i) => checkPeer(p, `peers[${i}]`, this.opts.localAsn));
    checkUnique(peers);
    this.checkPassive(peers);
    const want = new Map(peers.map((p) => [p.address, p]));
    for (const [addr, e] of [...this.peers]) {
      const next = want.get(addr);
      if (!next) {
        this.peers.delete(addr);
        void e.session.stop({ code: ERR_CEASE, subcode: CEASE_PEER_DECONFIGURED }, 'peer removed from config').then(() => e.session.dispose());
      } else if (configChange(e.cfg, next) === 'live') {
        // Next hops or the prefix limit: no reason to reset the session (never flap on reload).
        e.cfg = next;
        e.log.info('peer settings updated without a session reset');
        this.sync(e);
        this.checkMaxPrefixes(e, undefined);
      } else if (configChange(e.cfg, next) === 'session') {
        this.peers.delete(addr);
        // The new session starts once the old socket is closed, so that the peer
        // never sees our new connection while it still holds the old one Established
        // (it would refuse it as a collision, RFC 4271 6.8).
        const closing = e.session.stop({ code: ERR_CEASE, subcode: CEASE_OTHER_CONFIG_CHANGE }, 'peer config changed');
        this.restarting.set(addr, closing);
        void closing.then(() => {
          e.session.dispose();
          if (this.restarting.get(addr) !== closing) return;
          this.restarting.delete(addr);
          const cfg = this.opts.peers.find((p) => p.address === addr);
          if (cfg && this.started && !this.stopping && !this.peers.has(addr)) this.addPeer(cfg);
        });
      }
    }
    this.opts.peers = peers;
    if (!this.started) return;
    for (const p of peers) if (!this.peers.has(p.address) && !this.restarting.has(p.address)) this.addPeer(p);
  }

  /** A passive peer can only come up through the listener. */
  private checkPassive(peers: SpeakerPeer[]): void {
    peers.forEach((p, i) => {
      if (p.passive && !this.opts.listen) {
        throw new TypeError(`peers[${i}].passive: a passive peer needs the speaker to listen (listen address and port)`);
      }
    });
  }

  status(): PeerStatus[] {
    return [...this.peers.values()].map((e) => this.peerStatus(e));
  }

  /**
   * Why the speaker cannot recover by itself, or undefined (see FAULT_ERRORS). Read by the
   * daemon's watchdog liveness probe (src/daemon/ports.ts SpeakerPort.fault).
   */
  fault(): string | undefined {
    const since = this.clock.now() - FAULT_WINDOW_MS;
    this.handlerErrors = this.handlerErrors.filter((t) => t > since);
    if (this.handlerErrors.length <= FAULT_ERRORS) return undefined;
    return `more than ${FAULT_ERRORS} internal errors in peer event handlers within ${FAULT_WINDOW_MS / 1000} s (last: ${this.lastHandlerError})`;
  }

  /** A peer event handler that logs and counts an exception instead of letting it reach the session. */
  private guarded<A extends unknown[]>(e: PeerEntry, event: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        const msg = (err as Error)?.message ?? String(err);
        e.log.error({ err: msg, stack: (err as Error)?.stack, event }, 'internal error in a peer event handler');
        this.lastHandlerError = `${e.cfg.address} ${event}: ${msg}`;
        this.handlerErrors.push(this.clock.now());
        if (this.handlerErrors.length > FAULT_ERRORS + 1) this.handlerErrors.shift();
      }
    };
  }

  /** Received routes kept for display (first `limit`). */
  received(address: string, limit = 1000): ReceivedRoute[] {
    return this.peers.get(address)?.received.list(limit) ?? [];
  }

  /**
   * Graceful stop: withdraw (or apply `drain`), wait until those UPDATEs are
   * handed to the kernel, then Cease 6/2 with the RFC 9003 shutdown
   * communication, close. Bounded by timeoutMs overall.
   */
  async stop(o: StopOptions = {}): Promise<void> {
    const timeoutMs = o.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const deadline = this.clock.now() + Math.max(0, Number.isFinite(timeoutMs) ? timeoutMs : DEFAULT_STOP_TIMEOUT_MS);
    const left = () => Math.max(0, deadline - this.clock.now());
    let drain: DesiredRoute[] = [];
    try {
      drain = parseAnnouncements(o.drain ?? []);
    } catch (err) {
      // Going down anyway: a bad drain list must not keep routes up; withdraw everything instead.
      this.log.error({ err: (err as Error).message }, 'stop: drain announcements refused, withdrawing all instead');
    }
    this.stopping = true;
    this.desired = drain;
    for (const e of this.peers.values()) this.sync(e);
    const data = shutdownCommunication(o.reason ?? 'bgp-sidecar stopping');
    // Per peer, in parallel: wait until its withdrawals reach the kernel, then Cease 6/2.
    // A peer that does not read only delays its own Cease, never another peer's.
    const perPeer = [...this.peers.values()].map(async (e) => {
      await e.session.flushed(left());
      await e.session.stop({ code: ERR_CEASE, subcode: CEASE_ADMIN_SHUTDOWN, data }, 'graceful stop');
    });
    await this.bounded(Promise.all(perPeer), left());
    // Sockets first: a listening server only reports closed once its accepted sockets are.
    for (const e of this.peers.values()) {
      e.cancelRefreshWait?.();
      e.session.dispose();
    }
    const listener = this.listener;
    this.listener = null;
    if (listener) await this.bounded(listener.close(), left());
    this.log.info('bgp speaker stopped');
  }

  /* ------------------------------------------------------------ internals */

  private bounded(p: Promise<unknown>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.clock.setTimer(ms, () => resolve());
      void p.then(() => {
        t.cancel();
        resolve();
      });
    });
  }

  /**
   * Router id rule (docs/speaker.md): configured > first peer's localAddress
   * (IPv4) > the source address the kernel picks toward the first peer >
   * the host's first IPv4 address. Resolved before any OPEN is sent.
   */
  private async defaultRouterId(): Promise<string> {
    const first = this.opts.peers[0];
    if (first?.localAddress && net.isIPv4(first.localAddress)) return first.localAddress;
    if (first && net.isIPv4(first.address)) {
      try {
        const a = await resolveSourceAddress(first.address, first.port ?? 179);
        if (net.isIPv4(a) && a !== '0.0.0.0') return a;
      } catch (e) {
        this.log.warn({ peer: first.address, err: (e as Error).message }, 'cannot resolve the source address toward the first peer');
      }
    }
    const host = firstHostIpv4();
    if (host) return host;
    throw new Error('router-id: no IPv4 address to use as BGP Identifier; set router-id in the config');
  }

  private addPeer(cfg: SpeakerPeer): void {
    const log = this.log.child({ peer: cfg.address });
    const localOpen = buildLocalOpen({ localAsn: this.opts.localAsn, routerId: this.routerId!, holdTime: cfg.holdTime ?? DEFAULT_HOLD_TIME });
    const session = new PeerSession({
      address: cfg.address,
      ...(cfg.port !== undefined ? { port: cfg.port } : {}),
      ...(cfg.localAddress ? { localAddress: cfg.localAddress } : {}),
      peerAsn: cfg.asn,
      localAsn: this.opts.localAsn,
      localOpen,
      passive: !!cfg.passive,
      ...(cfg.connectRetryMs ? { connectRetry: cfg.connectRetryMs } : {}),
      ...(cfg.connectTimeoutMs !== undefined ? { connectTimeoutMs: cfg.connectTimeoutMs } : {}),
      ...(cfg.sendHoldMs !== undefined ? { sendHoldMs: cfg.sendHoldMs } : {}),
      ...(cfg.openHoldMs !== undefined ? { openHoldMs: cfg.openHoldMs } : {}),
      clock: this.clock,
      logger: log,
      ...(this.opts.random ? { random: this.opts.random } : {}),
    });
    const e: PeerEntry = {
      cfg,
      session,
      rib: new AdjRibOut(),
      received: new ReceivedRoutes(this.opts.receivedStoreLimit ?? DEFAULT_STORE_LIMIT),
      updatesSent: 0,
      updatesReceived: 0,
      problems: [],
      upSince: null,
      log,
      refreshPending: new Set(),
      cancelRefreshWait: null,
    };
    this.peers.set(cfg.address, e);
    session.on('state', this.guarded(e, 'state', (s) => {
      if (this.peers.get(cfg.address) !== e && s.state !== 'Idle') return;
      this.emit('peer-state', { address: cfg.address, state: s.state, previous: s.previous, reason: describeReason(s.reason) });
    }));
    session.on('up', this.guarded(e, 'up', (s) => this.onUp(e, s)));
    session.on('down', this.guarded(e, 'down', () => {
      e.upSince = null;
      e.rib.clear();
      e.received.clear();
      e.refreshPending.clear();
      e.cancelRefreshWait?.();
      e.cancelRefreshWait = null;
    }));
    session.on('update', this.guarded(e, 'update', (u) => {
      e.updatesReceived++;
      const r = e.received.apply(u);
      // The limit first: a failing 'update-received' listener must not skip it.
      this.checkMaxPrefixes(e, u.nlri[0] ?? u.attributes.mpReach?.nlri[0]);
      this.emit('update-received', { address: cfg.address, count: r.announced + r.withdrawn });
    }));
    session.on('route-refresh', this.guarded(e, 'route-refresh', (m) => {
      if (m.subtype !== 0) return; // BoRR/EoRR from the peer concern routes we only display
      const fam = `${m.afi}/${m.safi}`;
      const s = e.session.session;
      if (!s || !s.families.has(fam)) {
        // RFC 2918 4: a ROUTE-REFRESH for a family not advertised is ignored.
        log.info({ afi: m.afi, safi: m.safi }, 'route refresh for a family not negotiated: ignored');
        return;
      }
      this.onRefresh(e, m.afi);
    }));
    if (!this.stopping) session.start();
  }

  private checkMaxPrefixes(e: PeerEntry, sample: Prefix | undefined): void {
    const max = e.cfg.maxPrefixes;
    if (max === undefined || e.received.count <= max) return;
    // The limit counts both families together; the data names the family of the UPDATE
    // that crossed it, or (after a reload lowered the limit) the family holding the most.
    const afi = sample?.afi ?? (e.received.countOf(AFI_IPV6) > e.received.countOf(AFI_IPV4) ? AFI_IPV6 : AFI_IPV4);
    e.log.warn({ received: e.received.count, max }, 'maximum prefixes exceeded');
    // RFC 4486 4: Cease, Maximum Number of Prefixes Reached, with AFI/SAFI/limit data.
    e.session.reset({ code: ERR_CEASE, subcode: CEASE_MAX_PREFIXES, data: maxPrefixData(afi, 1, max) }, `more than ${max} prefixes received`);
  }

  private onUp(e: PeerEntry, s: NegotiatedSession): void {
    e.upSince = this.clock.now();
    e.rib.clear();
    e.received.clear();
    this.sync(e);
    // End-of-RIB after the initial sync (RFC 4724 2), one per negotiated family.
    const eor: Uint8Array[] = [];
    for (const afi of [AFI_IPV4, AFI_IPV6]) if (s.families.has(`${afi}/1`)) eor.push(encodeEndOfRib(afi, 1, s.codec));
    if (e.session.writeUpdates(eor)) e.updatesSent += eor.length;
  }

  private context(e: PeerEntry) {
    const s = e.session.session;
    const local = e.session.localAddress;
    if (!s || !local) return null;
    return {
      session: s,
      ctx: {
        localAsn: this.opts.localAsn,
        families: s.families,
        localAddress: local,
        ...(e.cfg.ipv6NextHop ? { ipv6NextHop: e.cfg.ipv6NextHop } : {}),
        ...(e.cfg.ipv4NextHop ? { ipv4NextHop: e.cfg.ipv4NextHop } : {}),
      },
    };
  }

  /** sync() guarded: one peer's failure is logged and never reaches set() or another peer. */
  private sync(e: PeerEntry): void {
    try {
      this.syncPeer(e);
    } catch (err) {
      e.log.error({ err: (err as Error).message }, 'cannot build UPDATEs for this peer');
      const p = `UPDATE not sent: ${(err as Error).message}`;
      if (!e.problems.includes(p)) e.problems = [...e.problems, p];
    }
  }

  /** Bring the peer's Adj-RIB-Out to the desired state, sending only differences. */
  private syncPeer(e: PeerEntry): void {
    if (!e.session.isEstablished) return;
    const c = this.context(e);
    if (!c) return;
    const { routes, problems } = exportRoutes(this.desired, c.ctx);
    if (problems.join('\n') !== e.problems.join('\n')) {
      for (const p of problems) if (!e.problems.includes(p)) e.log.warn({ problem: p }, 'route not sent');
      e.problems = problems;
    }
    const diff = e.rib.diff(routes);
    if (diff.announce.length === 0 && diff.withdraw.length === 0) return;
    const msgs = encodeRibUpdates(diff.announce, diff.withdraw, c.session.codec);
    if (!e.session.writeUpdates(msgs)) return;
    e.rib.commit(routes);
    e.updatesSent += msgs.length;
    const announced = diff.announce.flat().map((r) => r.text);
    const withdrawn = diff.withdraw.map((r) => r.text);
    // The log names at most LOG_PREFIXES prefixes each way (a 10,000-prefix change is one short line).
    e.log.info(
      {
        announced: announced.length > LOG_PREFIXES ? announced.slice(0, LOG_PREFIXES) : announced,
        withdrawn: withdrawn.length > LOG_PREFIXES ? withdrawn.slice(0, LOG_PREFIXES) : withdrawn,
        announcedCount: announced.length,
        withdrawnCount: withdrawn.length,
        updates: msgs.length,
      },
      'update sent',
    );
    this.emit('update-sent', { address: e.cfg.address, announced, withdrawn });
  }

  /**
   * ROUTE-REFRESH received. While our earlier output still waits in user
   * space (the peer reads slowly), the answer is deferred and requests for
   * the same family are merged: the peer gets the current table once, after
   * its last request. Otherwise a peer asking again and again without reading
   * would make us queue the whole table each time.
   */
  private onRefresh(e: PeerEntry, afi: number): void {
    if (e.session.queuedBytes === 0 && e.refreshPending.size === 0) {
      this.answerRefresh(e, afi);
      return;
    }
    e.refreshPending.add(afi);
    if (e.cancelRefreshWait) return;
    e.log.debug({ afi, queued: e.session.queuedBytes }, 'route refresh deferred until our output is written');
    e.cancelRefreshWait = e.session.whenWritten(() => {
      e.cancelRefreshWait = null;
      const fams = [...e.refreshPending];
      e.refreshPending.clear();
      for (const f of fams) this.answerRefresh(e, f);
    });
  }

  private answerRefresh(e: PeerEntry, afi: number): void {
    const s = e.session.session;
    if (!s || !e.session.isEstablished) return;
    try {
      this.resend(e, afi, s.enhancedRouteRefresh);
    } catch (err) {
      e.log.error({ err: (err as Error).message, afi }, 'cannot answer the route refresh');
    }
  }

  /** ROUTE-REFRESH: resend the family; RFC 7313 4: inside BoRR ... EoRR when negotiated. */
  private resend(e: PeerEntry, afi: number, enhanced: boolean): void {
    const s = e.session.session;
    if (!s) return;
    if (enhanced) e.session.sendMessage({ type: 'route-refresh', afi, safi: 1, subtype: 1 });
    const groups = new Map<string, ExportedRoute[]>();
    for (const r of e.rib.routes()) {
      if (r.prefix.afi !== afi) continue;
      const g = groups.get(r.key);
      if (g) g.push(r);
      else groups.set(r.key, [r]);
    }
    const msgs = encodeRibUpdates([...groups.values()], [], s.codec);
    if (e.session.writeUpdates(msgs)) e.updatesSent += msgs.length;
    if (enhanced) e.session.sendMessage({ type: 'route-refresh', afi, safi: 1, subtype: 2 });
    const announced = [...groups.values()].flat().map((r) => r.text);
    e.log.info({ afi, routes: announced.length, enhanced }, 'route refresh answered');
    this.emit('update-sent', { address: e.cfg.address, announced, withdrawn: [] });
  }

  private peerStatus(e: PeerEntry): PeerStatus {
    const s = e.session.session;
    const err = e.session.lastErrorReason;
    return {
      address: e.cfg.address,
      asn: e.cfg.asn,
      state: e.session.state,
      since: new Date(this.epoch + e.session.stateSince).toISOString(),
      uptimeMs: e.upSince === null ? null : Math.round(this.clock.now() - e.upSince),
      lastError: err ? describeReason(err) : null,
      holdTime: s?.holdTime ?? null,
      keepaliveTime: s?.keepaliveTime ?? null,
      localAddress: e.session.localAddress,
      remoteId: s?.remoteId ?? null,
      families: s ? [...s.families] : [],
      announced: e.rib.routes().map(routeView),
      receivedPrefixes: e.received.count,
      receivedCountOnly: e.received.countOnly,
      updatesSent: e.updatesSent,
      updatesReceived: e.updatesReceived,
      outQueueBytes: e.session.queuedBytes,
      problems: [...e.problems],
    };
  }
}

function checkRouterId(id: string): void {
  let n: number;
  try {
    n = bgpIdToNumber(id);
  } catch {
    throw new TypeError(`routerId: expected a dotted quad like 10.0.0.1, got "${id}"`);
  }
  // RFC 6286 2.1: the BGP Identifier is a non-zero 32-bit number.
  if (n === 0) throw new TypeError('routerId: 0.0.0.0 is not a valid BGP Identifier (RFC 6286)');
}

function checkPeer(p: SpeakerPeer, at: string, localAsn: number): void {
  if (!net.isIP(p.address)) throw new TypeError(`${at}.address: expected an IPv4 or IPv6 address, got "${p.address}"`);
  if (!Number.isInteger(p.asn) || p.asn < 1 || p.asn > 0xffffffff) throw new TypeError(`${at}.asn: expected 1..4294967295, got ${String(p.asn)}`);
  if (p.asn === localAsn) {
    // We only do eBGP export (own ASN prepended, next hop self, no LOCAL_PREF): refuse iBGP rather than send wrong routes.
    throw new TypeError(`${at}.asn: ${p.asn} is our own ASN; only external (eBGP) peers are supported`);
  }
  if (p.holdTime !== undefined && (!Number.isInteger(p.holdTime) || (p.holdTime !== 0 && (p.holdTime < 3 || p.holdTime > 65535)))) {
    // RFC 4271 4.2: Hold Time MUST be either zero or at least three seconds.
    throw new TypeError(`${at}.holdTime: expected 0 or 3..65535 seconds, got ${String(p.holdTime)}`);
  }
  if (p.localAddress !== undefined && !net.isIP(p.localAddress)) throw new TypeError(`${at}.localAddress: expected an IP address, got "${p.localAddress}"`);
  if (p.localAddress !== undefined && net.isIP(p.localAddress) !== net.isIP(p.address)) {
    throw new TypeError(`${at}.localAddress: ${p.localAddress} is not of the same family as the peer address ${p.address}`);
  }
  if (p.ipv6NextHop !== undefined && !net.isIPv6(p.ipv6NextHop)) throw new TypeError(`${at}.ipv6NextHop: expected an IPv6 address, got "${p.ipv6NextHop}"`);
  if (p.ipv6NextHop !== undefined && /^fe[89ab]/i.test(p.ipv6NextHop)) {
    // RFC 2545 3: the next hop field carries a global address (a link-local one only as the second of two).
    throw new TypeError(`${at}.ipv6NextHop: expected a global IPv6 address, got the link-local ${p.ipv6NextHop}`);
  }
  if (p.ipv4NextHop !== undefined && !net.isIPv4(p.ipv4NextHop)) throw new TypeError(`${at}.ipv4NextHop: expected an IPv4 address, got "${p.ipv4NextHop}"`);
  if (p.maxPrefixes !== undefined && (!Number.isInteger(p.maxPrefixes) || p.maxPrefixes < 1)) throw new TypeError(`${at}.maxPrefixes: expected a positive integer`);
  if (p.port !== undefined && (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)) throw new TypeError(`${at}.port: expected 1..65535`);
  for (const k of ['connectTimeoutMs', 'sendHoldMs', 'openHoldMs'] as const) {
    const v = p[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 86_400_000)) {
      throw new TypeError(`${at}.${k}: expected milliseconds above 0 (at most a day), got ${String(v)}`);
    }
  }
  const r = p.connectRetryMs;
  if (r && (!(r.min > 0) || !(r.max >= r.min))) throw new TypeError(`${at}.connectRetryMs: expected 0 < min <= max`);
}

function checkUnique(peers: SpeakerPeer[]): void {
  const seen = new Set<string>();
  for (const p of peers) {
    if (seen.has(p.address)) throw new TypeError(`peers: ${p.address} is configured twice`);
    seen.add(p.address);
  }
}

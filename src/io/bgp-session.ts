/**
 * One configured BGP peer: binds the pure FSM (src/fsm/bgp-fsm.ts) to TCP.
 * Outgoing connects, accepted connections from the listener, RFC 4271 6.8
 * collision handling with a second one-shot FSM, backoff between attempts.
 * Emits what the speaker needs; never delays another peer (no shared awaits).
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Logger } from 'pino';
import type { OpenMessage, RouteRefreshMessage, UpdateMessage } from '../bgp/types.js';
import { describeNotification, encodeMessage } from '../bgp/index.js';
import { BgpFsm } from '../fsm/bgp-fsm.js';
import type { BgpState, FsmAction, FsmReason, NegotiatedSession, NotificationSpec } from '../fsm/bgp-fsm-types.js';
import { Backoff, backoffDelay, type BackoffRange, DEFAULT_CONNECT_RETRY } from '../fsm/bgp-backoff.js';
import { collisionSurvivor, type Direction } from '../fsm/bgp-collision.js';
import { negotiateSession, remoteAsnOf } from '../fsm/bgp-open-policy.js';
import { checkRemoteOpen } from '../fsm/bgp-open-check.js';
import {
  CEASE_ADMIN_SHUTDOWN,
  CEASE_COLLISION,
  CEASE_CONNECTION_REJECTED,
  CEASE_MAX_PREFIXES,
  CEASE_OUT_OF_RESOURCES,
  CEASE_PEER_DECONFIGURED,
  ERR_CEASE,
  ERR_SEND_HOLD_TIMER,
} from '../fsm/bgp-codes.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { BgpConnection, connectTcp } from './bgp-connection.js';

export const BGP_PORT = 179;
/** Log rate of RFC 7606 repairs per peer. */
export const REPAIR_LOG_MAX = 10;
export const REPAIR_LOG_WINDOW_MS = 60_000;

export interface PeerSessionOptions {
  address: string;
  port?: number;
  localAddress?: string;
  peerAsn: number;
  localAsn: number;
  localOpen: OpenMessage;
  passive?: boolean;
  connectRetry?: BackoffRange;
  /** ConnectRetryTime while a connect is pending, ms. */
  connectTimeoutMs?: number;
  /** Hold timer while waiting for the peer's OPEN, ms (default DEFAULT_OPEN_HOLD_MS, 30 s). */
  openHoldMs?: number;
  sendHoldMs?: number;
  /** Bound on our output waiting in user space before Cease 6/8; default MAX_WRITE_QUEUE_BYTES (tests lower it). */
  maxWriteQueueBytes?: number;
  /** Established this long resets the backoff; default connectRetry.max. */
  stableMs?: number;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

export interface SessionStateEvent {
  state: BgpState;
  previous: BgpState;
  reason: FsmReason;
}

export interface PeerSessionEvents {
  state: [SessionStateEvent];
  up: [NegotiatedSession];
  down: [FsmReason];
  update: [UpdateMessage];
  'route-refresh': [RouteRefreshMessage];
}

interface Slot {
  fsm: BgpFsm;
  conn: BgpConnection | null;
  pending: net.Socket | null;
  direction: Direction;
}

/**
 * Cease subcodes received from the peer after which we wait at least the
 * backoff cap before connecting again, however short the backoff was:
 * 6/1 (we sent more prefixes than it accepts), 6/2 (it was shut down by its
 * operator), 6/3 (it no longer has us configured), 6/5 (it refuses our
 * connections), 6/8 (it is out of resources). Coming straight back would
 * only be refused again, or load a peer that asked for quiet. Other Cease
 * subcodes (6/4 reset, 6/6 reconfigured, 6/7 collision, 6/9 hard reset,
 * 6/10 BFD down) mean "come back" and keep the normal backoff.
 */
export const CEASE_HOLD_OFF = new Set<number>([
  CEASE_MAX_PREFIXES,
  CEASE_ADMIN_SHUTDOWN,
  CEASE_PEER_DECONFIGURED,
  CEASE_CONNECTION_REJECTED,
  CEASE_OUT_OF_RESOURCES,
]);

/** A short text for logs and status: "Cease/Administrative Shutdown (sent): maintenance". */
export function describeReason(r: FsmReason): string {
  if (!r.notification) return r.detail ? `${r.code}: ${r.detail}` : r.code;
  const n = r.notification;
  const text = notificationText(n.code, n.subcode, n.data ?? new Uint8Array(0));
  return `${r.code}: ${text} (${n.direction})${r.detail ? ` ${r.detail}` : ''}`;
}

/** describeNotification, plus RFC 9687 code 8 which the codec's table does not name yet. */
export function notificationText(code: number, subcode: number, data: Uint8Array): string {
  if (code === ERR_SEND_HOLD_TIMER) return 'Send Hold Timer Expired';
  return describeNotification({ type: 'notification', code, subcode, data });
}

export class PeerSession extends EventEmitter<PeerSessionEvents> {
  private primary: Slot;
  private secondary: Slot | null = null;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private stableTimer: TimerHandle | null = null;
  private since: number;
  private last: FsmReason | null = null;
  private lastError: FsmReason | null = null;
  /** While stop() runs: the sockets it closes, to wait for. */
  private closing: Promise<void>[] | null = null;
  /** 'update repaired' log lines: at most REPAIR_LOG_MAX per REPAIR_LOG_WINDOW_MS, the rest counted. */
  private repairLog = { since: -Infinity, logged: 0, suppressed: 0 };
  /** Connections dropped but still flushing a final NOTIFICATION (bounded by CLOSE_FLUSH_MS). */
  private readonly lingering = new Set<BgpConnection>();

  constructor(private readonly o: PeerSessionOptions) {
    super();
    this.log = o.logger;
    this.backoff = new Backoff(o.connectRetry ?? DEFAULT_CONNECT_RETRY, o.random ?? Math.random);
    this.primary = this.makeSlot('outgoing', true);
    this.since = o.clock.now();
  }

  get address(): string {
    return this.o.address;
  }

  get state(): BgpState {
    return this.primary.fsm.state;
  }

  /** Clock time of the last state change of the session. */
  get stateSince(): number {
    return this.since;
  }

  get session(): NegotiatedSession | null {
    return this.primary.fsm.session;
  }

  get localAddress(): string | null {
    return this.primary.conn?.localAddress ?? null;
  }

  get lastReason(): FsmReason | null {
    return this.last;
  }

  /** The last reason the session went down or failed to come up that carried an error. */
  get lastErrorReason(): FsmReason | null {
    return this.lastError;
  }

  get isEstablished(): boolean {
    return this.primary.fsm.state === 'Established' && this.primary.conn !== null;
  }

  get running(): boolean {
    return this.primary.fsm.running;
  }

  start(): void {
    this.primary.fsm.handle({ type: 'start' });
  }

  /** ManualStop: NOTIFICATION (default Cease 6/2) on any open connection, no restart. */
  stop(n?: NotificationSpec, detail?: string): Promise<void> {
    this.stableTimer?.cancel();
    this.stableTimer = null;
    const waits: Promise<void>[] = [];
    this.closing = waits;
    try {
      const sec = this.secondary;
      if (sec) sec.fsm.handle({ type: 'stop', ...(n ? { notification: n } : {}), ...(detail ? { detail } : {}) });
      this.primary.fsm.handle({ type: 'stop', ...(n ? { notification: n } : {}), ...(detail ? { detail } : {}) });
    } finally {
      this.closing = null;
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Send the NOTIFICATION, drop, come back after the backoff (BFD down 6/10, max-prefix 6/1, admin reset 6/4). */
  reset(n: NotificationSpec, detail?: string): void {
    // A connection still being opened goes too: the reset must not be dodged by promoting it.
    this.secondary?.fsm.handle({ type: 'stop', notification: n, ...(detail ? { detail } : {}) });
    this.primary.fsm.handle({ type: 'stop', notification: n, restart: true, ...(detail ? { detail } : {}) });
  }

  /** Cancel everything without sending anything more (tests, process exit, after stop()). */
  dispose(): void {
    for (const s of [this.primary, this.secondary]) {
      if (!s) continue;
      s.fsm.dispose();
      s.pending?.destroy();
      s.conn?.destroy();
    }
    // A connection still flushing its NOTIFICATION to a peer that does not read: cut it now.
    for (const c of this.lingering) c.destroy();
    this.lingering.clear();
    this.secondary = null;
    this.stableTimer?.cancel();
  }

  /**
   * Write encoded UPDATEs on the Established connection. False when there is
   * none, or when the session ended while writing (write-queue bound): the
   * caller must not record them as sent.
   */
  writeUpdates(messages: readonly Uint8Array[]): boolean {
    const c = this.primary.conn;
    if (!this.isEstablished || !c) return false;
    for (const m of messages) {
      if (c.isClosed) break;
      c.write(m);
    }
    const ok = this.isEstablished && this.primary.conn === c;
    if (ok && messages.length > 0) this.primary.fsm.handle({ type: 'updates-sent' });
    return ok;
  }

  /** Encode with the negotiated options and write (ROUTE-REFRESH BoRR/EoRR, End-of-RIB...). */
  sendMessage(m: Parameters<typeof encodeMessage>[0]): boolean {
    const c = this.primary.conn;
    if (!this.isEstablished || !c) return false;
    c.send(m);
    return true;
  }

  /**
   * Resolves true once every byte written so far on the Established
   * connection was handed to the kernel (later writes do not delay it), or
   * the connection went away; false after timeoutMs. Not Established: true
   * at once (nothing of ours is queued; the Adj-RIB-Out is resent on session up).
   */
  flushed(timeoutMs: number): Promise<boolean> {
    const c = this.primary.conn;
    if (!c || !this.isEstablished) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      let cancel: () => void = () => undefined;
      const t = this.o.clock.setTimer(timeoutMs, () => {
        if (done) return;
        done = true;
        cancel();
        resolve(false);
      });
      cancel = c.whenWritten(() => {
        if (done) return;
        done = true;
        t.cancel();
        resolve(true);
      });
    });
  }

  /**
   * Call `fn` once everything written so far on the session's connection was
   * taken by the kernel, or at once when there is no connection. Returns a cancel function.
   */
  whenWritten(fn: () => void): () => void {
    const c = this.primary.conn;
    if (!c) {
      fn();
      return () => undefined;
    }
    return c.whenWritten(fn);
  }

  /** Bytes written on the session's connection and not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.primary.conn?.queuedBytes ?? 0;
  }

  /**
   * A connection accepted by the listener from this peer's address.
   * RFC 4271 8.2.1.1 / 6.8: how it is used depends on where the session is.
   */
  accept(socket: net.Socket): void {
    const conn = new BgpConnection(socket, 'incoming', this.o.clock, this.o.maxWriteQueueBytes);
    const p = this.primary;
    if (!p.fsm.running) {
      this.refuse(conn, { code: ERR_CEASE, subcode: CEASE_CONNECTION_REJECTED }, 'peer administratively down');
      return;
    }
    switch (p.fsm.state) {
      case 'Idle':
        // Waiting for the IdleHoldTimer: start now and take this connection
        // (an active peer's own connect, just begun, is abandoned).
        p.fsm.handle({ type: 'start' });
        this.abortPending(p);
        this.bind(p, conn);
        return;
      case 'Connect':
        // Our own attempt has not completed: use the peer's connection instead.
        this.abortPending(p);
        this.bind(p, conn);
        return;
      case 'Active':
        this.bind(p, conn);
        return;
      case 'OpenSent':
      case 'OpenConfirm': {
        if (this.secondary) {
          this.refuse(conn, { code: ERR_CEASE, subcode: CEASE_CONNECTION_REJECTED }, 'a second connection is already being opened');
          return;
        }
        // RFC 4271 6.8: keep both until an OPEN tells us the peer's BGP Identifier.
        const s = this.makeSlot('incoming', false);
        this.secondary = s;
        s.fsm.handle({ type: 'start' });
        this.bind(s, conn);
        return;
      }
      case 'Established':
        // RFC 4271 6.8: a collision with an Established connection closes the new one.
        this.refuse(conn, { code: ERR_CEASE, subcode: CEASE_COLLISION }, 'session already Established');
        return;
    }
  }

  /* ------------------------------------------------------------ internals */

  private refuse(conn: BgpConnection, n: NotificationSpec, why: string): void {
    this.log.info({ remote: conn.remoteAddress, why, code: n.code, subcode: n.subcode }, 'incoming connection refused');
    conn.send({ type: 'notification', code: n.code, subcode: n.subcode, data: n.data ?? new Uint8Array(0) });
    conn.close(true, why);
  }

  private bind(slot: Slot, conn: BgpConnection): void {
    slot.conn = conn;
    this.watch(slot, conn);
    slot.fsm.handle({ type: 'tcp-connected', localAddress: conn.localAddress });
  }

  private abortPending(slot: Slot): void {
    slot.pending?.destroy();
    slot.pending = null;
  }

  private makeSlot(direction: Direction, primary: boolean): Slot {
    const slot: Slot = { fsm: undefined as unknown as BgpFsm, conn: null, pending: null, direction };
    slot.fsm = new BgpFsm({
      clock: this.o.clock,
      localOpen: this.o.localOpen,
      passive: direction === 'incoming' ? true : !!this.o.passive,
      ...(this.o.connectTimeoutMs !== undefined ? { connectRetryMs: this.o.connectTimeoutMs } : {}),
      ...(this.o.openHoldMs !== undefined ? { openHoldMs: this.o.openHoldMs } : {}),
      ...(this.o.sendHoldMs !== undefined ? { sendHoldMs: this.o.sendHoldMs } : {}),
      retryDelay: (reason) => this.retryDelay(reason),
      autoRestart: primary,
      validateOpen: (open) => checkRemoteOpen(open, { peerAsn: this.o.peerAsn, localOpen: this.o.localOpen }),
      negotiate: negotiateSession,
      collision: (remote) => this.collides(slot, remote),
      onAction: (a) => this.onAction(slot, a),
    });
    return slot;
  }

  /** IdleHoldTimer value: the backoff, at least its cap after a Cease that asks us to stay away (CEASE_HOLD_OFF). */
  private retryDelay(reason: FsmReason): number {
    const d = this.backoff.next();
    const n = reason.notification;
    if (n?.direction === 'received' && n.code === ERR_CEASE && CEASE_HOLD_OFF.has(n.subcode)) {
      const cap = backoffDelay(this.o.connectRetry ?? DEFAULT_CONNECT_RETRY, 64, this.o.random ?? Math.random);
      if (cap > d) {
        this.log.info({ subcode: n.subcode, retryMs: cap }, 'peer sent Cease: holding off before reconnecting');
        return cap;
      }
    }
    return d;
  }

  /** RFC 4271 6.8, asked by `slot`'s FSM on OPEN receipt: true = drop `slot`. */
  private collides(slot: Slot, remote: OpenMessage): boolean {
    const other = slot === this.primary ? this.secondary : this.primary;
    if (!other || (other.fsm.state !== 'OpenSent' && other.fsm.state !== 'OpenConfirm')) return false;
    // Who opened each connection: the socket's own direction (a primary slot may hold an accepted connection).
    const dir = (x: Slot): Direction => x.conn?.direction ?? x.direction;
    let winner: Slot;
    if (dir(slot) === dir(other)) {
      // Two connections opened by the same side are not a 6.8 collision: keep the older one.
      winner = this.primary;
    } else {
      const survivor = collisionSurvivor(this.o.localOpen.bgpId, remote.bgpId, this.o.localAsn, remoteAsnOf(remote));
      winner = dir(slot) === survivor ? slot : other;
    }
    const loser = winner === slot ? other : slot;
    this.log.info({ remoteId: remote.bgpId, localId: this.o.localOpen.bgpId, keep: dir(winner) }, 'connection collision');
    if (winner !== this.primary) this.promote(winner);
    if (loser === slot) return true;
    loser.fsm.handle({ type: 'collision-dump' });
    return false;
  }

  /** Make `s` (the incoming one-shot slot) the peer's session; the old primary is discarded. */
  private promote(s: Slot): void {
    const old = this.primary;
    old.fsm.autoRestart = false;
    s.fsm.autoRestart = true;
    this.primary = s;
    this.secondary = old;
    // `old` still has to send its NOTIFICATION; it is disposed when it reaches Idle.
  }

  private watch(slot: Slot, conn: BgpConnection): void {
    conn.on('message', (m, problems) => {
      if (slot.conn !== conn) return;
      if (m.type === 'notification') {
        this.log.warn({ code: m.code, subcode: m.subcode, notification: notificationText(m.code, m.subcode, m.data) }, 'notification received');
      }
      if (problems && problems.length > 0) this.logRepaired(problems);
      slot.fsm.handle({ type: 'message', message: m });
    });
    conn.on('decode-error', (e) => {
      if (slot.conn !== conn) return;
      this.log.warn({ code: e.code, subcode: e.subcode, error: e.message }, 'malformed message');
      slot.fsm.handle({ type: 'decode-error', error: e });
    });
    conn.on('write-state', (pending, progress) => {
      if (slot.conn !== conn) return;
      slot.fsm.handle({ type: 'write-state', pending, progress });
    });
    conn.on('overflow', (queued) => {
      if (slot.conn !== conn) return;
      this.log.warn({ queued }, 'peer does not read what we send: write queue limit reached');
      // RFC 4486 Cease 6/8 Out of Resources; the session comes back after the backoff.
      slot.fsm.handle({
        type: 'stop',
        notification: { code: ERR_CEASE, subcode: CEASE_OUT_OF_RESOURCES },
        restart: true,
        reason: 'write-queue-overflow',
        detail: `${queued} bytes queued, the peer does not read`,
      });
    });
    conn.on('close', (detail) => {
      if (slot.conn !== conn) return;
      slot.conn = null;
      slot.fsm.handle({ type: 'tcp-failed', detail });
    });
  }

  /**
   * RFC 7606 repairs are logged, but a peer sending a whole table of flawed
   * UPDATEs must not flood the journal: REPAIR_LOG_MAX lines per window,
   * then one line with the count of those not logged.
   */
  private logRepaired(problems: unknown[]): void {
    const w = this.repairLog;
    const now = this.o.clock.now();
    if (now - w.since >= REPAIR_LOG_WINDOW_MS) {
      if (w.suppressed > 0) this.log.warn({ notLogged: w.suppressed, windowMs: REPAIR_LOG_WINDOW_MS }, 'more updates repaired (RFC 7606), not logged one by one');
      w.since = now;
      w.logged = 0;
      w.suppressed = 0;
    }
    if (w.logged < REPAIR_LOG_MAX) {
      w.logged++;
      this.log.warn({ problems }, 'update repaired (RFC 7606)');
    } else {
      w.suppressed++;
    }
  }

  private onAction(slot: Slot, a: FsmAction): void {
    try {
      this.act(slot, a);
    } catch (err) {
      // A bug or an unencodable message must never take the daemon (and every other peer) down.
      this.log.error({ err: (err as Error).message, stack: (err as Error).stack, action: a.type }, 'internal error handling a BGP action');
    }
  }

  private act(slot: Slot, a: FsmAction): void {
    switch (a.type) {
      case 'connect':
        this.connect(slot);
        return;
      case 'send':
        if (a.message.type === 'notification') {
          this.log.warn(
            { code: a.message.code, subcode: a.message.subcode, notification: notificationText(a.message.code, a.message.subcode, a.message.data) },
            'notification sent',
          );
        }
        slot.conn?.send(a.message);
        return;
      case 'drop': {
        this.abortPending(slot);
        const c = slot.conn;
        slot.conn = null;
        if (c) {
          const gone = c.whenSocketClosed();
          this.closing?.push(gone);
          c.close(a.flush);
          if (a.flush) {
            this.lingering.add(c);
            void gone.then(() => this.lingering.delete(c));
          }
        }
        return;
      }
      case 'negotiated':
        slot.conn?.setCodecOptions(a.session.codec);
        return;
      case 'timer':
        return;
      case 'state':
        this.onState(slot, a.from, a.to, a.reason);
        return;
      case 'up':
        if (slot !== this.primary) this.promote(slot);
        if (this.secondary && this.secondary.fsm.state !== 'Idle') this.secondary.fsm.handle({ type: 'collision-dump' });
        this.stableTimer?.cancel();
        this.stableTimer = this.o.clock.setTimer(this.o.stableMs ?? (this.o.connectRetry ?? DEFAULT_CONNECT_RETRY).max, () => {
          this.stableTimer = null;
          this.backoff.reset();
        });
        this.log.info(
          { holdTime: a.session.holdTime, remoteId: a.session.remoteId, local: slot.conn?.localAddress, families: [...a.session.families] },
          'peer up',
        );
        this.emit('up', a.session);
        return;
      case 'down':
        if (slot !== this.primary) return;
        this.stableTimer?.cancel();
        this.stableTimer = null;
        this.log.warn({ reason: a.reason.code, detail: describeReason(a.reason) }, `peer down: ${describeReason(a.reason)}`);
        this.emit('down', a.reason);
        return;
      case 'deliver':
        if (slot !== this.primary) return;
        if (a.message.type === 'update') this.emit('update', a.message);
        else this.emit('route-refresh', a.message);
        return;
    }
  }

  private onState(slot: Slot, from: BgpState, to: BgpState, reason: FsmReason): void {
    if (slot !== this.primary) {
      this.log.debug({ from, to, reason: reason.code, secondary: true }, 'state');
      if (to === 'Idle' && slot === this.secondary) {
        slot.fsm.dispose();
        this.secondary = null;
      }
      return;
    }
    this.since = this.o.clock.now();
    this.last = reason;
    if (reason.notification || reason.code === 'tcp-failed' || reason.code.endsWith('expired') || reason.code === 'fsm-error') {
      this.lastError = reason;
    }
    this.log.debug({ from, to, reason: reason.code, detail: reason.detail }, 'state');
    if (to === 'Idle' && from !== 'Established' && reason.code !== 'admin-stop' && from !== 'Idle') {
      this.log.info({ from, reason: reason.code, detail: describeReason(reason) }, 'connection attempt failed');
    }
    // The primary went Idle while the peer's own connection is alive: carry on with that one.
    if (to === 'Idle' && this.secondary && this.secondary.fsm.state !== 'Idle' && reason.code !== 'admin-stop') {
      const s = this.secondary;
      this.promote(s);
      this.secondary = null;
      slot.fsm.dispose();
      this.emit('state', { state: s.fsm.state, previous: from, reason });
      return;
    }
    this.emit('state', { state: to, previous: from, reason });
  }

  private connect(slot: Slot): void {
    this.abortPending(slot);
    const sock = connectTcp({
      host: this.o.address,
      port: this.o.port ?? BGP_PORT,
      ...(this.o.localAddress ? { localAddress: this.o.localAddress } : {}),
    });
    slot.pending = sock;
    sock.once('connect', () => {
      if (slot.pending !== sock) {
        sock.destroy();
        return;
      }
      slot.pending = null;
      sock.removeAllListeners('error');
      this.bind(slot, new BgpConnection(sock, 'outgoing', this.o.clock, this.o.maxWriteQueueBytes));
    });
    sock.once('error', (err) => {
      if (slot.pending !== sock) return;
      slot.pending = null;
      sock.destroy();
      slot.fsm.handle({ type: 'tcp-failed', detail: err.message });
    });
  }
}

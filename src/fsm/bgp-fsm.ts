/**
 * The BGP session FSM of RFC 4271 section 8, for one TCP connection at a
 * time. Pure: events in (handle), actions out (onAction), time from the
 * injected Clock. It never touches a socket; src/io/bgp-session.ts binds it
 * to one.
 *
 * Style after GoBGP pkg/server/fsm.go: one handler per state, each returns the
 * next state and a typed reason; the transition is applied in one place.
 *
 * Deviations from the letter of RFC 4271 8.2.2, on purpose:
 * - After any error we go to Idle and restart automatically after an
 *   IdleHoldTimer (8.1.1 DampPeerOscillations) whose value is the capped,
 *   jittered exponential backoff of the peer (src/fsm/bgp-backoff.ts).
 * - The optional DelayOpen timer is not implemented.
 * - Collision detection in Established (CollisionDetectEstablishedState) is
 *   off: RFC 4271 6.8, a new connection collides with an Established one is
 *   closed by the I/O layer before it reaches an FSM.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { BgpMessage, NotificationMessage, OpenMessage } from '../bgp/types.js';
import type {
  BgpState,
  DecodeFailure,
  FsmAction,
  FsmEvent,
  FsmReason,
  NegotiatedSession,
  NotificationSpec,
  TimerName,
} from './bgp-fsm-types.js';
import {
  ERR_CEASE,
  ERR_FSM,
  ERR_HOLD_TIMER,
  ERR_SEND_HOLD_TIMER,
  CEASE_ADMIN_SHUTDOWN,
  CEASE_COLLISION,
  CEASE_OUT_OF_RESOURCES,
} from './bgp-codes.js';

export interface BgpFsmOptions {
  clock: Clock;
  /** The OPEN we send; its holdTime is our proposed hold time. */
  localOpen: OpenMessage;
  /** Never initiate a connection: Start goes to Active and waits (RFC 4271 8.1.1 PassiveTcpEstablishment). */
  passive?: boolean;
  /** ConnectRetryTime while an outgoing connect is pending (RFC 4271 10), ms. */
  connectRetryMs?: number;
  /**
   * Hold timer from our OPEN until the peer's OPEN arrives (OpenSent), ms.
   * Default DEFAULT_OPEN_HOLD_MS; see there why it is not RFC 4271's 4 minutes.
   */
  openHoldMs?: number;
  /** RFC 9687 SendHoldTime override, ms. Default: max(8 minutes, 2 x negotiated hold time). */
  sendHoldMs?: number;
  /** Delay before the next automatic start after a failure (backoff), ms; `reason` is why the session went Idle. */
  retryDelay: (reason: FsmReason) => number;
  /** Restart automatically after an error (AutomaticStart). A one-shot FSM for an incoming colliding connection has false. */
  autoRestart?: boolean;
  /** OPEN validation (RFC 4271 6.2): a failure names the NOTIFICATION 2/x to send. */
  validateOpen: (open: OpenMessage) => DecodeFailure | null;
  /** Capability and hold time negotiation after a valid OPEN. */
  negotiate: (local: OpenMessage, remote: OpenMessage) => NegotiatedSession;
  /** RFC 4271 6.8: asked on OPEN receipt; true means this connection loses the collision and is dumped. */
  collision?: (remote: OpenMessage) => boolean;
  onAction: (a: FsmAction) => void;
}

interface Transition {
  next: BgpState;
  reason?: FsmReason;
}

/** RFC 4271 8.2.2 OpenSent: "set the HoldTimer to a large value ... A HoldTimer value of 4 minutes is suggested." */
export const OPEN_HOLD_MS = 240_000;
/**
 * Our default OpenSent hold time: 30 s, not the RFC's suggested 4 minutes
 * (a suggestion, not a requirement). A peer that accepts TCP and sends no
 * OPEN would otherwise keep the session from retrying for 4 minutes. Every
 * speaker we peer with answers our OPEN at once (even with DelayOpen, which
 * ends when our OPEN arrives), so 30 s only ever cuts short a broken peer.
 * Configurable per peer (`openHoldMs`) for a peer that needs longer.
 */
export const DEFAULT_OPEN_HOLD_MS = 30_000;
/** Our default ConnectRetryTime while a connect is pending. RFC 4271 suggests 120 s; a failover speaker wants less. */
export const DEFAULT_CONNECT_RETRY_MS = 10_000;
/** RFC 9687 section 4: SendHoldTime RECOMMENDED the greater of 8 minutes or 2 x HoldTime. */
export const MIN_SEND_HOLD_MS = 480_000;

export class BgpFsm {
  private st: BgpState = 'Idle';
  private readonly timers = new Map<TimerName, TimerHandle>();
  private started = false;
  private queue: FsmEvent[] = [];
  private busy = false;
  private negotiated: NegotiatedSession | null = null;
  private writePending = false;
  autoRestart: boolean;

  constructor(private readonly o: BgpFsmOptions) {
    this.autoRestart = o.autoRestart ?? true;
  }

  get state(): BgpState {
    return this.st;
  }

  get session(): NegotiatedSession | null {
    return this.negotiated;
  }

  /** True once started and not administratively stopped. */
  get running(): boolean {
    return this.started;
  }

  isTimerRunning(name: TimerName): boolean {
    return this.timers.has(name);
  }

  /** Feed one event. Re-entrant calls (from inside onAction) are queued and run in order. */
  handle(ev: FsmEvent): void {
    this.queue.push(ev);
    if (this.busy) return;
    this.busy = true;
    try {
      // Bounded: actions can only enqueue a few events each; a million means a bug, not load.
      for (let guard = 0; guard < 1_000_000 && this.queue.length > 0; guard++) {
        const next = this.queue.shift()!;
        try {
          this.dispatch(next);
        } catch (err) {
          // A bug (or a hook such as validateOpen throwing on input nobody foresaw) must
          // end this session cleanly, never escape into a socket callback and crash the process.
          this.internalError(next, err);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Cancel every timer and forget the session without emitting anything (owner is discarding this FSM). */
  dispose(): void {
    this.started = false;
    this.autoRestart = false;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.queue = [];
  }

  /* ------------------------------------------------------------ dispatch */

  private dispatch(ev: FsmEvent): void {
    // Events common to every state first.
    if (ev.type === 'write-state') {
      this.onWriteState(ev.pending, ev.progress);
      return;
    }
    if (ev.type === 'updates-sent') {
      // RFC 4271 8.2.2 Established: "Each time the local system sends a KEEPALIVE or UPDATE
      // message, it restarts its KeepaliveTimer, unless the negotiated HoldTime value is zero."
      if (this.st === 'Established' && this.timers.has('keepalive')) this.startKeepalive();
      return;
    }
    const from = this.st;
    let t: Transition;
    switch (from) {
      case 'Idle': t = this.idle(ev); break;
      case 'Connect': t = this.connect(ev); break;
      case 'Active': t = this.active(ev); break;
      case 'OpenSent': t = this.openSent(ev); break;
      case 'OpenConfirm': t = this.openConfirm(ev); break;
      case 'Established': t = this.established(ev); break;
    }
    this.transition(from, t);
  }

  private transition(from: BgpState, t: Transition): void {
    if (t.next === from) return;
    this.st = t.next;
    const reason = t.reason ?? { code: 'start' };
    if (from === 'Established') {
      this.negotiated = null;
      this.emit({ type: 'down', reason });
    }
    this.emit({ type: 'state', from, to: t.next, reason });
    if (t.next === 'Idle') this.enterIdle(reason);
    if (t.next === 'Established' && this.negotiated) this.emit({ type: 'up', session: this.negotiated });
  }

  /**
   * An exception while handling `ev`: send Cease 6/8 (Out of Resources, RFC
   * 4486: the nearest code for "this speaker cannot go on with this session"),
   * drop, go Idle and retry after the backoff like after any error.
   */
  private internalError(ev: FsmEvent, err: unknown): void {
    const detail = `internal error handling ${ev.type}: ${err instanceof Error ? err.message : String(err)}`;
    const from = this.st;
    try {
      if (from === 'Idle') {
        // Make sure a started session still has its restart scheduled.
        if (this.started && this.autoRestart && !this.timers.has('idle-hold')) this.enterIdle({ code: 'internal-error', detail });
        return;
      }
      const connected = from === 'OpenSent' || from === 'OpenConfirm' || from === 'Established';
      let t: Transition;
      if (connected) {
        t = this.fail({ code: ERR_CEASE, subcode: CEASE_OUT_OF_RESOURCES }, 'internal-error', detail);
      } else {
        this.emit({ type: 'drop', flush: false });
        t = { next: 'Idle', reason: { code: 'internal-error', detail } };
      }
      this.transition(from, t);
    } catch {
      // The owner's action handler threw again: force Idle without telling it more.
      if (this.st !== 'Idle') {
        this.st = 'Idle';
        this.enterIdle({ code: 'internal-error', detail });
      }
    }
  }

  /** Everything released (RFC 4271 "releases all BGP resources"); schedule the automatic restart. */
  private enterIdle(reason: FsmReason): void {
    for (const name of [...this.timers.keys()]) this.stopTimer(name);
    this.negotiated = null;
    this.writePending = false;
    if (this.started && this.autoRestart) {
      // RFC 4271 8.1.1 DampPeerOscillations: IdleHoldTimer before AutomaticStart.
      this.startTimer('idle-hold', this.o.retryDelay(reason), () => this.handle({ type: 'start' }));
    } else {
      this.started = false;
    }
  }

  /* -------------------------------------------------------------- states */

  /** RFC 4271 8.2.2 Idle state. */
  private idle(ev: FsmEvent): Transition {
    switch (ev.type) {
      case 'start':
        this.started = true;
        this.stopTimer('idle-hold');
        if (this.o.passive) {
          // Event 4/5: passive, listen and wait in Active; never initiate.
          return { next: 'Active', reason: { code: 'start' } };
        }
        this.startTimer('connect-retry', this.o.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS, () =>
          this.timerEvent('connect-retry'));
        this.emit({ type: 'connect' });
        return { next: 'Connect', reason: { code: 'start' } };
      case 'stop':
        // Event 2 in Idle is ignored, but an administrative stop cancels the pending restart.
        if (ev.restart) return { next: 'Idle' };
        this.started = false;
        this.stopTimer('idle-hold');
        return { next: 'Idle' };
      case 'tcp-connected':
        // No connection is wanted in Idle: refuse it.
        this.emit({ type: 'drop', flush: false });
        return { next: 'Idle' };
      default:
        // RFC 4271 8.2.2: other events in Idle do not change the state.
        return { next: 'Idle' };
    }
  }

  /** RFC 4271 8.2.2 Connect state. */
  private connect(ev: FsmEvent): Transition {
    return this.unconnectedState(ev, {
      timer: (timer) => {
        if (timer !== 'connect-retry') return { next: 'Connect' };
        // RFC 4271 8.2.2 Connect, Event 9: drop the attempt and retry. We retry through
        // Idle so that the backoff of the IdleHoldTimer spaces the attempts out.
        this.emit({ type: 'drop', flush: false });
        return { next: 'Idle', reason: { code: 'connect-retry-expired' } };
      },
      tcpFailed: (reason) => {
        this.emit({ type: 'drop', flush: false });
        return { next: 'Idle', reason };
      },
    });
  }

  /** RFC 4271 8.2.2 Active state. */
  private active(ev: FsmEvent): Transition {
    return this.unconnectedState(ev, {
      timer: () => ({ next: 'Active' }),
      tcpFailed: (reason) => ({ next: 'Idle', reason }),
    });
  }

  /**
   * The events Connect and Active handle alike (RFC 4271 8.2.2): start is
   * ignored, stop needs no NOTIFICATION (no session yet), a connection up
   * sends our OPEN, and a message, codec error or collision dump (Events 8,
   * 10-11, 13, 19, 23, 25-28) drops and goes Idle. Each state passes what it
   * does with a timer and with a failed connection.
   */
  private unconnectedState(
    ev: FsmEvent,
    state: {
      timer: (timer: TimerName) => Transition;
      tcpFailed: (reason: FsmReason) => Transition;
    },
  ): Transition {
    switch (ev.type) {
      case 'start':
        return { next: this.st };
      case 'stop':
        return this.adminStop(ev, false);
      case 'tcp-connected':
        return this.sendOpen(ev.localAddress);
      case 'timer-expired':
        return state.timer(ev.timer);
      case 'tcp-failed':
        return state.tcpFailed({ code: 'tcp-failed', ...(ev.detail ? { detail: ev.detail } : {}) });
      case 'message':
      case 'decode-error':
      case 'collision-dump':
        // No connection yet to send a NOTIFICATION on: drop, Idle.
        this.emit({ type: 'drop', flush: false });
        return { next: 'Idle', reason: { code: 'fsm-error', detail: `${ev.type} in ${this.st}` } };
      default:
        return { next: this.st };
    }
  }

  /** RFC 4271 8.2.2 OpenSent state. */
  private openSent(ev: FsmEvent): Transition {
    return this.connectedState(ev, {
      message: (m) => {
        if (m.type === 'open') return this.receiveOpen(m);
        // RFC 6608: Receive Unexpected Message in OpenSent State (5/1).
        return this.fail({ code: ERR_FSM, subcode: 1 }, 'fsm-error', `${m.type} in OpenSent`);
      },
    });
  }

  /** RFC 4271 8.2.2 OpenConfirm state. */
  private openConfirm(ev: FsmEvent): Transition {
    return this.connectedState(ev, {
      message: (m) => {
        if (m.type === 'keepalive') {
          // Event 26: restart the HoldTimer, go Established.
          this.restartHold();
          return { next: 'Established', reason: { code: 'keepalive-received' } };
        }
        // RFC 6608: Receive Unexpected Message in OpenConfirm State (5/2).
        return this.fail({ code: ERR_FSM, subcode: 2 }, 'fsm-error', `${m.type} in OpenConfirm`);
      },
    });
  }

  /** RFC 4271 8.2.2 Established state. */
  private established(ev: FsmEvent): Transition {
    return this.connectedState(ev, {
      message: (m) => {
        switch (m.type) {
          case 'keepalive':
            this.restartHold();
            return { next: 'Established' };
          case 'update':
          case 'route-refresh':
            this.restartHold();
            this.emit({ type: 'deliver', message: m });
            return { next: 'Established' };
          case 'open':
            // RFC 6608: Receive Unexpected Message in Established State (5/3).
            return this.fail({ code: ERR_FSM, subcode: 3 }, 'fsm-error', 'open in Established');
        }
        return { next: 'Established' };
      },
      // CollisionDetectEstablishedState is off: Event 23 is ignored in Established.
      collisionDump: () => ({ next: 'Established' }),
    });
  }

  /**
   * The events OpenSent, OpenConfirm and Established handle alike (RFC 4271
   * 8.2.2): start is ignored, stop sends a NOTIFICATION, timers go through
   * connectedTimer, a lost connection or a codec error ends the session, a
   * NOTIFICATION received is handled the same. Each state passes only what
   * it does differently: the other messages and, for Established, Event 23.
   */
  private connectedState(
    ev: FsmEvent,
    state: {
      message: (m: Exclude<BgpMessage, NotificationMessage>) => Transition;
      collisionDump?: () => Transition;
    },
  ): Transition {
    switch (ev.type) {
      case 'start':
        return { next: this.st };
      case 'stop':
        return this.adminStop(ev, true);
      case 'timer-expired':
        return this.connectedTimer(ev.timer);
      case 'tcp-failed':
        // RFC 4271: "closes the BGP connection, restarts the ConnectRetryTimer ... changes its state to Active".
        // We go through Idle instead so that the backoff (IdleHoldTimer) applies to every retry path.
        this.emit({ type: 'drop', flush: false });
        return { next: 'Idle', reason: { code: 'tcp-failed', ...(ev.detail ? { detail: ev.detail } : {}) } };
      case 'message':
        if (ev.message.type === 'notification') return this.notificationReceived(ev.message);
        return state.message(ev.message);
      case 'decode-error':
        return this.fail(ev.error, 'decode-error', ev.error.message);
      case 'collision-dump':
        if (state.collisionDump) return state.collisionDump();
        return this.fail({ code: ERR_CEASE, subcode: CEASE_COLLISION }, 'collision');
      default:
        return { next: this.st };
    }
  }

  /* ------------------------------------------------------------- helpers */

  /** Timer expiry in OpenSent, OpenConfirm and Established. */
  private connectedTimer(timer: TimerName): Transition {
    switch (timer) {
      case 'hold':
        // RFC 4271 8.2.2 Event 10: NOTIFICATION Hold Timer Expired (4/0), drop, Idle.
        return this.fail({ code: ERR_HOLD_TIMER, subcode: 0 }, 'hold-timer-expired');
      case 'send-hold':
        // RFC 9687 section 4: MAY send NOTIFICATION 8/0, then drop at once: the peer is not reading.
        return this.fail({ code: ERR_SEND_HOLD_TIMER, subcode: 0 }, 'send-hold-timer-expired', undefined, false);
      case 'keepalive':
        // RFC 4271 8.2.2 Event 11: send KEEPALIVE, restart the KeepaliveTimer.
        if (this.st !== 'OpenSent') {
          this.emit({ type: 'send', message: { type: 'keepalive' } });
          this.startKeepalive();
        }
        return { next: this.st };
      default:
        return { next: this.st };
    }
  }

  private sendOpen(localAddress: string | undefined): Transition {
    this.stopTimer('connect-retry');
    this.emit({ type: 'send', message: this.o.localOpen });
    // RFC 4271 8.2.2: "sets the HoldTimer to a large value".
    this.startTimer('hold', this.o.openHoldMs ?? DEFAULT_OPEN_HOLD_MS, () => this.timerEvent('hold'));
    return { next: 'OpenSent', reason: { code: 'tcp-connected', ...(localAddress ? { detail: `local ${localAddress}` } : {}) } };
  }

  private receiveOpen(open: OpenMessage): Transition {
    const bad = this.o.validateOpen(open);
    if (bad) return this.fail(bad, 'open-invalid', bad.message);
    // RFC 4271 6.8 / 8.2.2: run collision detection when an OPEN arrives.
    if (this.o.collision?.(open)) {
      return this.fail({ code: ERR_CEASE, subcode: CEASE_COLLISION }, 'collision', `remote id ${open.bgpId}`);
    }
    const s = this.o.negotiate(this.o.localOpen, open);
    this.negotiated = s;
    this.emit({ type: 'negotiated', session: s });
    this.emit({ type: 'send', message: { type: 'keepalive' } });
    if (s.holdTime > 0) {
      // RFC 4271 8.2.2: "sets the HoldTimer according to the negotiated value", keepalive timer too.
      this.startTimer('hold', s.holdTime * 1000, () => this.timerEvent('hold'));
      this.startKeepalive();
    } else {
      // RFC 4271 4.4: hold time zero, no periodic KEEPALIVE and no hold timer.
      this.stopTimer('hold');
      this.stopTimer('keepalive');
    }
    if (this.timers.has('send-hold')) this.startSendHold();
    return { next: 'OpenConfirm', reason: { code: 'open-received', detail: `remote id ${open.bgpId}` } };
  }

  private notificationReceived(n: NotificationMessage): Transition {
    // RFC 4271 8.2.2: on NotifMsg drop the connection and go Idle; nothing is sent back (RFC 4271 6.1).
    this.emit({ type: 'drop', flush: false });
    return {
      next: 'Idle',
      reason: { code: 'notification-received', notification: { code: n.code, subcode: n.subcode, data: n.data, direction: 'received' } },
    };
  }

  private adminStop(ev: Extract<FsmEvent, { type: 'stop' }>, connected: boolean): Transition {
    if (!ev.restart) this.started = false;
    const n: NotificationSpec = ev.notification ?? { code: ERR_CEASE, subcode: CEASE_ADMIN_SHUTDOWN };
    if (connected) this.emit({ type: 'send', message: notification(n) });
    this.emit({ type: 'drop', flush: connected });
    return {
      next: 'Idle',
      reason: {
        code: ev.reason ?? (ev.restart ? 'admin-reset' : 'admin-stop'),
        ...(ev.detail ? { detail: ev.detail } : {}),
        ...(connected ? { notification: { ...n, direction: 'sent' as const } } : {}),
      },
    };
  }

  /** Send a NOTIFICATION, drop, go Idle. */
  private fail(n: NotificationSpec, code: FsmReason['code'], detail?: string, flush = true): Transition {
    this.emit({ type: 'send', message: notification(n) });
    this.emit({ type: 'drop', flush });
    return { next: 'Idle', reason: { code, ...(detail ? { detail } : {}), notification: { ...n, direction: 'sent' } } };
  }

  private timerEvent(name: TimerName): void {
    this.timers.delete(name);
    this.handle({ type: 'timer-expired', timer: name });
  }

  private restartHold(): void {
    const s = this.negotiated;
    if (s && s.holdTime > 0) this.startTimer('hold', s.holdTime * 1000, () => this.timerEvent('hold'));
  }

  private startKeepalive(): void {
    const s = this.negotiated;
    if (!s || s.keepaliveTime <= 0) return;
    this.startTimer('keepalive', s.keepaliveTime * 1000, () => this.timerEvent('keepalive'));
  }

  private sendHoldMs(): number {
    if (this.o.sendHoldMs !== undefined) return this.o.sendHoldMs;
    const hold = this.negotiated?.holdTime ?? 0;
    return Math.max(MIN_SEND_HOLD_MS, 2 * hold * 1000);
  }

  private startSendHold(): void {
    this.startTimer('send-hold', this.sendHoldMs(), () => this.timerEvent('send-hold'));
  }

  /**
   * RFC 9687 section 3: the SendHoldTimer runs while we have data the peer
   * does not take; every bit of progress restarts it; an empty queue stops it.
   */
  private onWriteState(pending: boolean, progress: boolean): void {
    if (this.st !== 'OpenSent' && this.st !== 'OpenConfirm' && this.st !== 'Established') return;
    this.writePending = pending;
    if (!pending) {
      this.stopTimer('send-hold');
      return;
    }
    if (progress || !this.timers.has('send-hold')) this.startSendHold();
  }

  private startTimer(name: TimerName, ms: number, fn: () => void): void {
    this.timers.get(name)?.cancel();
    this.timers.set(name, this.o.clock.setTimer(ms, fn));
    this.emit({ type: 'timer', timer: name, ms });
  }

  private stopTimer(name: TimerName): void {
    const t = this.timers.get(name);
    if (!t) return;
    t.cancel();
    this.timers.delete(name);
    this.emit({ type: 'timer', timer: name, ms: null });
  }

  private emit(a: FsmAction): void {
    this.o.onAction(a);
  }
}

function notification(n: NotificationSpec): NotificationMessage {
  return { type: 'notification', code: n.code, subcode: n.subcode, data: n.data ?? new Uint8Array(0) };
}

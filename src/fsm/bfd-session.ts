/**
 * One BFD session, RFC 5880 section 6 (Asynchronous mode; Echo and Demand modes are not
 * implemented). Pure: packets in (already decoded and demultiplexed), encoded packets out
 * through a callback, time from an injected Clock, randomness from an injected source.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import {
  BfdAuthType,
  BfdDiag,
  BfdState,
  diagName,
  emptyDiscardCounters,
  stateName,
  type BfdStateName,
  type DiscardCounters,
  type DiscardReason,
} from '../bfd/constants.js';
import { encodeControlPacket, type BfdControlPacket } from '../bfd/packet.js';
import { verifyAuth, type BfdAuthKey } from '../bfd/auth.js';
import {
  detectionTimeUs,
  effectiveDesiredMinTxUs,
  jitteredIntervalMs,
  msToUs,
  negotiatedTxUs,
  usToMs,
} from '../bfd/timing.js';

export interface BfdSessionParams {
  /** bfd.DesiredMinTxInterval as configured (ms); at least 1 s is used while not Up. */
  minTxMs: number;
  /** bfd.RequiredMinRxInterval (ms). */
  minRxMs: number;
  /** bfd.DetectMult. */
  multiplier: number;
}

export interface BfdSessionConfig extends BfdSessionParams {
  /** bfd.LocalDiscr: nonzero, unique on this system (the demultiplexer allocates it). */
  localDiscr: number;
  /** RFC 5880 6.1: the Passive role does not transmit until it has heard from the peer. */
  passive: boolean;
  auth?: BfdAuthKey;
}

export interface BfdStateEvent {
  state: BfdStateName;
  previous: BfdStateName;
  /** Local diagnostic after the change (RFC 5880 4.1). */
  diag: number;
  diagName: string;
  /** True when the session left Up with this change. */
  wasUp: boolean;
  remoteState: BfdStateName;
  /** Diagnostic last received from the peer. */
  remoteDiag: number;
}

export interface BfdSessionDeps {
  clock: Clock;
  /** Uniform [0,1) for transmit jitter. */
  random: () => number;
  /** Uniform 32-bit integer for the initial bfd.XmitAuthSeq (RFC 5880 6.8.1). */
  randomU32?: () => number;
  send(bytes: Uint8Array, info: { poll: boolean; final: boolean; state: BfdStateName }): void;
  onStateChange(ev: BfdStateEvent): void;
}

export interface BfdSessionSnapshot {
  state: BfdStateName;
  remoteState: BfdStateName;
  diag: number;
  diagName: string;
  remoteDiag: number;
  localDiscr: number;
  remoteDiscr: number;
  /** Configured values. */
  minTxMs: number;
  minRxMs: number;
  multiplier: number;
  /** What we advertise now (ms): at least 1 s while not Up. */
  advertisedMinTxMs: number;
  remoteMinRxMs: number;
  remoteMinTxMs: number;
  remoteMultiplier: number;
  /** Interval actually used to transmit, before jitter (ms); 0 when not transmitting. */
  negotiatedTxMs: number;
  /** Detection time (ms); 0 while nothing has been received. */
  detectTimeMs: number;
  polling: boolean;
  passive: boolean;
  authType: number;
  everUp: boolean;
  lastStateChangeAt: number;
  counters: {
    txPackets: number;
    rxPackets: number;
    upTransitions: number;
    downTransitions: number;
    pollSequences: number;
    discards: DiscardCounters;
  };
}

export type ReceiveVerdict = { accepted: true } | { accepted: false; reason: DiscardReason };

export class BfdSession {
  // RFC 5880 6.8.1 state variables.
  private sessionState: number = BfdState.Down;
  private remoteSessionState: number = BfdState.Down;
  private readonly localDiscr: number;
  private remoteDiscr = 0;
  private localDiag: number = BfdDiag.None;
  private remoteDiag = 0;
  /** Configured values (µs). */
  private cfgMinTxUs: number;
  private cfgMinRxUs: number;
  private detectMult: number;
  /** bfd.DesiredMinTxInterval as advertised (µs). */
  private desiredMinTxUs: number;
  /** The value the transmit interval is computed from: lags an increase until the Poll completes (6.8.3). */
  private txInUseUs: number;
  /** bfd.RequiredMinRxInterval as advertised (µs). */
  private requiredMinRxUs: number;
  /** The value detection time is computed from: lags a decrease until the Poll completes (6.8.3). */
  private rxInUseUs: number;
  /** bfd.RemoteMinRxInterval: RFC 5880 6.8.1 initial value 1 µs. */
  private remoteMinRxUs = 1;
  private remoteDesiredMinTxUs = 0;
  private remoteDetectMult = 0;
  private readonly passive: boolean;
  private readonly auth: BfdAuthKey | undefined;
  private rcvAuthSeq = 0;
  private authSeqKnown = false;
  private xmitAuthSeq: number;

  private polling = false;
  private everUp = false;
  private started = false;
  private lastTxAt = -Infinity;
  private lastRxAt = -Infinity;
  private lastStateChangeAt: number;
  private txTimer: TimerHandle | undefined;
  private detectTimer: TimerHandle | undefined;
  private readonly counters = {
    txPackets: 0,
    rxPackets: 0,
    upTransitions: 0,
    downTransitions: 0,
    pollSequences: 0,
    discards: emptyDiscardCounters(),
  };

  constructor(
    cfg: BfdSessionConfig,
    private readonly deps: BfdSessionDeps,
  ) {
    if (!Number.isInteger(cfg.localDiscr) || cfg.localDiscr <= 0 || cfg.localDiscr > 0xffffffff) {
      throw new RangeError('BFD: local discriminator must be a nonzero 32-bit value (RFC 5880 6.8.1)');
    }
    checkParams(cfg);
    this.localDiscr = cfg.localDiscr;
    this.cfgMinTxUs = msToUs(cfg.minTxMs);
    this.cfgMinRxUs = msToUs(cfg.minRxMs);
    this.detectMult = cfg.multiplier;
    this.desiredMinTxUs = effectiveDesiredMinTxUs(this.cfgMinTxUs, false);
    this.txInUseUs = this.desiredMinTxUs;
    this.requiredMinRxUs = this.cfgMinRxUs;
    this.rxInUseUs = this.cfgMinRxUs;
    this.passive = cfg.passive;
    this.auth = cfg.auth;
    // RFC 5880 6.8.1: bfd.XmitAuthSeq MUST be initialized to a random 32-bit value.
    this.xmitAuthSeq = (deps.randomU32 ?? (() => Math.floor(deps.random() * 0x100000000)))() >>> 0;
    this.lastStateChangeAt = deps.clock.now();
  }

  get state(): BfdStateName {
    return stateName(this.sessionState);
  }
  get discriminator(): number {
    return this.localDiscr;
  }

  /** Begin operation in Down (RFC 5880 6.8.1 initial state). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.scheduleTx(true);
  }

  /** Cancel every timer; the session sends nothing more. */
  stop(): void {
    this.started = false;
    this.txTimer?.cancel();
    this.txTimer = undefined;
    this.detectTimer?.cancel();
    this.detectTimer = undefined;
  }

  /** A discard decided outside the session (transport, demultiplexer) but attributable to it. */
  countDiscard(reason: DiscardReason): void {
    this.counters.discards[reason]++;
  }

  /**
   * RFC 5880 6.8.16: administrative control. The session goes AdminDown with diagnostic 7
   * (Administratively Down), keeps transmitting so the peer learns it is not a failure, and
   * ignores what it receives.
   */
  adminDown(): void {
    if (this.sessionState === BfdState.AdminDown) return;
    this.detectTimer?.cancel();
    this.detectTimer = undefined;
    this.setState(BfdState.AdminDown, BfdDiag.AdministrativelyDown);
    this.sendNow(false);
  }

  /** RFC 5880 6.8.16: leaving AdminDown goes to Down. */
  adminUp(): void {
    if (this.sessionState !== BfdState.AdminDown) return;
    this.setState(BfdState.Down, BfdDiag.None);
  }

  /**
   * Live change of the timers. RFC 5880 6.8.3: a change of bfd.DesiredMinTxInterval or
   * bfd.RequiredMinRxInterval starts a Poll Sequence; an increase of the transmit interval
   * and a decrease of the receive interval take effect only when it completes.
   */
  update(p: BfdSessionParams): void {
    checkParams(p);
    this.cfgMinTxUs = msToUs(p.minTxMs);
    this.cfgMinRxUs = msToUs(p.minRxMs);
    this.detectMult = p.multiplier;
    this.applyIntervals();
  }

  /**
   * A packet already decoded (checks 1-6 of RFC 5880 6.8.6) and demultiplexed to this session
   * (checks 7-9). Runs the remaining checks and the state machine of 6.8.6.
   */
  receive(pkt: BfdControlPacket, bytes: Uint8Array): ReceiveVerdict {
    const v = this.check(pkt, bytes);
    if (!v.accepted) {
      this.counters.discards[v.reason]++;
      return v;
    }
    this.counters.rxPackets++;
    const now = this.deps.clock.now();
    this.lastRxAt = now;
    // RFC 5880 6.8.6: record what the peer said.
    this.remoteDiscr = pkt.myDiscr;
    this.remoteSessionState = pkt.state;
    this.remoteDiag = pkt.diag;
    const oldRemoteMinRx = this.remoteMinRxUs;
    this.remoteMinRxUs = pkt.requiredMinRxUs;
    this.remoteDesiredMinTxUs = pkt.desiredMinTxUs;
    this.remoteDetectMult = pkt.detectMult;
    // RFC 5880 6.8.6: "If the Final (F) bit is set and a Poll Sequence is in progress, the Poll
    // Sequence MUST be terminated." Deferred values take effect now (6.8.3).
    if (pkt.final && this.polling) {
      this.polling = false;
      this.txInUseUs = this.desiredMinTxUs;
      this.rxInUseUs = this.requiredMinRxUs;
    }
    // RFC 5880 6.8.6: "If bfd.SessionState is AdminDown: Discard the packet".
    if (this.sessionState === BfdState.AdminDown) {
      this.counters.rxPackets--;
      this.counters.discards['admin-down']++;
      return { accepted: false, reason: 'admin-down' };
    }
    // RFC 5880 6.8.6 state transitions (section 6.2 diagram).
    const rs = pkt.state;
    if (rs === BfdState.AdminDown) {
      if (this.sessionState !== BfdState.Down) this.setState(BfdState.Down, BfdDiag.NeighborSignaledSessionDown);
    } else if (this.sessionState === BfdState.Down) {
      if (rs === BfdState.Down) this.setState(BfdState.Init, this.localDiag);
      else if (rs === BfdState.Init) this.setState(BfdState.Up, BfdDiag.None);
    } else if (this.sessionState === BfdState.Init) {
      if (rs === BfdState.Init || rs === BfdState.Up) this.setState(BfdState.Up, BfdDiag.None);
    } else if (rs === BfdState.Down) {
      // Up, peer says Down.
      this.setState(BfdState.Down, BfdDiag.NeighborSignaledSessionDown);
    }
    // The detection timer restarts on every accepted packet (6.8.4).
    this.armDetection();
    // RFC 5880 6.8.6: "If the Poll (P) bit is set, send a BFD Control packet to the remote system
    // with the Poll (P) bit clear, and the Final (F) bit set" as soon as practicable (6.8.7).
    if (pkt.poll) this.sendNow(true);
    // The transmit interval may have changed with bfd.RemoteMinRxInterval.
    if (this.remoteMinRxUs !== oldRemoteMinRx || !this.txTimer) this.scheduleTx(false);
    return { accepted: true };
  }

  snapshot(): BfdSessionSnapshot {
    const tx = this.transmitting() ? usToMs(negotiatedTxUs(this.txInUseUs, this.remoteMinRxUs)) : 0;
    return {
      state: this.state,
      remoteState: stateName(this.remoteSessionState),
      diag: this.localDiag,
      diagName: diagName(this.localDiag),
      remoteDiag: this.remoteDiag,
      localDiscr: this.localDiscr,
      remoteDiscr: this.remoteDiscr,
      minTxMs: usToMs(this.cfgMinTxUs),
      minRxMs: usToMs(this.cfgMinRxUs),
      multiplier: this.detectMult,
      advertisedMinTxMs: usToMs(this.desiredMinTxUs),
      remoteMinRxMs: usToMs(this.remoteMinRxUs),
      remoteMinTxMs: usToMs(this.remoteDesiredMinTxUs),
      remoteMultiplier: this.remoteDetectMult,
      negotiatedTxMs: tx,
      detectTimeMs: this.remoteDetectMult ? usToMs(this.detectionUs()) : 0,
      polling: this.polling,
      passive: this.passive,
      authType: this.auth?.type ?? BfdAuthType.None,
      everUp: this.everUp,
      lastStateChangeAt: this.lastStateChangeAt,
      counters: { ...this.counters, discards: { ...this.counters.discards } },
    };
  }

  // ---- internals ----

  /** RFC 5880 6.8.6 checks that need the session: authentication. */
  private check(pkt: BfdControlPacket, bytes: Uint8Array): ReceiveVerdict {
    // RFC 5880 6.8.6: "If the A bit is set and no authentication is in use (bfd.AuthType is
    // zero), the packet MUST be discarded."
    if (pkt.authPresent && !this.auth) return { accepted: false, reason: 'auth-unexpected' };
    // "If the A bit is clear and authentication is in use (bfd.AuthType is nonzero), the
    // packet MUST be discarded."
    if (!pkt.authPresent && this.auth) return { accepted: false, reason: 'auth-missing' };
    if (this.auth && pkt.auth) {
      // RFC 5880 6.8.1: bfd.AuthSeqKnown MUST be set to zero after no packets have been
      // received on this session for at least twice the Detection Time.
      if (this.authSeqKnown && this.remoteDetectMult > 0) {
        const quietMs = this.deps.clock.now() - this.lastRxAt;
        if (quietMs >= 2 * usToMs(this.detectionUs())) this.authSeqKnown = false;
      }
      const v = verifyAuth(bytes, pkt.auth, this.auth, { known: this.authSeqKnown, rcvSeq: this.rcvAuthSeq }, pkt.detectMult);
      if (!v.ok) return { accepted: false, reason: v.reason };
      if (v.sequence !== undefined) {
        this.rcvAuthSeq = v.sequence;
        this.authSeqKnown = true;
      }
    }
    return { accepted: true };
  }

  private detectionUs(): number {
    return detectionTimeUs(this.remoteDetectMult, this.rxInUseUs, this.remoteDesiredMinTxUs);
  }

  private armDetection(): void {
    this.detectTimer?.cancel();
    if (!this.started) return;
    const ms = usToMs(this.detectionUs());
    this.detectTimer = this.deps.clock.setTimer(ms, () => this.onDetectionExpired());
  }

  private onDetectionExpired(): void {
    this.detectTimer = undefined;
    if (this.sessionState === BfdState.AdminDown) return;
    // RFC 5880 6.8.4: "If Demand mode is not active, and a period of time equal to the Detection
    // Time passes without receiving a BFD Control packet from the remote system, and
    // bfd.SessionState is Init or Up, the session has gone down -- the local system MUST set
    // bfd.SessionState to Down and bfd.LocalDiag to 1 (Control Detection Time Expired)."
    // RFC 5880 6.8.1: bfd.RemoteDiscr MUST be set to zero after a Detection Time of silence.
    this.remoteDiscr = 0;
    this.remoteSessionState = BfdState.Down;
    if (this.sessionState === BfdState.Init || this.sessionState === BfdState.Up) {
      this.setState(BfdState.Down, BfdDiag.ControlDetectionTimeExpired);
    }
    // A passive session stops transmitting now (6.8.7), an active one carries on slowly.
    this.scheduleTx(false);
  }

  private setState(next: number, diag: number): void {
    const prev = this.sessionState;
    this.localDiag = diag;
    if (prev === next) return;
    this.sessionState = next;
    this.lastStateChangeAt = this.deps.clock.now();
    if (next === BfdState.Up) {
      this.everUp = true;
      this.counters.upTransitions++;
    }
    if (prev === BfdState.Up) this.counters.downTransitions++;
    // Entering or leaving Up changes the 1 s floor of 6.8.3.
    this.applyIntervals();
    this.deps.onStateChange({
      state: stateName(next),
      previous: stateName(prev),
      diag,
      diagName: diagName(diag),
      wasUp: prev === BfdState.Up,
      remoteState: stateName(this.remoteSessionState),
      remoteDiag: this.remoteDiag,
    });
  }

  /** Recompute advertised and in-use intervals; start a Poll Sequence when they change (6.8.3). */
  private applyIntervals(): void {
    const up = this.sessionState === BfdState.Up;
    const newTx = effectiveDesiredMinTxUs(this.cfgMinTxUs, up);
    const newRx = this.cfgMinRxUs;
    const changed = newTx !== this.desiredMinTxUs || newRx !== this.requiredMinRxUs;
    if (!changed) return;
    this.desiredMinTxUs = newTx;
    this.requiredMinRxUs = newRx;
    if (up) {
      // RFC 5880 6.8.3: an increased transmit interval MUST NOT be used until the Poll Sequence
      // completes; a reduced receive interval MUST NOT be used for detection until then.
      if (newTx <= this.txInUseUs) this.txInUseUs = newTx;
      if (newRx >= this.rxInUseUs) this.rxInUseUs = newRx;
    } else {
      this.txInUseUs = newTx;
      this.rxInUseUs = newRx;
    }
    if (this.sessionState !== BfdState.AdminDown) {
      if (!this.polling) this.counters.pollSequences++;
      this.polling = true;
    }
    if (this.started) {
      this.scheduleTx(false);
      if (this.detectTimer) this.armDetection();
    }
  }

  /** RFC 5880 6.8.7 conditions for periodic transmission. */
  private transmitting(): boolean {
    if (!this.started) return false;
    // "If bfd.RemoteDiscr is zero and the local system is taking the Passive role, the local
    // system MUST NOT transmit BFD Control packets."
    if (this.passive && this.remoteDiscr === 0) return false;
    // "... MUST NOT periodically transmit BFD Control packets if bfd.RemoteMinRxInterval is zero."
    if (this.remoteMinRxUs === 0) return false;
    return true;
  }

  /**
   * (Re)schedule the next periodic packet at the last transmit time plus a jittered negotiated
   * interval (6.8.7). `immediate` sends the first packet at once.
   */
  private scheduleTx(immediate: boolean): void {
    this.txTimer?.cancel();
    this.txTimer = undefined;
    if (!this.transmitting()) return;
    const interval = usToMs(negotiatedTxUs(this.txInUseUs, this.remoteMinRxUs));
    const now = this.deps.clock.now();
    if (immediate) this.transmit(false);
    const due = this.lastTxAt + jitteredIntervalMs(interval, this.detectMult, this.deps.random);
    this.armTx(due);
  }

  /**
   * Real timers may fire a little early (libuv rounds to whole milliseconds against a cached
   * loop time); a packet sent early would break the 75% floor of 6.8.7 and the one-second floor
   * of 6.8.3, so an early firing waits out the remainder.
   */
  private armTx(due: number): void {
    const now = this.deps.clock.now();
    this.txTimer = this.deps.clock.setTimer(Math.max(0, Math.ceil(due - now)), () => {
      this.txTimer = undefined;
      if (this.deps.clock.now() < due) {
        this.armTx(due);
        return;
      }
      this.transmit(false);
      this.scheduleTx(false);
    });
  }

  /** Send at once, outside the periodic schedule (a Final reply, an AdminDown notice). */
  private sendNow(final: boolean): void {
    if (!this.started) return;
    // A reply to a Poll goes out even from a passive session: it has heard the peer.
    this.transmit(final);
  }

  private transmit(final: boolean): void {
    // RFC 5880 6.8.7: P set while a Poll Sequence is in progress, never together with F.
    const poll = this.polling && !final;
    const fields = {
      diag: this.localDiag,
      state: this.sessionState,
      poll,
      final,
      detectMult: this.detectMult,
      myDiscr: this.localDiscr,
      yourDiscr: this.remoteDiscr,
      desiredMinTxUs: this.desiredMinTxUs,
      requiredMinRxUs: this.requiredMinRxUs,
      // Echo is not implemented: RFC 5880 6.8.3 "MUST be set to zero" when not supported.
      requiredMinEchoRxUs: 0,
    };
    let bytes: Uint8Array;
    if (this.auth) {
      // RFC 5880 6.7.3/6.7.4: meticulous types MUST increment for every packet; keyed types
      // MAY; we increment for every packet in both, which is always inside the peer's window.
      if (this.auth.type !== BfdAuthType.SimplePassword) {
        this.xmitAuthSeq = (this.xmitAuthSeq + 1) >>> 0;
      }
      bytes = encodeControlPacket(fields, { key: this.auth, sequence: this.xmitAuthSeq });
    } else {
      bytes = encodeControlPacket(fields);
    }
    this.lastTxAt = this.deps.clock.now();
    this.counters.txPackets++;
    this.deps.send(bytes, { poll, final, state: this.state });
  }
}

function checkParams(p: BfdSessionParams): void {
  if (!(p.minTxMs > 0 && p.minTxMs <= 4_294_967)) throw new RangeError(`BFD: min-tx ${p.minTxMs} ms out of range`);
  if (!(p.minRxMs >= 0 && p.minRxMs <= 4_294_967)) throw new RangeError(`BFD: min-rx ${p.minRxMs} ms out of range`);
  if (!Number.isInteger(p.multiplier) || p.multiplier < 1 || p.multiplier > 255) {
    throw new RangeError(`BFD: multiplier ${p.multiplier} not in 1..255`);
  }
}

/**
 * Types of the BGP session FSM (RFC 4271 section 8): states, the events the
 * I/O layer feeds in, the actions the FSM asks for, and typed reasons.
 */
import type { BgpMessage, CodecOptions, OpenMessage, RouteRefreshMessage, UpdateMessage } from '../bgp/types.js';

export type BgpState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export const BGP_STATES: readonly BgpState[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** A NOTIFICATION as values (code, subcode, data). */
export interface NotificationSpec {
  code: number;
  subcode: number;
  data?: Uint8Array;
}

/** A decode failure reported by the stream parser; it already says which NOTIFICATION to send. */
export interface DecodeFailure {
  code: number;
  subcode: number;
  data: Uint8Array;
  message?: string;
}

export type FsmEvent =
  /** RFC 4271 Event 1 / 3 / 4 / 5 (ManualStart, AutomaticStart, with or without passive TCP). */
  | { type: 'start' }
  /**
   * RFC 4271 Event 2 ManualStop; `notification` defaults to Cease 6/2
   * Administrative Shutdown. `restart`: a reset (e.g. BFD down, max-prefix):
   * the session comes back through the IdleHoldTimer like after any error.
   * `reason`: the reason code to report (default admin-stop / admin-reset).
   */
  | { type: 'stop'; notification?: NotificationSpec; detail?: string; restart?: boolean; reason?: ReasonCode }
  /** RFC 4271 Events 16/17: the TCP connection is up (ours or an accepted one). */
  | { type: 'tcp-connected'; localAddress?: string }
  /** RFC 4271 Event 18: connect failed or the connection closed. */
  | { type: 'tcp-failed'; detail?: string }
  /** A whole, decoded message (Events 19, 25, 26, 27 and friends). */
  | { type: 'message'; message: BgpMessage }
  /** RFC 4271 Events 21, 22, 28: header, OPEN or UPDATE error found by the codec. */
  | { type: 'decode-error'; error: DecodeFailure }
  /** RFC 4271 Event 23 OpenCollisionDump. */
  | { type: 'collision-dump' }
  /**
   * RFC 9687: the I/O layer reports write progress. `pending` is true while
   * bytes wait to be accepted by the kernel; `progress` is true when some were.
   */
  | { type: 'write-state'; pending: boolean; progress: boolean }
  /** The owner wrote UPDATEs on the Established connection (RFC 4271 8.2.2: restarts the KeepaliveTimer). */
  | { type: 'updates-sent' }
  /** A timer of this FSM expired (fired by the FSM itself from the injected clock). */
  | { type: 'timer-expired'; timer: TimerName };

export type TimerName = 'connect-retry' | 'hold' | 'keepalive' | 'send-hold' | 'idle-hold';

/** Why the FSM changed state. Logged as {reason: code, ...}. */
export type ReasonCode =
  | 'start'
  | 'admin-stop'
  | 'admin-reset'
  | 'connect'
  | 'connect-retry-expired'
  | 'tcp-connected'
  | 'tcp-failed'
  | 'open-received'
  | 'open-invalid'
  | 'keepalive-received'
  | 'hold-timer-expired'
  | 'send-hold-timer-expired'
  | 'notification-received'
  | 'decode-error'
  | 'fsm-error'
  | 'collision'
  | 'idle-hold-expired'
  /** More bytes queued for the peer than we keep (it does not read): Cease 6/8. */
  | 'write-queue-overflow'
  /** A bug caught while handling an event: Cease 6/8, session restarted. */
  | 'internal-error';

export interface FsmReason {
  code: ReasonCode;
  /** Human detail, e.g. a socket error or the decoded NOTIFICATION. */
  detail?: string;
  /** The NOTIFICATION sent or received that caused this, if any. */
  notification?: NotificationSpec & { direction: 'sent' | 'received' };
}

/** What the session agreed on once OPENs are exchanged. */
export interface NegotiatedSession {
  localOpen: OpenMessage;
  remoteOpen: OpenMessage;
  peerAsn: number;
  remoteId: string;
  /** Seconds; 0 = no keepalives and no hold timer (RFC 4271 4.2). */
  holdTime: number;
  /** Seconds between our KEEPALIVEs; 0 = none. */
  keepaliveTime: number;
  codec: CodecOptions;
  /** `${afi}/${safi}` families both sides announced (IPv4 unicast implied when neither sent MP). */
  families: ReadonlySet<string>;
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
}

export type FsmAction =
  /** Initiate the outgoing TCP connection. */
  | { type: 'connect' }
  /** Encode and write this message. */
  | { type: 'send'; message: BgpMessage }
  /**
   * Close the connection. `flush`: write what is queued first (after a
   * NOTIFICATION); false when the peer is not reading (send hold expiry).
   */
  | { type: 'drop'; flush: boolean }
  /** Timer bookkeeping (informational; the FSM runs its timers on the injected clock). */
  | { type: 'timer'; timer: TimerName; ms: number | null }
  | { type: 'state'; from: BgpState; to: BgpState; reason: FsmReason }
  /**
   * A valid OPEN was accepted (entering OpenConfirm): the codec options must
   * apply from the very next message read or written.
   */
  | { type: 'negotiated'; session: NegotiatedSession }
  /** Session reached Established. */
  | { type: 'up'; session: NegotiatedSession }
  /** Session left Established. */
  | { type: 'down'; reason: FsmReason }
  /** An UPDATE or ROUTE-REFRESH received in Established, for the speaker. */
  | { type: 'deliver'; message: UpdateMessage | RouteRefreshMessage };

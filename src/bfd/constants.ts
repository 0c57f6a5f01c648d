/** BFD protocol constants and code-to-name tables (RFC 5880 section 4, RFC 5881, RFC 5883). */

/** RFC 5880 4.1: the only version defined. */
export const BFD_VERSION = 1;
/** RFC 5880 4.1: length of the mandatory section. */
export const BFD_MIN_LENGTH = 24;
/** RFC 5880 6.8.6: 24 plus the 2-byte minimum authentication header. */
export const BFD_MIN_LENGTH_AUTH = 26;
/** RFC 5881 4: single-hop control packets go to this UDP port. */
export const BFD_SINGLE_HOP_PORT = 3784;
/** RFC 5883 5: multihop control packets go to this UDP port. */
export const BFD_MULTI_HOP_PORT = 4784;
/** RFC 5881 4: source port range. */
export const BFD_SOURCE_PORT_MIN = 49152;
export const BFD_SOURCE_PORT_MAX = 65535;
/** RFC 5881 5: TTL / hop limit on every packet sent, and the only one accepted on single hop. */
export const BFD_TTL = 255;
/** RFC 5880 6.8.3: the slow rate while the session is not Up, in milliseconds. */
export const BFD_SLOW_TX_MS = 1000;

/** RFC 5880 4.1 State field. */
export const BfdState = {
  AdminDown: 0,
  Down: 1,
  Init: 2,
  Up: 3,
} as const;
export type BfdStateValue = (typeof BfdState)[keyof typeof BfdState];
export type BfdStateName = 'admin-down' | 'down' | 'init' | 'up';
export const STATE_NAMES: readonly BfdStateName[] = ['admin-down', 'down', 'init', 'up'];
export function stateName(s: number): BfdStateName {
  return STATE_NAMES[s & 3] as BfdStateName;
}

/** RFC 5880 4.1 Diagnostic field. */
export const BfdDiag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;
export type BfdDiagValue = number;
const DIAG_NAMES: readonly string[] = [
  'none',
  'control-detection-time-expired',
  'echo-function-failed',
  'neighbor-signaled-session-down',
  'forwarding-plane-reset',
  'path-down',
  'concatenated-path-down',
  'administratively-down',
  'reverse-concatenated-path-down',
];
export function diagName(d: number): string {
  return DIAG_NAMES[d] ?? `reserved-${d}`;
}

/** RFC 5880 4.1 Auth Type field. */
export const BfdAuthType = {
  None: 0,
  SimplePassword: 1,
  KeyedMd5: 2,
  MeticulousKeyedMd5: 3,
  KeyedSha1: 4,
  MeticulousKeyedSha1: 5,
} as const;
export type BfdAuthTypeValue = (typeof BfdAuthType)[keyof typeof BfdAuthType];

/** Config names of the authentication types. */
export type BfdAuthTypeName =
  | 'simple'
  | 'keyed-md5'
  | 'meticulous-keyed-md5'
  | 'keyed-sha1'
  | 'meticulous-keyed-sha1';
export const AUTH_TYPE_BY_NAME: Record<BfdAuthTypeName, BfdAuthTypeValue> = {
  simple: BfdAuthType.SimplePassword,
  'keyed-md5': BfdAuthType.KeyedMd5,
  'meticulous-keyed-md5': BfdAuthType.MeticulousKeyedMd5,
  'keyed-sha1': BfdAuthType.KeyedSha1,
  'meticulous-keyed-sha1': BfdAuthType.MeticulousKeyedSha1,
};

/**
 * Why a received packet was dropped. Every reception check of RFC 5880 6.8.6 has its own
 * reason, plus the transport checks of RFC 5881 (TTL) and the authentication sub-checks of 6.7.
 */
export const DISCARD_REASONS = [
  'truncated', //               fewer than 24 bytes of UDP payload: not even a header
  'bad-version', //             6.8.6: version is not 1
  'bad-length', //              6.8.6: Length < 24 (A clear) or < 26 (A set)
  'length-exceeds-payload', //  6.8.6: Length greater than the UDP payload
  'zero-detect-mult', //        6.8.6: Detect Mult is zero
  'multipoint', //              6.8.6: Multipoint (M) bit is set
  'zero-my-discriminator', //   6.8.6: My Discriminator is zero
  'unknown-your-discriminator', // 6.8.6: Your Discriminator names no session
  'your-discriminator-zero-state', // 6.8.6: Your Discriminator zero and State not Down/AdminDown
  'no-session', //              6.8.6: Your Discriminator zero and no session for the source
  'poll-and-final', //          6.8.7/4.1: P and F both set, cannot be valid
  'auth-unexpected', //         6.8.6: A set but the session uses no authentication
  'auth-missing', //            6.8.6: A clear but the session uses authentication
  'auth-type-mismatch', //      6.7: Auth Type differs from the session's
  'auth-malformed', //          6.7: Auth Len wrong for the type, or section truncated
  'auth-key-id', //             6.7: Key ID not the configured one
  'auth-bad-password', //       6.7.2: password does not match
  'auth-bad-digest', //         6.7.3/6.7.4: digest does not match
  'auth-sequence', //           6.7.3/6.7.4: sequence number out of the accepted window
  'admin-down', //              6.8.6: local session is AdminDown
  'bad-ttl', //                 RFC 5881 5: single-hop packet with TTL other than 255
  'wrong-hop-mode', //          single-hop packet for a multihop session or the reverse (RFC 5883 2)
  'wrong-source', //            selected by Your Discriminator but sent from another address than the peer's
] as const;
export type DiscardReason = (typeof DISCARD_REASONS)[number];

export type DiscardCounters = Record<DiscardReason, number>;
export function emptyDiscardCounters(): DiscardCounters {
  const c = {} as DiscardCounters;
  for (const r of DISCARD_REASONS) c[r] = 0;
  return c;
}

/**
 * BFD Control packet codec, RFC 5880 section 4.1 (mandatory section) and 4.2-4.4
 * (authentication section). Pure: bytes in, typed values out, no I/O.
 */
import {
  BFD_MIN_LENGTH,
  BFD_MIN_LENGTH_AUTH,
  BFD_VERSION,
  BfdAuthType,
  type DiscardReason,
} from './constants.js';
import { writeAuthSection, type BfdAuthKey } from './auth.js';

/** The authentication section as received (RFC 5880 4.2-4.4). */
export interface BfdAuthSection {
  type: number;
  /** Auth Len as received. */
  length: number;
  keyId: number;
  /** Simple password (type 1): the password bytes. */
  password?: Uint8Array;
  /** Keyed MD5/SHA1 (types 2-5): the sequence number. */
  sequence?: number;
  /** Keyed MD5/SHA1 (types 2-5): the digest as received. */
  digest?: Uint8Array;
}

/** A decoded BFD Control packet. Intervals are in microseconds, as on the wire. */
export interface BfdControlPacket {
  version: number;
  diag: number;
  state: number;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent: boolean;
  authPresent: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  /** Length field: bytes of the whole BFD packet. */
  length: number;
  myDiscr: number;
  yourDiscr: number;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
  auth?: BfdAuthSection;
}

export type DecodeResult =
  | { ok: true; packet: BfdControlPacket; /** the Length bytes of the packet, for digest checks */ bytes: Uint8Array }
  | { ok: false; reason: DiscardReason };

/**
 * Decode a UDP payload and apply the packet-level reception checks of RFC 5880 6.8.6,
 * in the RFC's order. Session-level checks (discriminators, authentication) happen in the
 * demultiplexer and the session. Never throws on hostile input.
 */
export function decodeControlPacket(payload: Uint8Array): DecodeResult {
  if (payload.length < BFD_MIN_LENGTH) return { ok: false, reason: 'truncated' };
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const b0 = payload[0]!;
  const b1 = payload[1]!;
  const version = b0 >> 5;
  // RFC 5880 6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
  if (version !== BFD_VERSION) return { ok: false, reason: 'bad-version' };
  const authPresent = (b1 & 0x04) !== 0;
  const length = payload[3]!;
  // RFC 5880 6.8.6: Length less than 24 (A clear) or 26 (A set) MUST be discarded.
  if (length < (authPresent ? BFD_MIN_LENGTH_AUTH : BFD_MIN_LENGTH)) return { ok: false, reason: 'bad-length' };
  // RFC 5880 6.8.6: Length greater than the payload of the encapsulating protocol MUST be discarded.
  if (length > payload.length) return { ok: false, reason: 'length-exceeds-payload' };
  const detectMult = payload[2]!;
  // RFC 5880 6.8.6: Detect Mult zero MUST be discarded.
  if (detectMult === 0) return { ok: false, reason: 'zero-detect-mult' };
  const multipoint = (b1 & 0x01) !== 0;
  // RFC 5880 6.8.6: Multipoint (M) bit nonzero MUST be discarded.
  if (multipoint) return { ok: false, reason: 'multipoint' };
  const myDiscr = dv.getUint32(4);
  // RFC 5880 6.8.6: My Discriminator zero MUST be discarded.
  if (myDiscr === 0) return { ok: false, reason: 'zero-my-discriminator' };
  const poll = (b1 & 0x20) !== 0;
  const final = (b1 & 0x10) !== 0;
  // RFC 5880 6.8.7: "A BFD Control packet MUST NOT have both the Poll (P) and Final (F) bits set."
  // Such a packet cannot be a valid reply or request; drop it rather than guess.
  if (poll && final) return { ok: false, reason: 'poll-and-final' };

  const packet: BfdControlPacket = {
    version,
    diag: b0 & 0x1f,
    state: b1 >> 6,
    poll,
    final,
    controlPlaneIndependent: (b1 & 0x08) !== 0,
    authPresent,
    demand: (b1 & 0x02) !== 0,
    multipoint,
    detectMult,
    length,
    myDiscr,
    yourDiscr: dv.getUint32(8),
    desiredMinTxUs: dv.getUint32(12),
    requiredMinRxUs: dv.getUint32(16),
    requiredMinEchoRxUs: dv.getUint32(20),
  };
  if (authPresent) {
    const auth = decodeAuthSection(payload.subarray(BFD_MIN_LENGTH, length));
    if (!auth) return { ok: false, reason: 'auth-malformed' };
    packet.auth = auth;
  }
  return { ok: true, packet, bytes: payload.subarray(0, length) };
}

/** RFC 5880 4.2-4.4. Returns undefined when the section is malformed for its type. */
function decodeAuthSection(s: Uint8Array): BfdAuthSection | undefined {
  if (s.length < 2) return undefined;
  const type = s[0]!;
  const len = s[1]!;
  if (len > s.length || len < 3) return undefined;
  const keyId = s[2]!;
  switch (type) {
    case BfdAuthType.SimplePassword:
      // RFC 5880 4.2: Auth Len = 3 + password length, password 1..16 bytes.
      if (len < 4 || len > 19) return undefined;
      return { type, length: len, keyId, password: s.slice(3, len) };
    case BfdAuthType.KeyedMd5:
    case BfdAuthType.MeticulousKeyedMd5:
      // RFC 5880 4.3: Auth Len = 24.
      if (len !== 24) return undefined;
      return { type, length: len, keyId, sequence: readU32(s, 4), digest: s.slice(8, 24) };
    case BfdAuthType.KeyedSha1:
    case BfdAuthType.MeticulousKeyedSha1:
      // RFC 5880 4.4: Auth Len = 28.
      if (len !== 28) return undefined;
      return { type, length: len, keyId, sequence: readU32(s, 4), digest: s.slice(8, 28) };
    default:
      // Unknown type: keep what is generic; the session rejects it as a type mismatch.
      return { type, length: len, keyId };
  }
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
}

/** What a session puts into a packet it sends. Intervals in microseconds. */
export interface BfdControlFields {
  diag: number;
  state: number;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent?: boolean;
  demand?: boolean;
  detectMult: number;
  myDiscr: number;
  yourDiscr: number;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
}

/** Authentication to apply when encoding: the key and the sequence number to send. */
export interface BfdAuthSign {
  key: BfdAuthKey;
  sequence: number;
}

/**
 * Encode a Control packet. The Length field is computed from what is written, and the
 * authentication section (with its digest) is appended when `auth` is given.
 */
export function encodeControlPacket(f: BfdControlFields, auth?: BfdAuthSign): Uint8Array {
  if (f.poll && f.final) throw new RangeError('BFD: Poll and Final must not both be set (RFC 5880 6.8.7)');
  if (f.detectMult < 1 || f.detectMult > 255) throw new RangeError(`BFD: detect multiplier ${f.detectMult} not in 1..255`);
  const authLen = auth ? authSectionLength(auth.key) : 0;
  const out = new Uint8Array(BFD_MIN_LENGTH + authLen);
  const dv = new DataView(out.buffer);
  out[0] = (BFD_VERSION << 5) | (f.diag & 0x1f);
  out[1] =
    ((f.state & 3) << 6) |
    (f.poll ? 0x20 : 0) |
    (f.final ? 0x10 : 0) |
    (f.controlPlaneIndependent ? 0x08 : 0) |
    (auth ? 0x04 : 0) |
    (f.demand ? 0x02 : 0);
  // Multipoint (M) bit: RFC 5880 4.1 MUST be zero.
  out[2] = f.detectMult;
  out[3] = out.length;
  dv.setUint32(4, f.myDiscr >>> 0);
  dv.setUint32(8, f.yourDiscr >>> 0);
  dv.setUint32(12, clampU32(f.desiredMinTxUs));
  dv.setUint32(16, clampU32(f.requiredMinRxUs));
  dv.setUint32(20, clampU32(f.requiredMinEchoRxUs));
  if (auth) writeAuthSection(out, BFD_MIN_LENGTH, auth.key, auth.sequence);
  return out;
}

function clampU32(v: number): number {
  return Math.max(0, Math.min(0xffffffff, Math.round(v))) >>> 0;
}

export function authSectionLength(key: BfdAuthKey): number {
  switch (key.type) {
    case BfdAuthType.SimplePassword:
      return 3 + key.secret.length; // RFC 5880 4.2
    case BfdAuthType.KeyedMd5:
    case BfdAuthType.MeticulousKeyedMd5:
      return 24; // RFC 5880 4.3
    case BfdAuthType.KeyedSha1:
    case BfdAuthType.MeticulousKeyedSha1:
      return 28; // RFC 5880 4.4
    default:
      throw new RangeError(`BFD: unknown auth type ${String(key.type)}`);
  }
}

/**
 * BFD authentication, RFC 5880 section 6.7: simple password (6.7.2), keyed and meticulous
 * keyed MD5 (6.7.3), keyed and meticulous keyed SHA1 (6.7.4). Pure functions: signing writes
 * into a buffer, verification returns a verdict and never mutates session state.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BfdAuthType, type BfdAuthTypeValue, type DiscardReason } from './constants.js';
import type { BfdAuthSection } from './packet.js';

export interface BfdAuthKey {
  type: BfdAuthTypeValue;
  keyId: number;
  /** Password (1..16 bytes), MD5 key (1..16 bytes) or SHA1 key (1..20 bytes). */
  secret: Uint8Array;
}

/** Receive-side sequence state of RFC 5880 6.8.1 (bfd.RcvAuthSeq, bfd.AuthSeqKnown). */
export interface RcvAuthSeqState {
  known: boolean;
  rcvSeq: number;
}

export function isMeticulous(type: number): boolean {
  return type === BfdAuthType.MeticulousKeyedMd5 || type === BfdAuthType.MeticulousKeyedSha1;
}

function digestInfo(type: number): { algo: 'md5' | 'sha1'; size: number } | undefined {
  if (type === BfdAuthType.KeyedMd5 || type === BfdAuthType.MeticulousKeyedMd5) return { algo: 'md5', size: 16 };
  if (type === BfdAuthType.KeyedSha1 || type === BfdAuthType.MeticulousKeyedSha1) return { algo: 'sha1', size: 20 };
  return undefined;
}

/** Maximum secret length per type (RFC 5880 4.2-4.4). */
export function maxSecretLength(type: number): number {
  return type === BfdAuthType.KeyedSha1 || type === BfdAuthType.MeticulousKeyedSha1 ? 20 : 16;
}

/** Check a key before use; returns an error text or undefined. */
export function validateAuthKey(k: BfdAuthKey): string | undefined {
  if (k.type < 1 || k.type > 5) return `auth type ${k.type} is not 1..5`;
  if (!Number.isInteger(k.keyId) || k.keyId < 0 || k.keyId > 255) return `key id ${k.keyId} is not 0..255`;
  const max = maxSecretLength(k.type);
  if (k.secret.length < 1 || k.secret.length > max) return `secret must be 1..${max} bytes, got ${k.secret.length}`;
  return undefined;
}

/**
 * Write the authentication section at `offset` of `packet` (whose Length field already counts
 * it) and, for MD5/SHA1, compute the digest over the whole packet with the key in the digest
 * slot (RFC 5880 6.7.3, 6.7.4).
 */
export function writeAuthSection(packet: Uint8Array, offset: number, key: BfdAuthKey, sequence: number): void {
  packet[offset] = key.type;
  packet[offset + 2] = key.keyId;
  if (key.type === BfdAuthType.SimplePassword) {
    packet[offset + 1] = 3 + key.secret.length;
    packet.set(key.secret, offset + 3);
    return;
  }
  const d = digestInfo(key.type);
  if (!d) throw new RangeError(`BFD: unknown auth type ${key.type}`);
  packet[offset + 1] = 8 + d.size;
  packet[offset + 3] = 0; // Reserved: RFC 5880 4.3 MUST be zero on transmit
  new DataView(packet.buffer, packet.byteOffset).setUint32(offset + 4, sequence >>> 0);
  const slot = offset + 8;
  packet.fill(0, slot, slot + d.size);
  packet.set(key.secret.subarray(0, d.size), slot); // key padded with zeros to the digest size
  const digest = createHash(d.algo).update(packet.subarray(0, offset + 8 + d.size)).digest();
  packet.set(digest, slot);
}

export type AuthVerdict = { ok: true; sequence?: number } | { ok: false; reason: DiscardReason };

/**
 * Verify a received packet's authentication section against the session's key
 * (RFC 5880 6.7.2-6.7.4). `bytes` is the whole received BFD packet (Length bytes).
 * `detectMult` is the received Detect Mult, which sizes the sequence window.
 */
export function verifyAuth(
  bytes: Uint8Array,
  auth: BfdAuthSection,
  key: BfdAuthKey,
  seq: RcvAuthSeqState,
  detectMult: number,
): AuthVerdict {
  // RFC 5880 6.7.2-6.7.4: "If the Auth Type field does not match ... MUST be discarded."
  if (auth.type !== key.type) return { ok: false, reason: 'auth-type-mismatch' };
  // "If the Key ID field does not match the ID of a configured authentication key ... MUST be discarded."
  if (auth.keyId !== key.keyId) return { ok: false, reason: 'auth-key-id' };
  if (key.type === BfdAuthType.SimplePassword) {
    // RFC 5880 6.7.2: Auth Len and Password must match the configured password.
    const pw = auth.password;
    if (!pw || pw.length !== key.secret.length || !timingSafeEqual(pw, key.secret)) {
      return { ok: false, reason: 'auth-bad-password' };
    }
    return { ok: true };
  }
  const d = digestInfo(key.type);
  if (!d || auth.sequence === undefined || !auth.digest || auth.length !== 8 + d.size) {
    return { ok: false, reason: 'auth-malformed' };
  }
  // RFC 5880 6.7.3/6.7.4: sequence window, in unsigned 32-bit circular space.
  if (seq.known) {
    const lo = isMeticulous(key.type) ? 1 : 0;
    const ahead = (auth.sequence - seq.rcvSeq) >>> 0;
    if (ahead < lo || ahead > 3 * detectMult) return { ok: false, reason: 'auth-sequence' };
  }
  // Replace the digest with the key (zero padded), hash, compare.
  const off = 24; // RFC 5880 4.1: the authentication section follows the 24-byte mandatory section
  if (bytes.length < off + auth.length) return { ok: false, reason: 'auth-malformed' };
  const copy = Uint8Array.from(bytes);
  const slot = off + 8;
  copy.fill(0, slot, slot + d.size);
  copy.set(key.secret.subarray(0, d.size), slot);
  const expect = createHash(d.algo).update(copy).digest();
  if (!timingSafeEqual(expect, auth.digest)) return { ok: false, reason: 'auth-bad-digest' };
  return { ok: true, sequence: auth.sequence };
}

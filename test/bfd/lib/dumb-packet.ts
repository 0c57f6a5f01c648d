/**
 * A deliberately dumb BFD packet builder for tests: writes each byte by hand, independent of
 * src/bfd/packet.ts, so expected bytes never come from the serializer under test.
 */
import { createHash } from 'node:crypto';

export interface DumbFields {
  version?: number;
  diag?: number;
  state?: number; // 0 AdminDown, 1 Down, 2 Init, 3 Up
  p?: boolean;
  f?: boolean;
  c?: boolean;
  a?: boolean;
  d?: boolean;
  m?: boolean;
  mult?: number;
  length?: number; // override the Length field
  my?: number;
  your?: number;
  txUs?: number;
  rxUs?: number;
  echoUs?: number;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

export function dumbHeader(f: DumbFields, authBytes: number[] = []): number[] {
  const flags =
    ((f.state ?? 1) << 6) |
    (f.p ? 32 : 0) |
    (f.f ? 16 : 0) |
    (f.c ? 8 : 0) |
    (f.a ?? authBytes.length > 0 ? 4 : 0) |
    (f.d ? 2 : 0) |
    (f.m ? 1 : 0);
  return [
    ((f.version ?? 1) << 5) | (f.diag ?? 0),
    flags,
    f.mult ?? 3,
    f.length ?? 24 + authBytes.length,
    ...u32(f.my ?? 0x11111111),
    ...u32(f.your ?? 0),
    ...u32(f.txUs ?? 1_000_000),
    ...u32(f.rxUs ?? 300_000),
    ...u32(f.echoUs ?? 0),
    ...authBytes,
  ];
}

export function dumbPacket(f: DumbFields): Uint8Array {
  return Uint8Array.from(dumbHeader(f));
}

/** Simple password section: type 1, len 3+n, key id, password. */
export function dumbSimple(f: DumbFields, keyId: number, password: string): Uint8Array {
  const pw = [...Buffer.from(password)];
  return Uint8Array.from(dumbHeader(f, [1, 3 + pw.length, keyId, ...pw]));
}

/** Keyed MD5 (type 2/3) or SHA1 (type 4/5) section with the digest computed the RFC's way. */
export function dumbKeyed(f: DumbFields, type: number, keyId: number, seq: number, secret: string, corrupt = false): Uint8Array {
  const sha = type >= 4;
  const size = sha ? 20 : 16;
  const key = Buffer.alloc(size);
  Buffer.from(secret).copy(key);
  const bytes = dumbHeader(f, [type, 8 + size, keyId, 0, ...u32(seq), ...key]);
  const digest = createHash(sha ? 'sha1' : 'md5').update(Uint8Array.from(bytes)).digest();
  const out = Uint8Array.from(bytes);
  out.set(digest, 24 + 8);
  if (corrupt) out[24 + 8] = out[24 + 8]! ^ 0xff;
  return out;
}

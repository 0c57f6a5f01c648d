import t from 'tap';
import { decodeControlPacket, encodeControlPacket } from '../../src/bfd/packet.js';
import { verifyAuth, validateAuthKey, type BfdAuthKey } from '../../src/bfd/auth.js';
import { BfdAuthType } from '../../src/bfd/constants.js';
import { dumbKeyed, dumbSimple } from './lib/dumb-packet.js';

const fields = { diag: 0, state: 1, poll: false, final: false, detectMult: 3, myDiscr: 0x11111111, yourDiscr: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 0 };
const dumbFields = { state: 1, my: 0x11111111, your: 0, txUs: 1_000_000, rxUs: 300_000 };
const key = (type: BfdAuthKey['type'], secret: string, keyId = 5): BfdAuthKey => ({ type, keyId, secret: Buffer.from(secret) });

t.test('simple password: bytes equal the hand builder, verify accepts, wrong password and key id refused', async (t) => {
  const k = key(BfdAuthType.SimplePassword, 'hunter2');
  const enc = encodeControlPacket(fields, { key: k, sequence: 0 });
  const dumb = dumbSimple(dumbFields, 5, 'hunter2');
  // Byte 24: auth type 1; 25: auth len 3+7=10; 26: key id 5; 27..33: "hunter2"; Length 34.
  t.same([...enc], [...dumb]);
  t.equal(enc[3], 34);
  const r = decodeControlPacket(dumb);
  t.ok(r.ok);
  if (!r.ok || !r.packet.auth) return;
  t.same(verifyAuth(r.bytes, r.packet.auth, k, { known: false, rcvSeq: 0 }, 3), { ok: true });
  t.match(verifyAuth(r.bytes, r.packet.auth, key(BfdAuthType.SimplePassword, 'hunter3'), { known: false, rcvSeq: 0 }, 3), { ok: false, reason: 'auth-bad-password' });
  t.match(verifyAuth(r.bytes, r.packet.auth, key(BfdAuthType.SimplePassword, 'hunter'), { known: false, rcvSeq: 0 }, 3), { ok: false, reason: 'auth-bad-password' });
  t.match(verifyAuth(r.bytes, r.packet.auth, key(BfdAuthType.SimplePassword, 'hunter2', 6), { known: false, rcvSeq: 0 }, 3), { ok: false, reason: 'auth-key-id' });
  t.match(verifyAuth(r.bytes, r.packet.auth, key(BfdAuthType.KeyedMd5, 'hunter2'), { known: false, rcvSeq: 0 }, 3), { ok: false, reason: 'auth-type-mismatch' });
});

for (const [name, type] of [
  ['keyed MD5', BfdAuthType.KeyedMd5],
  ['meticulous keyed MD5', BfdAuthType.MeticulousKeyedMd5],
  ['keyed SHA1', BfdAuthType.KeyedSha1],
  ['meticulous keyed SHA1', BfdAuthType.MeticulousKeyedSha1],
] as const) {
  t.test(`${name}: digest, key id, sequence window`, async (t) => {
    const k = key(type, 'sekrit');
    const seq = 0xfffffffe; // wraps during the test
    const enc = encodeControlPacket(fields, { key: k, sequence: seq });
    const dumb = dumbKeyed(dumbFields, type, 5, seq, 'sekrit');
    t.same([...enc], [...dumb], 'encoder matches the dumb builder, digest included');
    t.equal(enc[3], type >= 4 ? 52 : 48, 'Length counts the auth section');
    const r = decodeControlPacket(dumb);
    t.ok(r.ok);
    if (!r.ok || !r.packet.auth) return;
    const a = r.packet.auth;
    t.same(verifyAuth(r.bytes, a, k, { known: false, rcvSeq: 0 }, 3), { ok: true, sequence: seq });
    t.match(verifyAuth(r.bytes, a, key(type, 'sekriT'), { known: false, rcvSeq: 0 }, 3), { ok: false, reason: 'auth-bad-digest' });
    t.match(verifyAuth(r.bytes, a, key(type, 'sekrit', 4), { known: false, rcvSeq: 0 }, 3), { ok: false, reason: 'auth-key-id' });
    const corrupt = decodeControlPacket(dumbKeyed(dumbFields, type, 5, seq, 'sekrit', true));
    if (corrupt.ok && corrupt.packet.auth) {
      t.match(verifyAuth(corrupt.bytes, corrupt.packet.auth, k, { known: false, rcvSeq: 0 }, 3), { ok: false, reason: 'auth-bad-digest' });
    }
    // A flipped header bit breaks the digest.
    const tampered = Uint8Array.from(dumb);
    tampered[2] = 4;
    const rt = decodeControlPacket(tampered);
    if (rt.ok && rt.packet.auth) t.match(verifyAuth(rt.bytes, rt.packet.auth, k, { known: false, rcvSeq: 0 }, 4), { ok: false, reason: 'auth-bad-digest' });

    // RFC 5880 6.7.3/6.7.4 window: keyed accepts rcv..rcv+3*mult, meticulous rcv+1..rcv+3*mult (mod 2^32).
    const meticulous = type === BfdAuthType.MeticulousKeyedMd5 || type === BfdAuthType.MeticulousKeyedSha1;
    const at = (rcvSeq: number) => verifyAuth(r.bytes, a, k, { known: true, rcvSeq: rcvSeq >>> 0 }, 3);
    t.equal(at(seq).ok, !meticulous, 'same sequence: keyed ok, meticulous replay refused');
    t.equal(at(seq - 1).ok, true, 'one ahead');
    t.equal(at(seq - 9).ok, true, '3*mult ahead');
    t.match(at(seq - 10), { ok: false, reason: 'auth-sequence' }, 'past the window');
    t.match(at(seq + 1), { ok: false, reason: 'auth-sequence' }, 'behind');
    // Wrap: rcvSeq 0xfffffffa, packet 0xfffffffe is 4 ahead; packet 1 after wrap is 7 ahead.
    const wrapped = decodeControlPacket(dumbKeyed(dumbFields, type, 5, 1, 'sekrit'));
    if (wrapped.ok && wrapped.packet.auth) {
      t.equal(verifyAuth(wrapped.bytes, wrapped.packet.auth, k, { known: true, rcvSeq: 0xfffffffa }, 3).ok, true, 'window across 2^32');
    }
  });
}

t.test('key validation', async (t) => {
  t.equal(validateAuthKey(key(BfdAuthType.KeyedSha1, 'x'.repeat(20))), undefined);
  t.match(validateAuthKey(key(BfdAuthType.KeyedMd5, 'x'.repeat(17))), /1\.\.16/);
  t.match(validateAuthKey(key(BfdAuthType.SimplePassword, '')), /1\.\.16/);
  t.match(validateAuthKey({ type: BfdAuthType.KeyedMd5, keyId: 256, secret: Buffer.from('a') }), /key id/);
});

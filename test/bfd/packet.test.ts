import t from 'tap';
import { decodeControlPacket, encodeControlPacket } from '../../src/bfd/packet.js';
import { BfdAuthType } from '../../src/bfd/constants.js';
import { dumbPacket } from './lib/dumb-packet.js';

// A BFD Control packet written byte by byte (RFC 5880 4.1).
const UP_PACKET = Uint8Array.from([
  0x20, //                 version 1 (001), diag 0 (00000)
  0xc0, //                 state Up (11), P 0, F 0, C 0, A 0, D 0, M 0
  0x03, //                 detect mult 3
  0x18, //                 length 24
  0x00, 0x00, 0x00, 0x01, // my discriminator 1
  0x00, 0x00, 0x00, 0x02, // your discriminator 2
  0x00, 0x04, 0x93, 0xe0, // desired min tx 300000 us
  0x00, 0x01, 0x86, 0xa0, // required min rx 100000 us
  0x00, 0x00, 0x00, 0x00, // required min echo rx 0
]);

t.test('parse a hand-built packet', async (t) => {
  const r = decodeControlPacket(UP_PACKET);
  t.ok(r.ok);
  if (!r.ok) return;
  t.match(r.packet, {
    version: 1, diag: 0, state: 3, poll: false, final: false, controlPlaneIndependent: false,
    authPresent: false, demand: false, multipoint: false, detectMult: 3, length: 24,
    myDiscr: 1, yourDiscr: 2, desiredMinTxUs: 300000, requiredMinRxUs: 100000, requiredMinEchoRxUs: 0,
  });
});

t.test('serialize equals the hand-built bytes, and round trips', async (t) => {
  const bytes = encodeControlPacket({
    diag: 0, state: 3, poll: false, final: false, detectMult: 3, myDiscr: 1, yourDiscr: 2,
    desiredMinTxUs: 300000, requiredMinRxUs: 100000, requiredMinEchoRxUs: 0,
  });
  t.same([...bytes], [...UP_PACKET]);
  const flags = encodeControlPacket({
    diag: 7, state: 0, poll: true, final: false, controlPlaneIndependent: true, demand: true, detectMult: 255,
    myDiscr: 0xffffffff, yourDiscr: 0x80000000, desiredMinTxUs: 0xffffffff, requiredMinRxUs: 1, requiredMinEchoRxUs: 5,
  });
  // version 1 diag 7 = 0x27; AdminDown 00, P=1, C=1, D=1 -> 0x2a
  t.equal(flags[0], 0x27);
  t.equal(flags[1], 0x2a);
  const r = decodeControlPacket(flags);
  t.ok(r.ok);
  if (r.ok) t.match(r.packet, { diag: 7, state: 0, poll: true, controlPlaneIndependent: true, demand: true, detectMult: 255, myDiscr: 0xffffffff, yourDiscr: 0x80000000, desiredMinTxUs: 0xffffffff, requiredMinRxUs: 1, requiredMinEchoRxUs: 5 });
});

t.test('encoder refuses P and F together and a zero multiplier', async (t) => {
  const base = { diag: 0, state: 1, detectMult: 3, myDiscr: 1, yourDiscr: 0, desiredMinTxUs: 1, requiredMinRxUs: 1, requiredMinEchoRxUs: 0 };
  t.throws(() => encodeControlPacket({ ...base, poll: true, final: true }));
  t.throws(() => encodeControlPacket({ ...base, poll: false, final: false, detectMult: 0 }));
});

t.test('every packet-level reception check of RFC 5880 6.8.6, in order', async (t) => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['23 bytes', UP_PACKET.subarray(0, 23), 'truncated'],
    ['version 0', dumbPacket({ version: 0, my: 1 }), 'bad-version'],
    ['version 2', dumbPacket({ version: 2, my: 1 }), 'bad-version'],
    ['length 23', dumbPacket({ length: 23, my: 1 }), 'bad-length'],
    ['A set, length 25', Uint8Array.from([...dumbPacket({ a: true, length: 25, my: 1 }), 0, 0]), 'bad-length'],
    ['length 30 > 24 bytes', dumbPacket({ length: 30, my: 1 }), 'length-exceeds-payload'],
    ['detect mult 0', dumbPacket({ mult: 0, my: 1 }), 'zero-detect-mult'],
    ['M bit', dumbPacket({ m: true, my: 1 }), 'multipoint'],
    ['my discr 0', dumbPacket({ my: 0 }), 'zero-my-discriminator'],
    ['P and F', dumbPacket({ p: true, f: true, my: 1 }), 'poll-and-final'],
    ['A set, auth len 40 past the packet', Uint8Array.from([...dumbPacket({ a: true, length: 28, my: 1 }), 2, 40, 1, 0]), 'auth-malformed'],
    ['A set, MD5 with len 20', Uint8Array.from([...dumbPacket({ a: true, length: 44, my: 1 }), 2, 20, 1, 0, ...new Array(16).fill(0)]), 'auth-malformed'],
    ['A set, password of 0 bytes', Uint8Array.from([...dumbPacket({ a: true, length: 27, my: 1 }), 1, 3, 1]), 'auth-malformed'],
  ];
  for (const [name, bytes, reason] of cases) {
    const r = decodeControlPacket(bytes);
    t.equal(r.ok ? 'ok' : r.reason, reason, name);
  }
});

t.test('trailing bytes past Length are ignored; the packet bytes are Length long', async (t) => {
  const withTail = Uint8Array.from([...UP_PACKET, 9, 9, 9]);
  const r = decodeControlPacket(withTail);
  t.ok(r.ok);
  if (r.ok) t.equal(r.bytes.length, 24);
});

t.test('reserved (unknown) auth types decode generically', async (t) => {
  const r = decodeControlPacket(Uint8Array.from([...dumbPacket({ a: true, length: 28, my: 1 }), 9, 4, 1, 0]));
  t.ok(r.ok);
  if (r.ok) t.match(r.packet.auth, { type: 9, keyId: 1 });
  t.equal(BfdAuthType.None, 0);
});

t.test('fuzz: decode never throws', async (t) => {
  const fc = await import('fast-check');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (b) => {
      const r = decodeControlPacket(b);
      return typeof r.ok === 'boolean';
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

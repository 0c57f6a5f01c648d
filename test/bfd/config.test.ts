import t from 'tap';
import { peerBfdSchema } from '../../src/config/bfd.js';

const msgs = (v: unknown) => {
  const r = peerBfdSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

t.test('true, false and defaults', async (t) => {
  t.same(peerBfdSchema.parse(true), { minTxMs: 300, minRxMs: 300, multiplier: 3, multihop: false, passive: false, strict: false });
  t.equal(peerBfdSchema.parse(false), undefined);
  t.same(peerBfdSchema.parse({}), { minTxMs: 300, minRxMs: 300, multiplier: 3, multihop: false, passive: false, strict: false });
});

t.test('full map, kebab-case in, camelCase out', async (t) => {
  t.same(
    peerBfdSchema.parse({ 'min-tx-ms': 100, 'min-rx-ms': 50, multiplier: 5, multihop: true, passive: true, strict: true, auth: { type: 'meticulous-keyed-sha1', 'key-id': 2, secret: 'x'.repeat(20) } }),
    { minTxMs: 100, minRxMs: 50, multiplier: 5, multihop: true, passive: true, strict: true, auth: { type: 'meticulous-keyed-sha1', keyId: 2, secret: 'x'.repeat(20) } },
  );
});

t.test('errors name the key and what was expected, never the secret', async (t) => {
  t.match(msgs({ 'min-tx-ms': 5 }).join(), /min-tx-ms: expected min-tx-ms \(milliseconds\): an integer 10\.\.60000, got 5/);
  t.match(msgs({ multiplier: 0 }).join(), /multiplier: expected a detect multiplier: an integer 1\.\.255, got 0/);
  t.match(msgs({ 'min-tx': 100 }).join(), /min-tx/);
  t.match(msgs('yes').join(), /expected true, false or a map/);
  t.match(msgs({ auth: { type: 'md5', 'key-id': 1, secret: 'a' } }).join(), /auth.type: expected one of simple, keyed-md5/);
  const long = msgs({ auth: { type: 'keyed-md5', 'key-id': 1, secret: 'topsecret-topsecret' } }).join();
  t.match(long, /auth.secret: expected at most 16 bytes for keyed-md5/);
  t.notMatch(long, /topsecret/);
  t.match(msgs({ auth: { type: 'keyed-sha1', 'key-id': 300, secret: 'a' } }).join(), /auth.key-id/);
  t.match(msgs({ auth: { type: 'keyed-sha1', 'key-id': 1 } }).join(), /auth.secret: expected a non-empty secret/);
  t.match(msgs({ passive: 'no' }).join(), /passive: expected true or false/);
});

t.test('composed under a peer, the path reaches the key', async (t) => {
  const { z } = await import('zod');
  const peer = z.object({ bfd: peerBfdSchema.optional() });
  const r = peer.safeParse({ bfd: { auth: { type: 'keyed-sha1', 'key-id': 1, secret: 'x'.repeat(21) } } });
  t.notOk(r.success);
  if (!r.success) t.same(r.error.issues[0]?.path, ['bfd', 'auth', 'secret']);
  t.same(peer.parse({}), {});
});

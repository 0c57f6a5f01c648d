/** Property-based round trip (fast-check): decode(encode(m)) equals m for random valid messages. */
import t from 'tap';
import fc from 'fast-check';
import { BgpStreamParser, buildUpdates, encodeMessage, type BgpMessage, type CodecOptions, type ParsedItem } from '../../src/bgp/index.js';
import { messageArb, optionsArb, updateArb } from './arbitraries.js';

function decodeAll(bytes: Uint8Array, opts: CodecOptions, chunks: number[] = []): ParsedItem[] {
  const p = new BgpStreamParser(opts);
  const out: ParsedItem[] = [];
  let o = 0;
  for (const c of chunks) {
    out.push(...p.push(bytes.subarray(o, Math.min(bytes.length, o + c))));
    o = Math.min(bytes.length, o + c);
  }
  out.push(...p.push(bytes.subarray(o)));
  return out;
}

t.test('round trip of random valid messages under random session options', async (t) => {
  fc.assert(
    fc.property(optionsArb.chain((opts) => fc.tuple(fc.constant(opts), messageArb(opts))), ([opts, m]) => {
      const bytes = encodeMessage(m, opts);
      const items = decodeAll(bytes, opts);
      if (items.length !== 1) return false;
      const item = items[0]!;
      if (!item.ok) throw item.error;
      if (item.problems !== undefined) throw new Error(`problems: ${JSON.stringify(item.problems)}`);
      t.same(item.message, m);
      return true;
    }),
    { numRuns: 400 },
  );
});

t.test('any chunking of a stream of messages gives the same messages', async (t) => {
  fc.assert(
    fc.property(
      optionsArb.chain((opts) => fc.tuple(fc.constant(opts), fc.array(messageArb(opts), { minLength: 1, maxLength: 6 }))),
      fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 40 }),
      ([opts, msgs], chunks) => {
        const stream = Buffer.concat(msgs.map((m) => encodeMessage(m, opts)));
        const items = decodeAll(stream, opts, chunks);
        t.same(items.map((i) => (i.ok ? i.message : i.error.message)), msgs as BgpMessage[]);
      },
    ),
    { numRuns: 150 },
  );
});

t.test('buildUpdates: every prefix once, each UPDATE within the limit, attributes intact', async (t) => {
  fc.assert(
    fc.property(
      optionsArb.chain((opts) => fc.tuple(fc.constant({ ...opts, extendedMessage: false }), updateArb(opts), fc.boolean())),
      ([opts, u, v6]) => {
        if (u.nlri.length === 0) return;
        const attrs = { ...u.attributes };
        const reach = attrs.mpReach;
        delete attrs.mpReach;
        delete attrs.mpUnreach;
        const prefixes = v6 && reach !== undefined ? reach.nlri : u.nlri;
        let msgs: Uint8Array[];
        try {
          msgs = buildUpdates({ announce: [{ attributes: attrs, prefixes, ipv6NextHops: reach?.nextHops ?? ['2001:db8::1'] }], withdraw: u.withdrawn }, opts);
        } catch (e) {
          if (e instanceof RangeError) return; // attributes alone too big for 4096 octets
          throw e;
        }
        const got = msgs.map((m) => {
          t.ok(m.length <= 4096);
          const items = decodeAll(m, opts);
          const i = items[0]!;
          if (!i.ok || i.message.type !== 'update') throw new Error('not an UPDATE');
          return i.message;
        });
        t.same(got.flatMap((g) => g.withdrawn), u.withdrawn);
        t.same(got.flatMap((g) => [...g.nlri, ...(g.attributes.mpReach?.nlri ?? [])]), prefixes);
      },
    ),
    { numRuns: 150 },
  );
});

import t from 'tap';
import { BfdDemux } from '../../src/fsm/bfd-demux.js';
import { decodeControlPacket, type BfdControlPacket } from '../../src/bfd/packet.js';
import { dumbPacket, type DumbFields } from './lib/dumb-packet.js';

const pkt = (f: DumbFields): BfdControlPacket => {
  const r = decodeControlPacket(dumbPacket({ my: 0x99, ...f }));
  if (!r.ok) throw new Error(r.reason);
  return r.packet;
};

t.test('RFC 5880 6.8.6 checks 7-9: session selection', async (t) => {
  let n = 0;
  const seq = [0, 5, 5, 7]; // zero and a duplicate are skipped
  const d = new BfdDemux<string>(() => seq[n++] ?? 1000 + n);
  const a = d.allocateDiscriminator();
  t.equal(a, 5);
  d.add(a, { peer: '10.0.0.2', multihop: false }, 'A');
  const b = d.allocateDiscriminator();
  t.equal(b, 7, 'zero and in-use values are never handed out');
  d.add(b, { peer: '10.9.0.2', local: '10.8.0.1', multihop: true }, 'B');
  const single = { peer: '10.0.0.2', multihop: false };
  t.same(d.lookup(pkt({ your: 5, state: 3 }), single), { ok: true, session: 'A' }, 'by Your Discriminator');
  t.match(d.lookup(pkt({ your: 6, state: 3 }), single), { ok: false, reason: 'unknown-your-discriminator', session: 'A' });
  t.match(d.lookup(pkt({ your: 0, state: 3 }), single), { ok: false, reason: 'your-discriminator-zero-state' });
  t.match(d.lookup(pkt({ your: 0, state: 2 }), single), { ok: false, reason: 'your-discriminator-zero-state' });
  t.same(d.lookup(pkt({ your: 0, state: 1 }), single), { ok: true, session: 'A' }, 'by source while Your Discriminator is zero');
  t.same(d.lookup(pkt({ your: 0, state: 0 }), single), { ok: true, session: 'A' });
  t.same(d.lookup(pkt({ your: 0, state: 1 }), { peer: '10.0.0.3', multihop: false }), { ok: false, reason: 'no-session' });
  t.same(d.lookup(pkt({ your: 0, state: 1 }), { peer: '10.0.0.2', multihop: true }), { ok: false, reason: 'no-session' }, 'hop mode is part of the key');
  t.match(d.lookup(pkt({ your: 5, state: 3 }), { peer: '10.0.0.2', multihop: true }), { ok: false, reason: 'wrong-hop-mode' });
  t.same(d.lookup(pkt({ your: 0, state: 1 }), { peer: '10.9.0.2', local: '10.8.0.1', multihop: true }), { ok: true, session: 'B' });
  t.same(d.lookup(pkt({ your: 0, state: 1 }), { peer: '10.9.0.2', local: '10.8.0.9', multihop: true }), { ok: false, reason: 'no-session' }, 'local address must match when configured');
  t.same(d.lookup(pkt({ your: 0, state: 1 }), { peer: '10.9.0.2', multihop: true }), { ok: true, session: 'B' }, 'our address unknown: the one session for the peer');
  t.throws(() => d.add(5, { peer: '1.1.1.1', multihop: false }, 'C'));
  t.throws(() => d.add(9, { peer: '10.0.0.2', multihop: false }, 'C'));
  d.remove(5);
  t.equal(d.size, 1);
  t.same(d.lookup(pkt({ your: 0, state: 1 }), single), { ok: false, reason: 'no-session' });
});

t.test('random discriminators are unique and nonzero', async (t) => {
  const { randomInt } = await import('node:crypto');
  const d = new BfdDemux<number>(() => randomInt(0, 2 ** 32 - 1));
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const x = d.allocateDiscriminator();
    t.not(x, 0);
    d.add(x, { peer: `10.0.${i >> 8}.${i & 255}`, multihop: false }, i);
    seen.add(x);
  }
  t.equal(seen.size, 2000);
});

import t from 'tap';
import { Backoff, backoffDelay } from '../../src/fsm/bgp-backoff.js';
import { bgpIdToNumber, collisionSurvivor } from '../../src/fsm/bgp-collision.js';

t.test('capped exponential backoff with RFC 4271 jitter (0.75..1.0)', (t) => {
  const r = { min: 1000, max: 30_000 };
  t.equal(backoffDelay(r, 0, () => 0.999999), 1000);
  t.equal(backoffDelay(r, 0, () => 0), 750, 'lowest jitter factor 0.75');
  t.equal(backoffDelay(r, 1, () => 0.999999), 2000);
  t.equal(backoffDelay(r, 4, () => 0.999999), 16_000);
  t.equal(backoffDelay(r, 5, () => 0.999999), 30_000, 'capped');
  t.equal(backoffDelay(r, 500, () => 0.999999), 30_000, 'no overflow on long outages');
  const b = new Backoff(r, () => 0.999999);
  t.same([b.next(), b.next(), b.next()], [1000, 2000, 4000]);
  b.reset();
  t.equal(b.next(), 1000, 'reset after a stable session');
  const all = Array.from({ length: 1000 }, (_, i) => backoffDelay(r, i % 8));
  t.ok(all.every((d) => d >= 750 && d <= 30_000), 'always within [0.75 x min, max] with Math.random');
  t.end();
});

t.test('collision: the connection opened by the higher BGP Identifier survives (RFC 4271 6.8)', (t) => {
  t.equal(bgpIdToNumber('10.0.0.1'), 0x0a000001);
  t.equal(bgpIdToNumber('255.255.255.255'), 0xffffffff, 'compared as unsigned');
  t.throws(() => bgpIdToNumber('10.0.0'));
  t.throws(() => bgpIdToNumber('10.0.0.256'));
  t.equal(collisionSurvivor('10.0.0.2', '10.0.0.1', 65001, 65002), 'outgoing', 'local higher: keep ours');
  t.equal(collisionSurvivor('10.0.0.1', '10.0.0.2', 65001, 65002), 'incoming', 'remote higher: keep theirs');
  t.equal(collisionSurvivor('200.0.0.1', '10.0.0.2', 1, 2), 'outgoing', 'unsigned compare, no sign bug');
  t.equal(collisionSurvivor('10.0.0.1', '10.0.0.1', 65003, 65002), 'outgoing', 'RFC 6286 2.3: equal ids, larger ASN wins');
  t.equal(collisionSurvivor('10.0.0.1', '10.0.0.1', 65001, 65002), 'incoming');
  t.end();
});

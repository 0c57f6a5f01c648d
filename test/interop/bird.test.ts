/**
 * Interop with BIRD 2 playing the VPC Route Server (passive, never initiates):
 * our Speaker (4-octet ASN) in one namespace, BIRD in another.
 * Checks what BIRD really holds (AS path, next hop, MED, communities), what
 * its kernel protocol installs (the "VPC route table"), withdraws, ROUTE-REFRESH,
 * our hold timer against a frozen BIRD, and recovery after a BIRD restart.
 */
import t from 'tap';
import { requireRootAndTools, useCleanup, waitFor } from '../lib/netns.js';
import { birdConfig, startBird, type BirdHandle } from '../lib/daemons.js';
import { startSpeaker, type SpeakerUnderTest } from '../lib/speaker.js';
import { pairTopology, SP_ASN, V4_PREFIX, V6_PREFIX, type PairTopology } from './topology.js';

t.setTimeout(240_000);
const RS_ASN = 65000;
const HOLD = 3;

if (await requireRootAndTools(t, ['bird', 'birdc'])) {
  useCleanup(t);
  let topo: PairTopology;
  let bird: BirdHandle;
  let sp: SpeakerUnderTest;
  const asPath = (n: number) => Array<number>(n).fill(SP_ASN);

  t.before(async () => {
    topo = await pairTopology('bird', 11);
    bird = await startBird({
      ns: topo.peer,
      config: birdConfig({
        routerId: topo.peerV4,
        localAsn: RS_ASN,
        peers: [{ name: 'sp', address: topo.spV4, asn: SP_ASN, localAddress: topo.peerV4, holdTime: HOLD, passive: true }],
      }),
    });
    sp = await startSpeaker({
      ns: topo.sp,
      speaker: {
        localAsn: SP_ASN,
        routerId: topo.spV4,
        peers: [{ address: topo.peerV4, asn: RS_ASN, localAddress: topo.spV4, holdTime: HOLD, ipv6NextHop: topo.spV6, connectRetryMs: { min: 200, max: 1000 } }],
      },
    });
    await sp.waitPeer(topo.peerV4);
    await waitFor(async () => (await bird.protocolInfo('sp')) === 'Established', { timeoutMs: 10_000, what: 'BIRD session sp Established' });
  });

  t.afterEach(async (tt) => {
    if (tt.passing()) return;
    tt.comment(`speaker log:\n${sp?.logs(40)}`);
    tt.comment(`bird log:\n${bird?.main.tail(20)}`);
  });

  t.test('session: 4-octet ASN, negotiated hold time, both families', async (t) => {
    const p = await sp.peer(topo.peerV4);
    t.equal(p.state, 'Established');
    t.equal(p.holdTime, HOLD, 'hold time is the smaller of the two (both 3)');
    t.ok(p.families.includes('1/1') && p.families.includes('2/1'), `IPv4 and IPv6 unicast negotiated (${p.families.join(',')})`);
    const proto = await bird.birdc('show', 'protocols', 'all', 'sp');
    t.match(proto.stdout, /Neighbor AS:\s+4200000001/, 'BIRD sees our 4-octet ASN');
    t.match(proto.stdout, /4-octet AS numbers/, '4-octet AS capability exchanged');
  });

  t.test('IPv4 /32 with prepend 2: AS path, next hop, kernel route', async (t) => {
    await sp.set([{ prefix: V4_PREFIX, prepend: 2 }]);
    const r = await waitFor(() => bird.best(V4_PREFIX), { timeoutMs: 10_000, what: `${V4_PREFIX} in BIRD` });
    t.same(r.asPath, asPath(3), 'AS path is ours three times (1 + prepend 2)');
    t.equal(r.nextHop, topo.spV4, 'next hop is our session address');
    t.equal(r.protocol, 'sp');
    const k = await waitFor(async () => (await topo.peer.routeShow('172.16.1.1')) || undefined, { timeoutMs: 15_000, what: 'kernel route in the peer namespace' });
    t.match(k, new RegExp(`172\\.16\\.1\\.1 via ${topo.spV4.replace(/\./g, '\\.')} dev eth0 proto bird`), `kernel table: ${k}`);
  });

  t.test('IPv6 /128 over the IPv4 session with our global next hop', async (t) => {
    await sp.set([{ prefix: V4_PREFIX, prepend: 2 }, { prefix: V6_PREFIX, prepend: 0 }]);
    const r = await waitFor(() => bird.best(V6_PREFIX), { timeoutMs: 10_000, what: `${V6_PREFIX} in BIRD` });
    t.same(r.asPath, asPath(1), 'AS path is just our ASN');
    t.equal(r.nextHop, topo.spV6, 'IPv6 next hop is our global address on the link');
    const k = await waitFor(async () => (await topo.peer.routeShow('2001:db8:1::1')) || undefined, { timeoutMs: 15_000, what: 'IPv6 kernel route' });
    t.match(k, /via fd00:255:11::2 dev eth0 proto bird/, `kernel table: ${k}`);
    t.ok(await bird.best(V4_PREFIX), 'the IPv4 route is still there');
  });

  t.test('MED and communities change in place (implicit withdraw, no flap)', async (t) => {
    await sp.set([{ prefix: V4_PREFIX, prepend: 0, med: 50, communities: ['65001:100', 'no-export'] }, { prefix: V6_PREFIX, prepend: 0 }]);
    const r = await waitFor(async () => {
      const b = await bird.best(V4_PREFIX);
      return b && b.med === 50 && b.asPath.length === 1 ? b : undefined;
    }, { timeoutMs: 10_000, what: 'updated attributes in BIRD' });
    t.equal(r.med, 50);
    t.same(r.asPath, asPath(1), 'prepend removed');
    t.same(r.communities.sort(), ['65001:100', '65535:65281'].sort(), 'communities (no-export = 65535:65281)');
    t.equal(await bird.protocolInfo('sp'), 'Established', 'session stayed up');
  });

  t.test('withdraw: prefixes left out of set() leave BIRD and the kernel table', async (t) => {
    await sp.set([{ prefix: V6_PREFIX, prepend: 0 }]);
    await waitFor(async () => (await bird.routes(V4_PREFIX)).length === 0, { timeoutMs: 10_000, what: `${V4_PREFIX} withdrawn` });
    await waitFor(async () => (await topo.peer.routeShow('172.16.1.1')) === '', { timeoutMs: 15_000, what: 'kernel route removed' });
    t.ok(await bird.best(V6_PREFIX), 'IPv6 route kept');
    await sp.set([{ prefix: V4_PREFIX, prepend: 1 }, { prefix: V6_PREFIX, prepend: 0 }]);
    const r = await waitFor(() => bird.best(V4_PREFIX), { timeoutMs: 10_000, what: 're-announced' });
    t.same(r.asPath, asPath(2));
  });

  t.test('ROUTE-REFRESH from BIRD (birdc reload in): we resend the Adj-RIB-Out', async (t) => {
    const before = (await sp.peer(topo.peerV4)).updatesSent;
    await bird.reloadIn('sp');
    const after = await sp.waitPeer(topo.peerV4, (p) => p.updatesSent > before, { timeoutMs: 10_000, what: 'UPDATEs resent after ROUTE-REFRESH' });
    t.ok(after.updatesSent > before, `updates sent ${before} -> ${after.updatesSent}`);
    t.same((await bird.best(V4_PREFIX))?.asPath, asPath(2), 'route unchanged');
    t.equal(after.state, 'Established');
  });

  t.test('BIRD frozen (SIGSTOP): our hold timer expires, session recovers after SIGCONT', async (t) => {
    const downEvents = sp.stateEvents.length;
    const frozenAt = Date.now();
    bird.pause();
    try {
      const down = await sp.waitPeer(topo.peerV4, (p) => p.state !== 'Established', { timeoutMs: (HOLD + 5) * 1000, what: 'hold timer expiry' });
      const took = Date.now() - frozenAt;
      t.match(down.lastError ?? '', /hold/i, `last error names the hold timer: ${down.lastError}`);
      t.ok(took >= (HOLD - 1) * 1000, `not before the hold time (${took} ms)`);
      const ev = sp.stateEvents.slice(downEvents).find((e) => e.previous === 'Established');
      t.ok(ev, 'a peer-state event left Established');
    } finally {
      bird.resume();
    }
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000, what: 're-established after SIGCONT' });
    const r = await waitFor(async () => ((await bird.protocolInfo('sp')) === 'Established' ? bird.best(V4_PREFIX) : undefined), { timeoutMs: 15_000, what: 'route back in BIRD' });
    t.same(r.asPath, asPath(2), 'route resent after the new session came up');
  });

  t.test('BIRD restarted: we reconnect and resend everything', async (t) => {
    await bird.restart();
    t.equal((await bird.routes(V4_PREFIX)).length, 0, 'fresh BIRD has no routes');
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000, what: 're-established after BIRD restart' });
    const v4 = await waitFor(() => bird.best(V4_PREFIX), { timeoutMs: 15_000, what: 'IPv4 route resent' });
    const v6 = await waitFor(() => bird.best(V6_PREFIX), { timeoutMs: 15_000, what: 'IPv6 route resent' });
    t.same(v4.asPath, asPath(2));
    t.same(v6.asPath, asPath(1));
  });

  t.test('orderly stop withdraws before closing', async (t) => {
    await sp.stop();
    await waitFor(async () => (await bird.routes(V4_PREFIX)).length === 0 && (await bird.routes(V6_PREFIX)).length === 0, {
      timeoutMs: 10_000,
      what: 'routes gone from BIRD after stop',
    });
    const info = await bird.protocols();
    t.notMatch(info.find((p) => p.name === 'sp')?.info ?? '', /^Established/, 'session closed');
  });
}

/**
 * Interop with GoBGP 3 (Debian's gobgpd). Both sides connect and listen, so
 * the session comes up through RFC 4271 6.8 collision resolution. Checks the
 * routes GoBGP holds from us (IPv4/IPv6, prepend, MED), `softresetin`, routes GoBGP sends us, our hold timer against a frozen
 * gobgpd, and recovery after a restart.
 */
import t from 'tap';
import { requireRootAndTools, useCleanup, waitFor } from '../lib/netns.js';
import { gobgpConfig, startGobgp, type GobgpHandle } from '../lib/daemons.js';
import { startSpeaker, type SpeakerUnderTest } from '../lib/speaker.js';
import { pairTopology, SP_ASN, V4_PREFIX, V6_PREFIX, type PairTopology } from './topology.js';

t.setTimeout(240_000);
const PEER_ASN = 65020;
const HOLD = 3;

if (await requireRootAndTools(t, ['gobgpd', 'gobgp'])) {
  useCleanup(t);
  let topo: PairTopology;
  let gobgp: GobgpHandle;
  let sp: SpeakerUnderTest;
  const ours = (n: number) => Array<number>(n).fill(SP_ASN);
  const path = async (prefix: string) => {
    const fam = prefix.includes(':') ? 'ipv6' : 'ipv4';
    return (await gobgp.rib(fam)).find((p) => p.prefix === prefix && p.best);
  };

  t.before(async () => {
    topo = await pairTopology('gobgp', 12);
    gobgp = await startGobgp({
      ns: topo.peer,
      config: gobgpConfig({ asn: PEER_ASN, routerId: topo.peerV4, neighbors: [{ address: topo.spV4, asn: SP_ASN, holdTime: HOLD, localAddress: topo.peerV4 }] }),
    });
    sp = await startSpeaker({
      ns: topo.sp,
      speaker: {
        localAsn: SP_ASN,
        routerId: topo.spV4,
        listen: { address: topo.spV4, port: 179 },
        peers: [{ address: topo.peerV4, asn: PEER_ASN, localAddress: topo.spV4, holdTime: HOLD, ipv6NextHop: topo.spV6, connectRetryMs: { min: 200, max: 1000 } }],
      },
    });
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000 });
    await waitFor(async () => (await gobgp.neighborState(topo.spV4)) === 'established', { timeoutMs: 15_000, what: 'GoBGP neighbor established' });
  });

  t.afterEach(async (tt) => {
    if (tt.passing()) return;
    tt.comment(`speaker log:\n${sp?.logs(40)}`);
    tt.comment(`gobgpd log:\n${gobgp?.main.tail(20)}`);
  });

  t.test('session up (collision resolved), 4-octet ASN seen by GoBGP', async (t) => {
    const r = await gobgp.gobgp('neighbor', topo.spV4);
    t.match(r.stdout, /BGP state = established/i);
    t.match(r.stdout, /remote AS 4200000001/, 'GoBGP sees our 4-octet ASN');
    const p = await sp.peer(topo.peerV4);
    t.equal(p.holdTime, HOLD);
  });

  t.test('IPv4 and IPv6 prefixes with prepend arrive with the right AS path', async (t) => {
    await sp.set([{ prefix: V4_PREFIX, prepend: 2 }, { prefix: V6_PREFIX, prepend: 1, med: 10 }]);
    const v4 = await waitFor(() => path(V4_PREFIX), { timeoutMs: 10_000, what: 'IPv4 path in GoBGP' });
    t.same(v4.asPath, ours(3));
    t.equal(v4.nextHop, topo.spV4);
    const v6 = await waitFor(() => path(V6_PREFIX), { timeoutMs: 10_000, what: 'IPv6 path in GoBGP' });
    t.same(v6.asPath, ours(2));
    t.equal(v6.med, 10);
  });

  t.test('gobgp neighbor X softresetin: session and routes intact', async (t) => {
    // GoBGP keeps a full Adj-RIB-In: its softResetIn (pkg/server/server.go) re-runs
    // import policy on it locally and puts no ROUTE-REFRESH on the wire. So the
    // interop question here is only that nothing on our side is disturbed; the
    // ROUTE-REFRESH answer is tested against BIRD and FRR, which do send one.
    const before = await sp.peer(topo.peerV4);
    await gobgp.softResetIn(topo.spV4);
    await new Promise((r) => setTimeout(r, 500));
    const after = await sp.peer(topo.peerV4);
    t.equal(after.state, 'Established');
    t.equal(after.uptimeMs !== null && before.uptimeMs !== null && after.uptimeMs >= before.uptimeMs, true, 'same session (uptime grew)');
    t.same((await path(V4_PREFIX))?.asPath, ours(3));
  });

  t.test('routes GoBGP announces are counted in our status', async (t) => {
    await gobgp.addRoute('10.77.0.0/24');
    await gobgp.addRoute('10.77.1.0/24');
    const p = await sp.waitPeer(topo.peerV4, (s) => s.receivedPrefixes === 2, { timeoutMs: 10_000, what: '2 received prefixes' });
    t.equal(p.receivedPrefixes, 2);
    t.equal(p.state, 'Established', 'receiving does not disturb the session');
  });

  t.test('gobgpd frozen: our hold timer expires; back after SIGCONT', async (t) => {
    gobgp.pause();
    try {
      const down = await sp.waitPeer(topo.peerV4, (p) => p.state !== 'Established', { timeoutMs: (HOLD + 5) * 1000, what: 'hold timer expiry' });
      t.match(down.lastError ?? '', /hold/i, `last error: ${down.lastError}`);
      t.equal(down.receivedPrefixes, 0, 'routes from the dead session are dropped');
    } finally {
      gobgp.resume();
    }
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000, what: 're-established' });
    const v4 = await waitFor(() => path(V4_PREFIX), { timeoutMs: 15_000, what: 'route resent' });
    t.same(v4.asPath, ours(3));
  });

  t.test('gobgpd restarted: we reconnect and resend', async (t) => {
    await gobgp.restart();
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000, what: 're-established after restart' });
    const v4 = await waitFor(() => path(V4_PREFIX), { timeoutMs: 15_000, what: 'IPv4 resent' });
    const v6 = await waitFor(() => path(V6_PREFIX), { timeoutMs: 15_000, what: 'IPv6 resent' });
    t.same(v4.asPath, ours(3));
    t.same(v6.asPath, ours(2));
  });
}

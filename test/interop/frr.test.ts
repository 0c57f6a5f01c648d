/**
 * Interop with FRR 8 bgpd (Debian's frr, zebra + bgpd in a namespace).
 * FRR connects to us; our Speaker is passive with a listener (the mode the
 * lab and other speakers use). Checks the paths FRR holds from us, the
 * ROUTE-REFRESH FRR sends on `clear bgp X soft in`, routes FRR sends us,
 * our hold timer against a frozen bgpd, and a bgpd restart.
 */
import t from 'tap';
import { requireRootAndTools, useCleanup, waitFor } from '../lib/netns.js';
import { frrBgpConfig, startFrr, FRR_LIBEXEC, type FrrHandle } from '../lib/daemons.js';
import { startSpeaker, type SpeakerUnderTest } from '../lib/speaker.js';
import { pairTopology, SP_ASN, V4_PREFIX, V6_PREFIX, type PairTopology } from './topology.js';

t.setTimeout(240_000);
const PEER_ASN = 65030;
const HOLD = 3;

if (await requireRootAndTools(t, [`${FRR_LIBEXEC}/bgpd`, `${FRR_LIBEXEC}/zebra`, 'vtysh'])) {
  useCleanup(t);
  let topo: PairTopology;
  let frr: FrrHandle;
  let sp: SpeakerUnderTest;
  const ours = (n: number) => Array<number>(n).fill(SP_ASN);
  const best = async (prefix: string) => (await frr.paths(prefix).catch(() => [])).find((p) => p.best);

  t.before(async () => {
    topo = await pairTopology('frr', 13);
    frr = await startFrr({
      ns: topo.peer,
      bgpd: frrBgpConfig({
        asn: PEER_ASN,
        routerId: topo.peerV4,
        neighbors: [{ address: topo.spV4, asn: SP_ASN, holdTime: HOLD }],
        networks: ['10.88.0.0/24', '10.88.1.0/24'],
      }),
    });
    sp = await startSpeaker({
      ns: topo.sp,
      speaker: {
        localAsn: SP_ASN,
        routerId: topo.spV4,
        listen: { address: topo.spV4, port: 179 },
        peers: [{ address: topo.peerV4, asn: PEER_ASN, localAddress: topo.spV4, holdTime: HOLD, passive: true, ipv6NextHop: topo.spV6 }],
      },
    });
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000 });
  });

  t.afterEach(async (tt) => {
    if (tt.passing()) return;
    tt.comment(`speaker log:\n${sp?.logs(40)}`);
    tt.comment(`frr log:\n${frr?.logs()}`);
  });

  t.test('FRR connected to our passive listener; 4-octet ASN; hold time', async (t) => {
    const n = (await frr.json<Record<string, { remoteAs?: number; bgpState?: string; bgpTimerHoldTimeMsecs?: number }>>(`show bgp neighbors ${topo.spV4}`))[topo.spV4];
    t.equal(n?.bgpState, 'Established');
    t.equal(n?.remoteAs, SP_ASN, 'FRR sees AS 4200000001');
    t.equal(n?.bgpTimerHoldTimeMsecs, HOLD * 1000, 'negotiated hold time');
  });

  t.test('IPv4 and IPv6 paths: AS path, next hop, communities, MED', async (t) => {
    await sp.set([
      { prefix: V4_PREFIX, prepend: 2, communities: ['65001:100', 'no-export'], med: 20 },
      { prefix: V6_PREFIX, prepend: 0 },
    ]);
    const v4 = await waitFor(() => best(V4_PREFIX), { timeoutMs: 10_000, what: 'IPv4 best path in FRR' });
    t.same(v4.asPath, ours(3));
    t.equal(v4.nextHop, topo.spV4);
    t.equal(v4.med, 20);
    t.same(v4.communities.sort(), ['65001:100', 'no-export'].sort());
    const v6 = await waitFor(() => best(V6_PREFIX), { timeoutMs: 10_000, what: 'IPv6 best path in FRR' });
    t.same(v6.asPath, ours(1));
    t.equal(v6.nextHop, topo.spV6);
  });

  t.test('routes FRR announces show up in our status', async (t) => {
    // FRR also sends our own routes back (no sender-side loop detection by
    // default); those carry our ASN and count as received too. Look for the
    // two networks FRR originates.
    const got = await waitFor(async () => {
      const r = await sp.received(topo.peerV4, 100);
      const ps = r.map((x) => x.prefix);
      return ps.includes('10.88.0.0/24') && ps.includes('10.88.1.0/24') ? r : undefined;
    }, { timeoutMs: 15_000, what: 'the 2 FRR networks in our received routes' });
    const net = got.find((x) => x.prefix === '10.88.0.0/24');
    t.match(net?.attributes ?? '', /65030/, `attributes name FRR's AS: ${net?.attributes}`);
    const p = await sp.peer(topo.peerV4);
    t.ok(p.receivedPrefixes >= 2, `receivedPrefixes ${p.receivedPrefixes}`);
  });

  t.test('clear bgp X soft in: FRR sends ROUTE-REFRESH, we resend', async (t) => {
    const before = (await sp.peer(topo.peerV4)).updatesSent;
    await frr.clearSoftIn(topo.spV4);
    const after = await sp.waitPeer(topo.peerV4, (p) => p.updatesSent > before, { timeoutMs: 10_000, what: 'UPDATEs resent after ROUTE-REFRESH' });
    t.ok(after.updatesSent > before, `updates sent ${before} -> ${after.updatesSent}`);
    t.same((await best(V4_PREFIX))?.asPath, ours(3));
  });

  t.test('a withdraw reaches FRR', async (t) => {
    await sp.set([{ prefix: V4_PREFIX, prepend: 2, communities: ['65001:100', 'no-export'], med: 20 }]);
    await waitFor(async () => !(await best(V6_PREFIX)), { timeoutMs: 10_000, what: 'IPv6 path withdrawn in FRR' });
    t.ok(await best(V4_PREFIX), 'IPv4 kept');
  });

  t.test('bgpd frozen: our hold timer expires; back after SIGCONT', async (t) => {
    frr.pause();
    try {
      const down = await sp.waitPeer(topo.peerV4, (p) => p.state !== 'Established', { timeoutMs: (HOLD + 5) * 1000, what: 'hold timer expiry' });
      t.match(down.lastError ?? '', /hold/i, `last error: ${down.lastError}`);
    } finally {
      frr.resume();
    }
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000, what: 're-established' });
    const v4 = await waitFor(() => best(V4_PREFIX), { timeoutMs: 15_000, what: 'route resent' });
    t.same(v4.asPath, ours(3));
  });

  t.test('bgpd restarted: it reconnects to us and we resend', async (t) => {
    await frr.restart();
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000, what: 're-established after bgpd restart' });
    const v4 = await waitFor(() => best(V4_PREFIX), { timeoutMs: 15_000, what: 'route resent' });
    t.same(v4.asPath, ours(3));
    t.notOk(await best(V6_PREFIX), 'the withdrawn prefix stays withdrawn');
  });
}

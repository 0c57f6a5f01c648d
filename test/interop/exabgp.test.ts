/**
 * Interop with ExaBGP 4.2 (Debian's exabgp), which connects to our passive
 * listener. ExaBGP reports what it receives from us as JSON through its API;
 * through the same API it asks for a ROUTE-REFRESH and sends us 100,000 prefixes: we must keep the session,
 * stay responsive and count them all in status.
 */
import t from 'tap';
import { requireRootAndTools, useCleanup, waitFor } from '../lib/netns.js';
import { startExabgp, type ExabgpHandle } from '../lib/daemons.js';
import { startSpeaker, type SpeakerUnderTest } from '../lib/speaker.js';
import { pairTopology, SP_ASN, V4_PREFIX, V6_PREFIX, type PairTopology } from './topology.js';

t.setTimeout(300_000);
const PEER_ASN = 65040;
const HOLD = 9;
const MANY = 100_000;

/** 10.128.0.0/24 .. : MANY distinct /24s (2^15 per /9 block; 100k spans 10.128-10.255 and 11.x). */
function manyPrefixes(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const base = 10 * 65536 + 128 * 256 + i; // /24 index counted from 10.128.0.0
    out.push(`${Math.floor(base / 65536)}.${Math.floor(base / 256) % 256}.${base % 256}.0/24`);
  }
  return out;
}

interface UpdateEvent {
  asPath?: number[];
  announced: string[];
}

function updatesFromUs(exa: ExabgpHandle): UpdateEvent[] {
  const out: UpdateEvent[] = [];
  for (const e of exa.events()) {
    const u = e.neighbor?.message?.update as { attribute?: { 'as-path'?: number[] }; announce?: Record<string, Record<string, { nlri?: string }[]>> } | undefined;
    if (e.type !== 'update' || !u?.announce) continue;
    const announced: string[] = [];
    for (const byNh of Object.values(u.announce)) for (const list of Object.values(byNh)) for (const n of list) if (n.nlri) announced.push(n.nlri);
    out.push({ ...(u.attribute?.['as-path'] ? { asPath: u.attribute['as-path'] } : {}), announced });
  }
  return out;
}

if (await requireRootAndTools(t, ['exabgp', 'python3'])) {
  useCleanup(t);
  let topo: PairTopology;
  let exa: ExabgpHandle;
  let sp: SpeakerUnderTest;

  t.before(async () => {
    topo = await pairTopology('exa', 14);
    sp = await startSpeaker({
      ns: topo.sp,
      speaker: {
        localAsn: SP_ASN,
        routerId: topo.spV4,
        listen: { address: topo.spV4, port: 179 },
        peers: [{ address: topo.peerV4, asn: PEER_ASN, localAddress: topo.spV4, holdTime: HOLD, passive: true, ipv6NextHop: topo.spV6 }],
      },
    });
    exa = await startExabgp({
      ns: topo.peer,
      neighbors: [{ address: topo.spV4, localAddress: topo.peerV4, localAsn: PEER_ASN, peerAsn: SP_ASN, routerId: topo.peerV4, holdTime: HOLD }],
    });
    await sp.waitPeer(topo.peerV4, undefined, { timeoutMs: 30_000 });
  });

  t.afterEach(async (tt) => {
    if (tt.passing()) return;
    tt.comment(`speaker log:\n${sp?.logs(40)}`);
    tt.comment(`exabgp log:\n${exa?.logs()}`);
  });

  t.test('ExaBGP receives our IPv4 and IPv6 routes with the AS path we mean', async (t) => {
    await sp.set([{ prefix: V4_PREFIX, prepend: 2 }, { prefix: V6_PREFIX, prepend: 0 }]);
    const v4 = await waitFor(() => updatesFromUs(exa).find((u) => u.announced.includes(V4_PREFIX)), { timeoutMs: 15_000, what: 'ExaBGP to report our IPv4 UPDATE' });
    t.same(v4.asPath, [SP_ASN, SP_ASN, SP_ASN]);
    const v6 = await waitFor(() => updatesFromUs(exa).find((u) => u.announced.includes(V6_PREFIX)), { timeoutMs: 15_000, what: 'ExaBGP to report our IPv6 UPDATE' });
    t.same(v6.asPath, [SP_ASN]);
    t.equal(exa.neighborState(topo.spV4), 'up');
  });

  t.test('ROUTE-REFRESH from ExaBGP (API: announce route-refresh): we resend', async (t) => {
    const before = (await sp.peer(topo.peerV4)).updatesSent;
    const seen = updatesFromUs(exa).length;
    await exa.send('announce route-refresh ipv4 unicast');
    const after = await sp.waitPeer(topo.peerV4, (p) => p.updatesSent > before, { timeoutMs: 10_000, what: 'UPDATEs resent after ROUTE-REFRESH' });
    t.ok(after.updatesSent > before, `updates sent ${before} -> ${after.updatesSent}`);
    const again = await waitFor(() => updatesFromUs(exa).slice(seen).find((u) => u.announced.includes(V4_PREFIX)), { timeoutMs: 10_000, what: 'ExaBGP to see the IPv4 route again' });
    t.same(again.asPath, [SP_ASN, SP_ASN, SP_ASN], 'same route, same attributes');
  });

  t.test(`ExaBGP sends ${MANY} prefixes: we keep the session and count them all`, async (t) => {
    const prefixes = manyPrefixes(MANY);
    t.equal(new Set(prefixes).size, MANY, 'distinct prefixes');
    const sending = exa.announceMany(prefixes, { batch: 500 });
    const p = await sp.waitPeer(topo.peerV4, (s) => s.receivedPrefixes >= MANY || s.state !== 'Established', {
      timeoutMs: 240_000,
      what: `${MANY} received prefixes`,
    });
    await sending;
    t.equal(p.state, 'Established', 'session stayed up');
    t.equal(p.receivedPrefixes, MANY, 'all counted');
    t.equal(p.lastError, null, 'no error on the session');
    // Still responsive: a change goes out and reaches ExaBGP.
    await sp.set([{ prefix: V4_PREFIX, prepend: 1 }, { prefix: V6_PREFIX, prepend: 0 }]);
    const u = await waitFor(() => updatesFromUs(exa).find((x) => x.announced.includes(V4_PREFIX) && x.asPath?.length === 2), {
      timeoutMs: 20_000,
      what: 'our changed route to reach ExaBGP after the flood',
    });
    t.same(u.asPath, [SP_ASN, SP_ASN]);
  });

  t.test('ExaBGP withdraws them all: the count goes back to zero', async (t) => {
    await exa.send('withdraw attributes next-hop self nlri ' + manyPrefixes(500).join(' '));
    const p = await sp.waitPeer(topo.peerV4, (s) => s.receivedPrefixes === MANY - 500, { timeoutMs: 30_000, what: 'count after withdrawing 500' });
    t.equal(p.receivedPrefixes, MANY - 500);
  });

  t.test('ExaBGP restarted: it reconnects, received routes are dropped, ours resent', async (t) => {
    const before = updatesFromUs(exa).length;
    await exa.restart();
    const p = await sp.waitPeer(topo.peerV4, (s) => s.state === 'Established' && s.receivedPrefixes === 0 && (s.uptimeMs ?? 0) > 0, {
      timeoutMs: 40_000,
      what: 're-established with an empty Adj-RIB-In',
    });
    t.equal(p.receivedPrefixes, 0);
    await waitFor(() => updatesFromUs(exa).slice(before).some((u) => u.announced.includes(V4_PREFIX)), { timeoutMs: 15_000, what: 'our route resent' });
    t.pass('route resent after reconnect');
  });
}

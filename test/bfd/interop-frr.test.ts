/**
 * Interop with FRR's bfdd, in network namespaces: our BFD in one, FRR (zebra, bfdd, a minimal
 * bgpd) in the other. Real time; every wait bounded.
 */
import t from 'tap';
import { requireRootAndTools, useCleanup, waitFor, sleep } from '../lib/netns.js';
import { startFrr, FRR_LIBEXEC, type FrrHandle } from '../lib/daemons.js';
import { startOurBfd, type OurBfd } from './lib/ours.js';
import { pairTopo, type PairTopo } from './lib/topo.js';
import { bfdChangeResetsBgp } from '../../src/bfd/bgp-tie.js';
import type { BfdSessionOptions } from '../../src/io/bfd-manager.js';

export interface FrrBfdPeer {
  status: string;
  'transmit-interval'?: number;
  'receive-interval'?: number;
  'detect-multiplier'?: number;
  'remote-transmit-interval'?: number;
  'remote-receive-interval'?: number;
  'remote-detect-multiplier'?: number;
  diagnostic?: string;
  'remote-diagnostic'?: string;
  id?: number;
  'remote-id'?: number;
}

export function frrBfddConfig(o: { peer: string; local: string; tx: number; rx: number; mult: number; multihop?: boolean }): string {
  return `hostname bfdd
log stdout informational
!
bfd
 peer ${o.peer} ${o.multihop ? 'multihop ' : ''}local-address ${o.local}${o.multihop ? '' : ' interface bfd0'}
  receive-interval ${o.rx}
  transmit-interval ${o.tx}
  detect-multiplier ${o.mult}
 !
!
`;
}

export async function frrPeer(frr: FrrHandle, peer: string): Promise<FrrBfdPeer | undefined> {
  const r = await frr.vtysh(`show bfd peers json`);
  try {
    const list = JSON.parse(r.stdout) as Array<FrrBfdPeer & { peer: string }>;
    return list.find((p) => p.peer === peer);
  } catch {
    return undefined;
  }
}

t.test('BFD interop with FRR bfdd', async (t) => {
  if (!(await requireRootAndTools(t, [`${FRR_LIBEXEC}/bfdd`, `${FRR_LIBEXEC}/zebra`, 'vtysh']))) return;
  useCleanup(t);
  let topo: PairTopo | undefined;
  let ours: OurBfd | undefined;
  let frr: FrrHandle | undefined;
  t.teardown(async () => {
    await ours?.close();
    await frr?.stop().catch(() => undefined);
    topo?.destroy();
  });
  topo = await pairTopo('bf', 78);
  const tp = topo;
  ours = startOurBfd(topo.ours);
  const o = ours;
  frr = await startFrr({
    ns: topo.peer,
    bgpd: `hostname bgpd\nrouter bgp 65002\n bgp router-id ${tp.peerAddr}\n!\n`,
    bfdd: frrBfddConfig({ peer: tp.ourAddr, local: tp.peerAddr, tx: 100, rx: 100, mult: 3 }),
  });
  const f = frr;
  const bfdd = f.daemons.get('bfdd')!;
  const session = (x: Partial<BfdSessionOptions> = {}): BfdSessionOptions => ({
    peer: tp.peerAddr, local: tp.ourAddr, multihop: false, minTxMs: 100, minRxMs: 100, multiplier: 3, passive: false, ...x,
  });
  const frrState = async () => (await frrPeer(f, tp.ourAddr))?.status;
  const ourState = async () => (await o.status('frr'))?.state;

  await t.test('Up at 100 ms x 3', async (t) => {
    await o.add('frr', session());
    await waitFor(async () => (await ourState()) === 'up' && (await frrState()) === 'up', { timeoutMs: 20_000, what: 'BFD Up with FRR' });
    const s = await waitFor(async () => {
      const st = await o.status('frr');
      return st && !st.polling && st.negotiatedTxMs === 100 && st.detectTimeMs === 300 ? st : undefined;
    }, { timeoutMs: 5000, what: 'fast timers' });
    t.equal(s.counters.discards['bad-ttl'], 0, 'FRR sends TTL 255');
    const p = await frrPeer(f, tp.ourAddr);
    t.equal(p?.['remote-transmit-interval'], 100, 'FRR sees our 100 ms');
    t.equal(p?.['remote-detect-multiplier'], 3);
  });

  await t.test('our main thread blocked 2 s: FRR stays Up', async (t) => {
    const n = o.events.length;
    await o.block(2000);
    await sleep(500);
    t.equal(await frrState(), 'up');
    t.equal(o.events.length, n, 'no state change on our side');
    const c = await f.vtysh(`show bfd peer ${tp.ourAddr} counters json`);
    const j = JSON.parse(c.stdout) as { 'session-down'?: number };
    t.equal(j['session-down'] ?? 0, 0, 'FRR counted no session down');
  });

  await t.test('freeze bfdd: we see Down within our detection time', async (t) => {
    const n = o.events.length;
    const t0 = Date.now();
    bfdd.pause();
    try {
      const ev = await waitFor(() => o.events.slice(n).find((e) => e.state === 'down'), { timeoutMs: 3000, intervalMs: 10, what: 'our Down' });
      const took = ev.at - t0;
      t.comment(`we saw Down ${took} ms after bfdd froze (detection time 300 ms)`);
      t.ok(took <= 300 + 250, `Down about one detection time after the freeze: ${took} ms`);
      t.equal(bfdChangeResetsBgp(ev), true);
    } finally {
      bfdd.resume();
    }
    await waitFor(async () => (await ourState()) === 'up' && (await frrState()) === 'up', { timeoutMs: 20_000, what: 'Up again' });
  });

  await t.test('freeze our worker: FRR sees Down within its detection time', async (t) => {
    const pid = await o.workerPid();
    const t0 = Date.now();
    process.kill(pid, 'SIGSTOP');
    let took = -1;
    try {
      await waitFor(async () => (await frrState()) === 'down', { timeoutMs: 3000, intervalMs: 20, what: 'FRR Down' });
      took = Date.now() - t0;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    t.comment(`FRR saw Down ${took} ms after our worker froze (its detection time 300 ms; vtysh polled every 20 ms)`);
    t.ok(took <= 300 + 500, `about one detection time plus vtysh polling latency: ${took} ms`);
    const p = await frrPeer(f, tp.ourAddr);
    t.equal(p?.diagnostic, 'control detection time expired');
    await waitFor(async () => (await ourState()) === 'up' && (await frrState()) === 'up', { timeoutMs: 20_000, what: 'Up again' });
  });

  await t.test('live interval change: FRR follows through Poll/Final', async (t) => {
    const polls = (await o.status('frr'))?.counters.pollSequences ?? 0;
    await o.update('frr', session({ minTxMs: 200, minRxMs: 250, multiplier: 4 }));
    const p = await waitFor(async () => {
      const x = await frrPeer(f, tp.ourAddr);
      return x && x['remote-transmit-interval'] === 200 && x['remote-receive-interval'] === 250 && x['remote-detect-multiplier'] === 4 ? x : undefined;
    }, { timeoutMs: 5000, what: 'FRR sees the new timers' });
    t.equal(p.status, 'up');
    const s = await waitFor(async () => {
      const st = await o.status('frr');
      return st && !st.polling && st.counters.pollSequences > polls ? st : undefined;
    }, { timeoutMs: 5000, what: 'our Poll answered' });
    t.equal(s.negotiatedTxMs, 200);
    t.equal(s.detectTimeMs, 750, 'FRR mult 3 * max(our rx 250, its tx 100)');
  });

  await t.test('50 ms x 3', async (t) => {
    await f.vtysh('configure terminal', 'bfd', `peer ${tp.ourAddr} local-address ${tp.peerAddr} interface bfd0`, 'transmit-interval 50', 'receive-interval 50');
    await o.update('frr', session({ minTxMs: 50, minRxMs: 50, multiplier: 3 }));
    const s = await waitFor(async () => {
      const st = await o.status('frr');
      return st?.state === 'up' && st.negotiatedTxMs === 50 && st.detectTimeMs === 150 ? st : undefined;
    }, { timeoutMs: 15_000, what: 'Up at 50 ms x 3' });
    const downs = s.counters.downTransitions;
    await sleep(3000);
    const after = await o.status('frr');
    t.equal(after?.state, 'up');
    t.equal(after?.counters.downTransitions, downs, 'stable for 3 s at 50 ms x 3');
    t.equal(await frrState(), 'up');
  });

  await t.test('graceful remove: FRR sees AdminDown, not a failure', async (t) => {
    await o.remove('frr');
    const p = await waitFor(async () => {
      const x = await frrPeer(f, tp.ourAddr);
      return x && x.status === 'down' ? x : undefined;
    }, { timeoutMs: 3000, what: 'FRR down' });
    t.equal(p['remote-diagnostic'], 'administratively down', 'diag 7 reached FRR');
  });
});

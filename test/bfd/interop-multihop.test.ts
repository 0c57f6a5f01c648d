/**
 * Across a router namespace: RFC 5883 multihop with BIRD (UDP 4784), and the RFC 5881 TTL rule
 * for real: a single-hop session whose packets cross a router arrive with TTL 254 and are
 * discarded (counted as bad-ttl), so it never comes up.
 */
import t from 'tap';
import { requireRootAndTools, useCleanup, waitFor, Netns, veth } from '../lib/netns.js';
import { startBird, type BirdHandle } from '../lib/daemons.js';
import { startOurBfd, type OurBfd } from './lib/ours.js';
import type { BfdSessionOptions } from '../../src/io/bfd-manager.js';
import { dumbPacket } from './lib/dumb-packet.js';

const OURS = '10.79.1.1', PEER = '10.79.2.2';

function birdConf(): string {
  return `router id ${PEER};
protocol device { }
protocol bfd bfd1 {
  interface "bfd0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
  multihop { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
  neighbor ${OURS} local ${PEER} multihop;
  neighbor ${OURS} dev "bfd0";
}
`;
}

t.test('multihop (RFC 5883) and the single-hop TTL rule across a router', async (t) => {
  if (!(await requireRootAndTools(t, ['bird', 'birdc']))) return;
  useCleanup(t);
  const nss: Netns[] = [];
  let ours: OurBfd | undefined;
  let bird: BirdHandle | undefined;
  t.teardown(async () => {
    await ours?.close();
    await bird?.stop().catch(() => undefined);
    for (const n of nss) n.destroy();
  });
  const a = await Netns.create('mho');
  const r = await Netns.create('mhr');
  const b = await Netns.create('mhp');
  nss.push(a, r, b);
  await veth({ ns: a, ifname: 'bfd0', addrs: [`${OURS}/24`] }, { ns: r, ifname: 'ra', addrs: ['10.79.1.254/24'] });
  await veth({ ns: b, ifname: 'bfd0', addrs: [`${PEER}/24`] }, { ns: r, ifname: 'rb', addrs: ['10.79.2.254/24'] });
  await r.enableForwarding();
  await a.ip(['route', 'add', 'default', 'via', '10.79.1.254']);
  await b.ip(['route', 'add', 'default', 'via', '10.79.2.254']);
  bird = await startBird({ ns: b, config: birdConf() });
  ours = startOurBfd(a);
  const o = ours;
  const base: BfdSessionOptions = { peer: PEER, local: OURS, multihop: true, minTxMs: 100, minRxMs: 100, multiplier: 3, passive: false };

  await t.test('multihop session Up through the router', async (t) => {
    await o.add('mh', base);
    const s = await waitFor(async () => {
      const st = await o.status('mh');
      return st?.state === 'up' && st.negotiatedTxMs === 100 ? st : undefined;
    }, { timeoutMs: 20_000, what: 'multihop Up' });
    t.equal(s.multihop, true);
    t.equal(s.ttlCheck, false, 'no TTL check on multihop (RFC 5883)');
    const out = (await bird!.birdc('show', 'bfd', 'sessions')).stdout;
    const line = out.split('\n').find((l) => l.trim().startsWith(OURS) && !/\sbfd0\s/.test(l));
    t.match(line ?? '', /\sUp\s/, `BIRD shows the multihop session Up: ${line}`);
    await o.remove('mh');
  });

  await t.test('single hop across a router: TTL 254 discarded, never Up', async (t) => {
    await o.add('sh', { ...base, multihop: false });
    // From the peer's namespace, a valid Down packet sent with TTL 255 to UDP 3784; the router
    // decrements it to 254 on the way.
    const bytes = Buffer.from(dumbPacket({ state: 1, my: 0x5151, your: 0, txUs: 1_000_000, rxUs: 100_000 })).toString('hex');
    const script = `const s=require('dgram').createSocket('udp4');s.bind(49999,'${PEER}',()=>{s.setTTL(255);let n=0;const go=()=>s.send(Buffer.from('${bytes}','hex'),3784,'${OURS}',()=>{if(++n<5)setTimeout(go,50);else s.close();});go();});`;
    await b.exec(process.execPath, ['-e', script], { timeoutMs: 10_000 });
    const s = await waitFor(async () => {
      const st = await o.status('sh');
      return (st?.counters.discards['bad-ttl'] ?? 0) >= 5 ? st : undefined;
    }, { timeoutMs: 3000, what: 'five bad-ttl discards' });
    t.equal(s.counters.discards['bad-ttl'], 5, 'all five arrived with TTL 254 and were discarded');
    t.equal(s.counters.rxPackets, 0, 'nothing accepted');
    t.equal(s.state, 'down', 'the session did not move to Init');
  });
});

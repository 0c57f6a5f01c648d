/**
 * The real daemon (`bgp-sidecar run --config`, the CLI as a child process in a
 * namespace) against BIRD 2 as the Route Server: 4-octet ASNs on both sides, IPv4 and IPv6
 * prefixes from the config file, `status --json` over the control socket,
 * and SIGTERM leaving no route behind.
 */
import t from 'tap';
import { requireRootAndTools, useCleanup, waitFor, tempDir } from '../lib/netns.js';
import { birdConfig, startBird, type BirdHandle } from '../lib/daemons.js';
import { createSidecar, type SidecarHandle } from '../../src/lab/sidecar.js';
import { pairTopology, SP_ASN, V4_PREFIX, V6_PREFIX, type PairTopology } from './topology.js';

t.setTimeout(240_000);
// 4-octet on both sides: the Route Server's ASN too (AWS allows 1..4294967295).
const RS_ASN = 4200000100;

if (await requireRootAndTools(t, ['bird', 'birdc'])) {
  useCleanup(t);
  let topo: PairTopology;
  let bird: BirdHandle;
  let sc: SidecarHandle;

  t.before(async () => {
    topo = await pairTopology('clib', 15);
    bird = await startBird({
      ns: topo.peer,
      config: birdConfig({ routerId: topo.peerV4, localAsn: RS_ASN, peers: [{ name: 'sc', address: topo.spV4, asn: SP_ASN, localAddress: topo.peerV4, holdTime: 3 }] }),
    });
    const dir = tempDir('clib');
    sc = createSidecar({
      name: 'sc',
      ns: topo.sp,
      dir,
      config: {
        localAsn: SP_ASN,
        routerId: topo.spV4,
        prefixes: [V4_PREFIX, V6_PREFIX],
        prepend: 1,
        communities: ['65001:200'],
        peers: [{ address: topo.peerV4, asn: RS_ASN, localAddress: topo.spV4, holdTime: 3, ipv6NextHop: topo.spV6 }],
        controlSocket: `${dir}/control.sock`,
      },
    });
    sc.start();
  });

  t.afterEach(async (tt) => {
    if (!tt.passing()) tt.comment(`sidecar output:\n${sc?.proc.tail(30)}`);
  });

  t.test('routes from the config file reach BIRD with our 4-octet ASN', async (t) => {
    const v4 = await waitFor(
      () => {
        sc.proc.assertRunning();
        return bird.best(V4_PREFIX);
      },
      { timeoutMs: 30_000, what: `${V4_PREFIX} from the daemon in BIRD` },
    );
    t.same(v4.asPath, [SP_ASN, SP_ASN], 'prepend 1 from the config');
    t.same(v4.communities, ['65001:200']);
    const v6 = await waitFor(() => bird.best(V6_PREFIX), { timeoutMs: 10_000, what: `${V6_PREFIX} in BIRD` });
    t.equal(v6.nextHop, topo.spV6, 'ipv6-next-hop from the config');
    const k = await waitFor(async () => (await topo.peer.routeShow('172.16.1.1')) || undefined, { timeoutMs: 15_000, what: 'kernel route' });
    t.match(k, /via 10\.255\.15\.2 dev eth0 proto bird/);
  });

  t.test('status --json over the control socket shows the session and announcements', async (t) => {
    const r = await sc.cli('status', '--json', '--socket', sc.controlSocket);
    t.equal(r.code, 0, `status exit code (stderr: ${r.stderr.trim()})`);
    const text = r.stdout;
    t.doesNotThrow(() => JSON.parse(text), 'valid JSON');
    t.match(text, /Established/);
    t.match(text, /172\.16\.1\.1\/32/);
    t.match(text, /2001:db8:1::1\/128/);
  });

  t.test('SIGTERM: routes leave BIRD and the kernel table, exit code 0', async (t) => {
    await sc.stop(10_000);
    t.equal(sc.proc.exitCode, 0, `exit code (signal ${sc.proc.exitSignal})`);
    const left = await bird.routes(V4_PREFIX);
    t.same(left, [], 'no route left in BIRD once the process is gone');
    t.equal(await topo.peer.routeShow('172.16.1.1'), '', 'kernel route removed');
  });
}

import t from 'tap';
import { rsStatus } from '../../src/aws/rs-status.js';
import { startFakeImds } from './fake/imds.js';
import { startFakeAws } from './fake/server.js';
import type { FakeState } from './fake/state.js';
import { awsCfg, captureLogger, overridesFor } from './fixtures.js';

const RS = 'rs-0123456789abcdef0';
const ME = '10.10.1.10';
const OTHER = '10.10.2.10';

function rsState(): Partial<FakeState> {
  const peer = (id: string, ep: string, addr: string, bgp: 'up' | 'down', bfd?: 'up' | 'down') => ({
    id, routeServerId: RS, endpointId: `rse-${id.slice(-4)}`, endpointAddress: ep, peerAddress: addr, peerAsn: 65001,
    liveness: bfd ? 'bfd' as const : 'bgp-keepalive' as const, state: 'available' as const, bgpStatus: bgp, ...(bfd ? { bfdStatus: bfd } : {}),
  });
  return {
    rsPeers: [
      peer('rsp-0aaaaaaaaaaaaa01', '10.10.1.230', ME, 'up', 'up'),
      peer('rsp-0aaaaaaaaaaaaa02', '10.10.1.231', ME, 'down', 'down'),
      peer('rsp-0bbbbbbbbbbbbb01', '10.10.2.230', OTHER, 'up'),
    ],
    rsRoutes: [
      { routeServerId: RS, endpointId: 'rse-a01', peerId: 'rsp-0aaaaaaaaaaaaa01', prefix: '172.16.1.1/32', nextHop: ME, status: 'in-rib', asPaths: [65001, 65001, 65001] },
      { routeServerId: RS, endpointId: 'rse-b01', peerId: 'rsp-0bbbbbbbbbbbbb01', prefix: '172.16.1.1/32', nextHop: OTHER, status: 'in-fib', asPaths: [65001], med: 10 },
      { routeServerId: RS, endpointId: 'rse-a01', peerId: 'rsp-0aaaaaaaaaaaaa01', prefix: '172.16.2.2/32', nextHop: ME, status: 'in-fib', asPaths: [65001] },
    ],
  };
}

t.test('peers as Route Server sees them, and who is in the FIB for each prefix', async (t) => {
  const fake = await startFakeAws(rsState());
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const s = await rsStatus({ aws: awsCfg({ 'private-ip': ME }), prefixes: ['172.16.1.1/32', '172.16.2.2/32', '172.16.3.3/32'] }, { logger, overrides: overridesFor(fake) });
  t.same(s.routeServerIds, [RS]);
  t.same(s.peers.map((p) => [p.endpointAddress, p.bgpStatus, p.bfdStatus]), [['10.10.1.230', 'up', 'up'], ['10.10.1.231', 'down', 'down']], 'only our peers');
  t.match(s.prefixes[0], { prefix: '172.16.1.1/32', inFib: { nextHop: OTHER, us: false, med: 10 }, paths: [{ us: true, status: 'in-rib', asPath: [65001, 65001, 65001] }, { us: false }] });
  t.match(s.prefixes[1], { prefix: '172.16.2.2/32', inFib: { nextHop: ME, us: true } });
  t.match(s.prefixes[2], { prefix: '172.16.3.3/32', inFib: undefined, paths: [] });
  t.match(s.summary.join('\n'), /172\.16\.1\.1\/32 on rs-0123456789abcdef0: in FIB via 10\.10\.2\.10 \(another appliance\)/);
  t.match(s.summary.join('\n'), /peer 10\.10\.1\.231 \(rsp-0aaaaaaaaaaaaa02\): state available, bgp down, bfd down/);
  t.equal(fake.mutatingCalls().length, 0);
});

t.test('address and region from IMDSv2 when the config leaves them out', async (t) => {
  const fake = await startFakeAws(rsState());
  const imds = await startFakeImds({ instanceId: 'i-0123456789abcdef0', region: 'eu-central-1', zone: 'eu-central-1a', mac: '0a:00:00:00:00:01', eni: 'eni-0123456789abcdef0', privateIp: ME });
  t.teardown(async () => { await fake.close(); await imds.close(); });
  const { logger } = captureLogger();
  const s = await rsStatus({ aws: awsCfg({ region: undefined, 'imds-endpoint': imds.url }), prefixes: ['172.16.2.2/32'] }, { logger, overrides: overridesFor(fake) });
  t.equal(s.privateIp, ME);
  t.equal(s.prefixes[0]?.inFib?.us, true);
  t.ok(fake.calls.every((c) => c.region === 'eu-central-1'), 'signed for the IMDS region');
});

t.test('missing permission names the action', async (t) => {
  const fake = await startFakeAws(rsState());
  t.teardown(() => fake.close());
  fake.denied.add('GetRouteServerRoutingDatabase');
  const { logger } = captureLogger();
  await t.rejects(
    rsStatus({ aws: awsCfg({ 'private-ip': ME }), prefixes: ['172.16.1.1/32'] }, { logger, overrides: overridesFor(fake) }),
    /ec2:GetRouteServerRoutingDatabase: permission denied/,
  );
});

t.test('no peer with our address: said plainly', async (t) => {
  const fake = await startFakeAws(rsState());
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const s = await rsStatus({ aws: awsCfg({ 'private-ip': '10.99.0.1' }), prefixes: ['172.16.1.1/32'] }, { logger, overrides: overridesFor(fake) });
  t.same(s.peers, []);
  t.match(s.summary[0], /no Route Server peer has this appliance's address 10\.99\.0\.1/);
});

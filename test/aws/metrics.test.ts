import t from 'tap';
import { Registry } from 'prom-client';
import { createFallback } from '../../src/aws/fallback.js';
import { registerAwsMetrics } from '../../src/aws/metrics.js';
import { createRsStatusPoller } from '../../src/aws/rs-status-poller.js';
import { ManualClock } from '../../src/util/clock.js';
import { startFakeAws } from './fake/server.js';
import { awsCfg, captureLogger, fallbackCfg, overridesFor, setTunnels, tgwState, VPN_P } from './fixtures.js';

t.test('fallback and Route Server metrics at scrape time', async (t) => {
  const fake = await startFakeAws({
    ...tgwState(),
    rsPeers: [{ id: 'rsp-0aaaaaaaaaaaaa01', routeServerId: 'rs-0123456789abcdef0', endpointId: 'rse-1', endpointAddress: '10.0.1.230', peerAddress: '10.0.1.203', peerAsn: 65001, liveness: 'bfd', state: 'available', bgpStatus: 'up', bfdStatus: 'down' }],
    rsRoutes: [{ routeServerId: 'rs-0123456789abcdef0', endpointId: 'rse-1', peerId: 'rsp-0aaaaaaaaaaaaa01', prefix: '172.16.1.1/32', nextHop: '10.0.1.203', status: 'in-fib', asPaths: [65001] }],
  });
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const clock = new ManualClock(1000);
  const aws = awsCfg({ 'private-ip': '10.0.1.203', 'rs-status-interval': '30s' });
  const fb = createFallback({ aws, fallback: fallbackCfg({ 'tgw-vpn': { pairs: ['dc1'] } }) }, { logger, clock, overrides: overridesFor(fake) });
  const poller = createRsStatusPoller({ aws, prefixes: ['172.16.1.1/32'] }, { logger, clock, overrides: overridesFor(fake) });
  t.teardown(async () => { poller.close(); await fb.close(); });
  setTunnels(fake.state, VPN_P, [false, false]);
  await fb.onVerdict({ state: 'up', verdict: 'up' });
  await fb.idle();
  await poller.refresh();
  const reg = new Registry();
  registerAwsMetrics(reg, { fallback: () => fb.status(), rsStatus: () => poller.status(), now: () => clock.now() });
  clock.advance(5000);
  const text = await reg.metrics();
  t.match(text, /bgp_sidecar_fallback_outcome\{fallback="tgw-vpn",outcome="done"\} 1/);
  t.match(text, /bgp_sidecar_fallback_changes\{fallback="tgw-vpn"\} 4/);
  t.match(text, /bgp_sidecar_rs_peer_bgp_up\{endpoint="10.0.1.230",route_server_peer="rsp-0aaaaaaaaaaaaa01"\} 1/);
  t.match(text, /bgp_sidecar_rs_peer_bfd_up\{endpoint="10.0.1.230",route_server_peer="rsp-0aaaaaaaaaaaaa01"\} 0/);
  t.match(text, /bgp_sidecar_rs_prefix_in_fib\{prefix="172.16.1.1\/32",route_server="rs-0123456789abcdef0",next_hop="10.0.1.203",us="true"\} 1/);
  t.match(text, /bgp_sidecar_rs_status_age_seconds 5/);
  t.equal(fb.status().totals['tgw-vpn']?.changes, 4);
});

t.test('poller: never overlapping, keeps the last good answer on failure, polls on the clock', async (t) => {
  const fake = await startFakeAws({
    rsPeers: [{ id: 'rsp-0aaaaaaaaaaaaa01', routeServerId: 'rs-0123456789abcdef0', endpointId: 'rse-1', endpointAddress: '10.0.1.230', peerAddress: '10.0.1.203', peerAsn: 65001, liveness: 'bgp-keepalive', state: 'available', bgpStatus: 'up' }],
  });
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const clock = new ManualClock();
  const poller = createRsStatusPoller({ aws: awsCfg({ 'private-ip': '10.0.1.203', 'rs-status-interval': '30s' }), prefixes: ['172.16.1.1/32'] }, { logger, clock, overrides: overridesFor(fake, { maxAttempts: 1 }) });
  t.teardown(() => poller.close());
  const [a, b] = await Promise.all([poller.refresh(), poller.refresh()]);
  t.equal(a.polls, 1);
  t.equal(b.polls, 1, 'second refresh joined the first');
  t.equal(fake.maxInFlight(), 1);
  fake.denied.add('DescribeRouteServerPeers');
  clock.advance(30_000);
  for (let i = 0; i < 100 && poller.status().polls < 2; i++) await new Promise((r) => setTimeout(r, 10));
  const s = poller.status();
  t.equal(s.polls, 2, 'timer polled');
  t.match(s.error, /ec2:DescribeRouteServerPeers: permission denied/);
  t.equal(s.result?.peers.length, 1, 'last good answer kept');
});

t.test('status lines for `bgp-sidecar status`', async (t) => {
  const { formatFallbackStatus } = await import('../../src/aws/status-format.js');
  const fake = await startFakeAws(tgwState());
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const fb = createFallback({ aws: awsCfg(), fallback: fallbackCfg({ 'tgw-vpn': { pairs: ['dc1'] } }) }, { logger, clock: new ManualClock(), overrides: overridesFor(fake) });
  t.teardown(() => fb.close());
  setTunnels(fake.state, VPN_P, [false, false]);
  await fb.onVerdict({ state: 'up', verdict: 'up' });
  await fb.idle();
  const lines = formatFallbackStatus(JSON.parse(JSON.stringify(fb.status())));
  t.match(lines[0], /^Fallback: tgw-vpn; verdict up$/);
  t.match(lines.join('\n'), /tgw-vpn: last: done, 4\/4 change\(s\), dc1: primary vpn-0aaaaaaaaaaaaaa01 has every tunnel down/);
  t.match(lines.join('\n'), /dc1: primary vpn-0aaaaaaaaaaaaaa01 0\/2 up, backup vpn-0bbbbbbbbbbbbbb01 1\/2 up; routes on backup; done/);
  t.match(lines.join('\n'), /action: tgw-vpn dc1: failover of 4 route\(s\)/);
  t.same(formatFallbackStatus(null), []);
  t.same(formatFallbackStatus({ configured: [] }), []);
  t.same(formatFallbackStatus({ configured: ['route-tables'], routeTables: 'garbage', recent: [1, null] }), ['Fallback: route-tables; verdict not yet known']);
});

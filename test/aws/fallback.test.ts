import t from 'tap';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadedSdkClients } from '../../src/aws/clients.js';
import { createFallback, verdictHealthy } from '../../src/aws/fallback.js';
import type { ProbeFn } from '../../src/aws/peer-health.js';
import { ManualClock } from '../../src/util/clock.js';
import { startFakeImds } from './fake/imds.js';
import { startFakeAws } from './fake/server.js';
import {
  awsCfg, captureLogger, ENI_A, ENI_B, fallbackCfg, overridesFor, RTB_A1, RTB_B1, routeTablesFallback, routeTablesState, setTunnels, targets, tgwState, tgwTargets, ATT_B, VPN_P, vif, VIF_1, VIF_2,
} from './fixtures.js';

const require = createRequire(import.meta.url);
/** SDK client packages in the main thread's module cache: must stay empty (they load in the worker). */
const sdkInMainThread = () => [...new Set(Object.keys(require.cache).map((k) => /@aws-sdk[/\\](client-[a-z0-9-]+)/.exec(k)?.[1]).filter((x) => x !== undefined))];

/** Let probes, timers' callbacks and runs finish (bounded). */
async function settle(fb: { idle(): Promise<void> }): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    await fb.idle();
  }
}

/** A peer probe the test flips by hand. */
function manualProbe(): { probe: ProbeFn; set(ok: boolean): void } {
  let ok = true;
  return { probe: async () => ({ ok, detail: ok ? 'ok' : 'refused' }), set: (v) => { ok = v; } };
}

t.test('no fallback configured: no SDK import, nothing runs', async (t) => {
  const { logger } = captureLogger();
  const fb = createFallback({}, { logger });
  await fb.onVerdict({ state: 'down' });
  t.same(fb.status().configured, []);
  await fb.close();
  t.same(sdkInMainThread(), [], 'no @aws-sdk client module loaded');
  t.same(await loadedSdkClients(), [], 'no SDK worker either');
});

t.test('verdict mapping', async (t) => {
  t.equal(verdictHealthy('up'), true);
  t.equal(verdictHealthy('falling'), true);
  t.equal(verdictHealthy('down'), false);
  t.equal(verdictHealthy('maintenance'), false);
  t.equal(verdictHealthy('rising'), false);
  t.equal(verdictHealthy('init'), undefined);
});

t.test('route tables end to end: verdicts and the peer check drive failover and failback', async (t) => {
  const fake = await startFakeAws({ routeTables: routeTablesState() });
  t.teardown(() => fake.close());
  const clock = new ManualClock();
  const { logger } = captureLogger();
  const peer = manualProbe();
  const cfg = { aws: awsCfg({ eni: ENI_B }), fallback: routeTablesFallback({ 'peer-check': { interval: '1s', timeout: '500ms', rise: 2, fall: 2 } }) };
  const fb = createFallback(cfg, { logger, clock, overrides: overridesFor(fake), probe: peer.probe });
  t.teardown(() => fb.close());
  await settle(fb);
  t.equal(fake.calls.length, 0, 'own state unknown: no call');
  t.same(await loadedSdkClients(), [], 'SDK not loaded before the first call');

  // Peer healthy after rise=2 probes; our verdict up: both healthy, already in sync.
  clock.advance(1000);
  await settle(fb);
  await fb.onVerdict({ state: 'up' });
  await settle(fb);
  t.equal(fb.status().peer?.healthy, true);
  t.equal(fake.mutatingCalls().length, 0, 'in sync: no change');
  t.equal(fb.status().routeTables?.last?.outcome, 'in-sync');
  t.same(await loadedSdkClients(), ['ec2'], 'only the client the configured action needs, in the worker');
  t.same(sdkInMainThread(), [], 'never in the main thread');

  // Peer fails: after fall=2 probes, B takes every route.
  peer.set(false);
  clock.advance(1000);
  await settle(fb);
  clock.advance(1000);
  await settle(fb);
  t.equal(fb.status().peer?.healthy, false);
  t.equal(fb.status().routeTables?.last?.outcome, 'done');
  t.equal(targets(fake.state)[`${RTB_A1} 172.16.1.1/32`], ENI_B);
  t.equal(fake.changes.length, 5);

  // We go down too: both down, nothing changes.
  fake.reset();
  await fb.onVerdict({ state: 'down' });
  await settle(fb);
  t.equal(fake.calls.length, 0, 'both down: no call at all');

  // We recover, the peer recovers: zone A's routes go back to A.
  await fb.onVerdict({ state: 'up' });
  peer.set(true);
  clock.advance(1000);
  await settle(fb);
  clock.advance(1000);
  await settle(fb);
  t.equal(targets(fake.state)[`${RTB_A1} 172.16.1.1/32`], ENI_A);
  t.equal(targets(fake.state)[`${RTB_B1} 172.16.1.1/32`], ENI_B);
  t.equal(fake.maxInFlight(), 1, 'never two AWS calls at once');
});

t.test('runs are serialized and verdicts arriving during a run are coalesced', async (t) => {
  const fake = await startFakeAws({ ...tgwState(), vifs: [vif(VIF_1), vif(VIF_2)] });
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const clock = new ManualClock();
  const cfg = {
    aws: awsCfg(),
    fallback: fallbackCfg({
      'tgw-vpn': { pairs: ['dc1'] },
      'direct-connect': { 'virtual-interfaces': [{ id: VIF_1, 'alarm-on-verdict': true }, VIF_2], 'min-available': 1 },
    }),
  };
  const fb = createFallback(cfg, { logger, clock, overrides: overridesFor(fake) });
  t.teardown(() => fb.close());
  await fb.idle();
  setTunnels(fake.state, VPN_P, [false, false]);
  fake.reset();
  const burst = [];
  for (let i = 0; i < 20; i++) burst.push(fb.onVerdict({ state: i % 2 ? 'up' : 'down' }));
  burst.push(fb.onVerdict({ state: 'up' }));
  await Promise.all(burst);
  await fb.idle();
  t.equal(fake.maxInFlight(), 1, 'one call at a time');
  t.ok(fb.status().coalesced > 0, 'requests coalesced');
  t.ok(fake.callsOf('DescribeVpnConnections').length <= 3, `a burst of 21 verdicts made ${fake.callsOf('DescribeVpnConnections').length} TGW runs`);
  t.equal(tgwTargets(fake.state)['tgw-rtb-0aaaaaaaaaaaaaa01 10.100.0.0/16'], ATT_B, 'final view acted on');
  t.equal(fb.status().selfState, 'up');
  t.notOk(fake.state.vifs.find((v) => v.id === VIF_1)?.test, 'final verdict up: no DX test left running');
  t.same((await loadedSdkClients()).sort(), ['directconnect', 'ec2']);
  t.same(sdkInMainThread(), []);
});

t.test('an incomplete run is retried with backoff by the clock, and completes', async (t) => {
  const fake = await startFakeAws({ routeTables: routeTablesState() });
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const clock = new ManualClock();
  const peer = manualProbe();
  peer.set(false);
  const cfg = { aws: awsCfg({ eni: ENI_B }), fallback: routeTablesFallback({ 'peer-check': { interval: '1s', timeout: '500ms', rise: 1, fall: 1 } }) };
  const fb = createFallback(cfg, { logger, clock, overrides: overridesFor(fake, { maxAttempts: 1 }), probe: peer.probe });
  t.teardown(() => fb.close());
  fake.faults.push({ action: 'ReplaceRoute', kind: 'server', skip: 2, times: 1 });
  await settle(fb);
  await fb.onVerdict({ state: 'up' });
  await settle(fb);
  t.equal(fb.status().routeTables?.last?.outcome, 'incomplete');
  t.equal(fake.changes.length, 4);
  clock.advance(1000); // first retry after 1 s
  await settle(fb);
  t.equal(fb.status().routeTables?.last?.outcome, 'done');
  t.equal(fake.changes.length, 5);
});

t.test('ENI and region discovered through IMDSv2; a wrong ENI is a clear error', async (t) => {
  const fake = await startFakeAws({ routeTables: routeTablesState() });
  const imds = await startFakeImds({ instanceId: 'i-0123456789abcdef0', region: 'eu-west-3', zone: 'eu-west-3a', mac: '0a:00:00:00:00:02', eni: ENI_B, privateIp: '10.10.2.10' });
  t.teardown(async () => { await fake.close(); await imds.close(); });
  const { logger, lines } = captureLogger();
  const peer = manualProbe();
  const cfg = { aws: awsCfg({ region: undefined, 'imds-endpoint': imds.url }), fallback: routeTablesFallback() };
  const fb = createFallback(cfg, { logger, overrides: overridesFor(fake), probe: peer.probe });
  await fb.runNow();
  t.match(fb.status().identity, { eni: ENI_B, region: 'eu-west-3' });
  await fb.close();

  imds.data.set(`network/interfaces/macs/0a:00:00:00:00:02/interface-id`, 'eni-0999999999999999f');
  const fb2 = createFallback(cfg, { logger, overrides: overridesFor(fake), probe: peer.probe });
  await fb2.runNow();
  t.match(fb2.status().error, /ENI eni-0999999999999999f is not one of appliances\[\]\.eni/);
  t.ok(lines.some((l) => l.msg === 'fallback init failed; retrying'));
  await fb2.close();
});

t.test('real TCP peer check on loopback', async (t) => {
  const fake = await startFakeAws({ routeTables: routeTablesState() });
  t.teardown(() => fake.close());
  let server: Server | undefined = createServer((s) => s.destroy());
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  t.teardown(() => server?.close());
  const { logger } = captureLogger();
  const clock = new ManualClock();
  const cfg = {
    aws: awsCfg({ eni: ENI_B }),
    fallback: fallbackCfg({
      'route-tables': {
        appliances: [
          { eni: ENI_A, 'route-tables': [RTB_A1], health: { tcp: `127.0.0.1:${port}` } },
          { eni: ENI_B, 'route-tables': [RTB_B1], health: { tcp: '127.0.0.1:1' } },
        ],
        'peer-check': { interval: '1s', timeout: '500ms', rise: 1, fall: 1 },
      },
    }),
  };
  const fb = createFallback(cfg, { logger, clock, overrides: overridesFor(fake) });
  t.teardown(() => fb.close());
  await fb.onVerdict({ state: 'up' });
  await fb.idle();
  for (let i = 0; i < 50 && fb.status().peer?.healthy === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(fb.status().peer?.healthy, true, 'peer port open');
  await new Promise<void>((r) => server!.close(() => r()));
  server = undefined;
  clock.advance(1000);
  for (let i = 0; i < 100 && fb.status().peer?.healthy !== false; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(fb.status().peer?.healthy, false, 'peer port closed');
  await fb.idle();
  t.equal(targets(fake.state)[`${RTB_A1} 172.16.1.1/32`], ENI_B);
});

t.test('tgw-vpn: the run after failover-after comes when the wait ends, not at the next poll', async (t) => {
  const fake = await startFakeAws(tgwState());
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const clock = new ManualClock();
  const cfg = { aws: awsCfg(), fallback: fallbackCfg({ 'tgw-vpn': { pairs: ['dc1'], 'poll-interval': '1m', 'failover-after': '10s' } }) };
  const fb = createFallback(cfg, { logger, clock, overrides: overridesFor(fake) });
  t.teardown(() => fb.close());
  await fb.onVerdict({ state: 'up' });
  await settle(fb);
  setTunnels(fake.state, VPN_P, [false, false]);
  clock.advance(60_000); // poll: primary seen down, wait 10 s
  await settle(fb);
  t.equal(fb.status().tgwVpn?.last?.outcome, 'skipped');
  clock.advance(9_999);
  await settle(fb);
  t.equal(fake.mutatingCalls().length, 0, 'not before failover-after');
  clock.advance(1);
  await settle(fb);
  t.equal(fb.status().tgwVpn?.last?.outcome, 'done', 'at failover-after, 50 s before the next poll');
  t.equal(tgwTargets(fake.state)['tgw-rtb-0aaaaaaaaaaaaaa01 10.100.0.0/16'], ATT_B);
});

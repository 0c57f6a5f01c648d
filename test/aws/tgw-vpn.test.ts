import t from 'tap';
import { AwsApi, resolveSettings } from '../../src/aws/clients.js';
import { createNotifier } from '../../src/aws/notify.js';
import { TgwVpnFallback } from '../../src/aws/tgw-vpn.js';
import { startFakeAws } from './fake/server.js';
import {
  ATT_B, ATT_P, ATT_VPC, awsCfg, captureLogger, fallbackCfg, overridesFor, setTunnels, tgwState, tgwTargets, TGW_RTB_1, TGW_RTB_2, VPN_B, VPN_P, vpn,
} from './fixtures.js';

async function setup(t: { teardown(fn: () => unknown): void }, extra: Record<string, unknown> = {}) {
  const fake = await startFakeAws(tgwState());
  const { logger, lines } = captureLogger();
  const api = new AwsApi(resolveSettings(awsCfg(), 'eu-west-1', overridesFor(fake)), logger);
  const clock = { t: 1_000_000 };
  const cfg = fallbackCfg({ 'tgw-vpn': { pairs: ['dc1'], 'failover-after': '0s', 'failback-after': '5m', ...extra } }).tgwVpn!;
  const tgw = new TgwVpnFallback({ cfg, api, notifier: createNotifier({ logger }), logger, now: () => clock.t });
  t.teardown(async () => {
    api.close();
    await fake.close();
  });
  return { fake, tgw, clock, lines };
}

t.test('failover when every primary tunnel is down and the backup has one up; failback after stable time', async (t) => {
  const { fake, tgw, clock } = await setup(t);
  t.equal((await tgw.run(true)).outcome, 'in-sync', 'primary up, routes on primary');
  t.equal(fake.mutatingCalls().length, 0);

  setTunnels(fake.state, VPN_P, [false, false]);
  const r = await tgw.run(true);
  t.equal(r.outcome, 'done', r.reason ?? '');
  t.equal(r.applied, 4, 'three CIDR routes and one prefix-list reference');
  const after = tgwTargets(fake.state);
  t.equal(after[`${TGW_RTB_1} 10.100.0.0/16`], ATT_B);
  t.equal(after[`${TGW_RTB_1} 10.101.0.0/16`], ATT_B);
  t.equal(after[`${TGW_RTB_1} pl-0fedcba9876543210`], ATT_B);
  t.equal(after[`${TGW_RTB_2} 10.100.0.0/16`], ATT_B);
  t.equal(after[`${TGW_RTB_1} 10.10.0.0/16`], ATT_VPC, 'propagated route untouched');
  t.equal(after[`${TGW_RTB_2} 10.200.0.0/16`], ATT_VPC, 'static route to another attachment untouched');
  t.same(fake.callsOf('ReplaceTransitGatewayRoute').length, 3);
  t.same(fake.callsOf('ModifyTransitGatewayPrefixListReference').length, 1);
  t.match(tgw.status().pairs[0], { pair: 'dc1', routesOn: 'backup', primary: { tunnelsUp: 0 }, backup: { tunnelsUp: 1 } });

  fake.reset();
  t.equal((await tgw.run(true)).outcome, 'in-sync', 'second run: no call');
  t.equal(fake.mutatingCalls().length, 0);

  // Primary back: failback only after 5 minutes of continuous UP.
  setTunnels(fake.state, VPN_P, [true, false]);
  clock.t += 1000;
  const w = await tgw.run(true);
  t.equal(w.outcome, 'skipped');
  t.match(w.reason, /primary up for 0 ms; failback after 300000 ms/);
  clock.t += 200_000;
  t.equal((await tgw.run(true)).outcome, 'skipped');
  // A flap restarts the wait.
  setTunnels(fake.state, VPN_P, [false, false]);
  clock.t += 10_000;
  t.equal((await tgw.run(true)).outcome, 'in-sync', 'down again: already on backup');
  setTunnels(fake.state, VPN_P, [true, true]);
  clock.t += 10_000;
  t.equal((await tgw.run(true)).outcome, 'skipped');
  clock.t += 299_000;
  t.equal((await tgw.run(true)).outcome, 'skipped', 'not yet 5 minutes since the flap');
  t.equal(fake.mutatingCalls().length, 0);
  clock.t += 1_000;
  const fb = await tgw.run(true);
  t.equal(fb.outcome, 'done', fb.reason ?? '');
  t.equal(fb.applied, 4);
  const back = tgwTargets(fake.state);
  t.equal(back[`${TGW_RTB_1} 10.100.0.0/16`], ATT_P);
  t.equal(back[`${TGW_RTB_1} pl-0fedcba9876543210`], ATT_P);
  t.equal(back[`${TGW_RTB_2} 10.100.0.0/16`], ATT_P);
  t.equal(back[`${TGW_RTB_2} 10.200.0.0/16`], ATT_VPC);
  t.match(tgw.status().pairs[0], { routesOn: 'primary' });
});

t.test('failover-after: the primary must stay down that long', async (t) => {
  const { fake, tgw, clock } = await setup(t, { 'failover-after': '30s' });
  setTunnels(fake.state, VPN_P, [false, false]);
  t.equal((await tgw.run(true)).outcome, 'skipped');
  clock.t += 20_000;
  setTunnels(fake.state, VPN_P, [true, false]);
  await tgw.run(true); // a blip up resets the timer
  setTunnels(fake.state, VPN_P, [false, false]);
  clock.t += 20_000;
  t.equal((await tgw.run(true)).outcome, 'skipped');
  clock.t += 30_000;
  t.equal((await tgw.run(true)).outcome, 'done');
});

t.test('primary and backup both down: refused, notified once, no call', async (t) => {
  const { fake, tgw, lines } = await setup(t);
  setTunnels(fake.state, VPN_P, [false, false]);
  setTunnels(fake.state, VPN_B, [false, false]);
  const r = await tgw.run(true);
  t.equal(r.outcome, 'refused');
  t.match(r.reason, /both have every tunnel down/);
  await tgw.run(true);
  t.equal(fake.mutatingCalls().length, 0);
  t.equal(lines.filter((l) => l.notice === 'refusal').length, 1, 'refusal notified once, not every poll');
});

t.test('an unhealthy appliance does not act', async (t) => {
  const { fake, tgw } = await setup(t);
  setTunnels(fake.state, VPN_P, [false, false]);
  t.equal((await tgw.run(false)).outcome, 'skipped');
  t.equal(fake.calls.length, 0);
});

t.test('dry run: no mutating call', async (t) => {
  const { fake, tgw } = await setup(t, { 'dry-run': true });
  setTunnels(fake.state, VPN_P, [false, false]);
  const r = await tgw.run(true);
  t.equal(r.outcome, 'dry-run');
  t.equal(r.planned.length, 4);
  t.equal(fake.mutatingCalls().length, 0);
});

t.test('throttled and a lost response during failover: completes once, verified', async (t) => {
  const { fake, tgw } = await setup(t);
  setTunnels(fake.state, VPN_P, [false, false]);
  fake.faults.push({ action: 'ReplaceTransitGatewayRoute', kind: 'throttle', skip: 1, times: 2 });
  fake.faults.push({ action: 'ReplaceTransitGatewayRoute', kind: 'apply-then-timeout', skip: 2, times: 1 });
  fake.faults.push({ action: 'SearchTransitGatewayRoutes', kind: 'server', skip: 2, times: 1 });
  const r = await tgw.run(true);
  t.equal(r.outcome, 'done', r.reason ?? '');
  t.equal(fake.changes.length, 4);
  t.equal(new Set(fake.changes).size, 4, 'no duplicate change');
});

t.test('missing permission names the action', async (t) => {
  const { fake, tgw } = await setup(t);
  setTunnels(fake.state, VPN_P, [false, false]);
  fake.denied.add('ReplaceTransitGatewayRoute');
  const r = await tgw.run(true);
  t.equal(r.outcome, 'incomplete');
  t.match(r.failures[0], /ec2:ReplaceTransitGatewayRoute: permission denied/);
  t.equal(fake.callsOf('ReplaceTransitGatewayRoute').length, 1);
});

t.test('pairing errors are clear', async (t) => {
  const { fake, tgw } = await setup(t);
  fake.state.vpns.push(vpn('vpn-0ddddddddddddddd01', 'primary', [true, true]));
  const r = await tgw.run(true);
  t.equal(r.outcome, 'error');
  t.match(r.reason, /dc1: pair "dc1": expected one VPN connection tagged dc1=primary and one tagged dc1=backup, found 2 primary and 1 backup/);
  fake.state.vpns.pop();
  fake.state.attachments = fake.state.attachments.filter((a) => a.resourceId !== VPN_B);
  const r2 = await tgw.run(true);
  t.match(r2.reason, /no Transit Gateway attachment found for vpn-0bbbbbbbbbbbbbb01/);
});

t.test('several pairs, explicit route tables', async (t) => {
  const fake = await startFakeAws(tgwState());
  t.teardown(() => fake.close());
  fake.state.vpns.push(vpn('vpn-0eeeeeeeeeeeeee01', 'primary', [true, true], 'dc2'), vpn('vpn-0fffffffffffffff01', 'backup', [true, true], 'dc2'));
  fake.state.attachments.push(
    { id: 'tgw-attach-0eeeeeeeeeeeee01', transitGatewayId: 'tgw-0123456789abcdef0', resourceId: 'vpn-0eeeeeeeeeeeeee01', resourceType: 'vpn', state: 'available' },
    { id: 'tgw-attach-0fffffffffffff01', transitGatewayId: 'tgw-0123456789abcdef0', resourceId: 'vpn-0fffffffffffffff01', resourceType: 'vpn', state: 'available' },
  );
  fake.state.tgwRouteTables[1]!.routes.push({ cidr: '10.50.0.0/16', attachmentId: 'tgw-attach-0eeeeeeeeeeeee01', type: 'static', state: 'active' });
  const { logger } = captureLogger();
  const api = new AwsApi(resolveSettings(awsCfg(), 'eu-west-1', overridesFor(fake)), logger);
  t.teardown(() => api.close());
  const cfg = fallbackCfg({ 'tgw-vpn': { pairs: ['dc1', 'dc2'], 'route-tables': [TGW_RTB_2] } }).tgwVpn!;
  const tgw = new TgwVpnFallback({ cfg, api, notifier: createNotifier({ logger }), logger, now: () => 0 });
  setTunnels(fake.state, 'vpn-0eeeeeeeeeeeeee01', [false, false]);
  setTunnels(fake.state, VPN_P, [false, false]);
  const r = await tgw.run(true);
  t.equal(r.outcome, 'done');
  t.same(fake.changes.sort(), [
    `${TGW_RTB_2} 10.100.0.0/16: ${ATT_P} -> ${ATT_B}`,
    `${TGW_RTB_2} 10.50.0.0/16: tgw-attach-0eeeeeeeeeeeee01 -> tgw-attach-0fffffffffffff01`,
  ].sort(), 'only the listed table; both pairs');
  t.equal(fake.callsOf('DescribeTransitGatewayRouteTables').length, 0, 'explicit tables: no discovery');
  t.equal(tgwTargets(fake.state)[`${TGW_RTB_1} 10.100.0.0/16`], ATT_P, 'unlisted table untouched');
  void VPN_B;
});

t.test('hostile answers: odd telemetry status, garbage body', async (t) => {
  const { fake, tgw } = await setup(t);
  setTunnels(fake.state, VPN_P, [false, false]);
  fake.faults.push({
    action: 'DescribeVpnConnections', kind: 'body', status: 200,
    body: `<DescribeVpnConnectionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><vpnConnectionSet><item><vpnConnectionId>${VPN_P}</vpnConnectionId><state>available</state><transitGatewayId>tgw-0123456789abcdef0</transitGatewayId><tagSet><item><key>dc1</key><value>primary</value></item></tagSet><vgwTelemetry><item><status>SIDEWAYS</status></item></vgwTelemetry></item></vpnConnectionSet></DescribeVpnConnectionsResponse>`,
  });
  const r = await tgw.run(true);
  t.equal(r.outcome, 'error');
  t.match(r.reason, /VgwTelemetry\[0\]\.Status is "SIDEWAYS" \(expected UP or DOWN\)/);
  fake.faults.push({ action: 'DescribeVpnConnections', kind: 'body', status: 200, body: '<html><body>502 Bad Gateway</body></html>' });
  const r2 = await tgw.run(true);
  t.equal(r2.outcome, 'error');
  t.equal(fake.mutatingCalls().length, 0, 'nothing changed on bad answers');
  t.equal((await tgw.run(true)).outcome, 'done', 'a good answer afterwards: acts');
});

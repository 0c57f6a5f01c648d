import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { makeFallbackCommand } from '../../src/cli/cmds/fallback/index.js';
import { makeIamPolicyCommand } from '../../src/cli/cmds/iam-policy/index.js';
import { makeRsStatusCommand } from '../../src/cli/cmds/rs-status/index.js';
import type { CliIo } from '../../src/cli/types.js';
import { FAKE_ACCESS_KEY, FAKE_SECRET, startFakeAws } from './fake/server.js';
import { ENI_A, ENI_B, overridesFor, RTB_A1, routeTablesState, setTunnels, targets, tgwState, tgwTargets, ATT_B, VPN_P, vif, VIF_1, VIF_2, VIF_3 } from './fixtures.js';

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '', env: {} as NodeJS.ProcessEnv, stdout: (s: string) => { o.out += s; }, stderr: (s: string) => { o.err += s; } };
  return o;
}

const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-aws-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** An example config from config/, with the fake endpoint and test credentials in `aws` (the documented lab override). */
function exampleWith(name: string, endpoint: string, patch: (doc: Record<string, any>) => void = () => undefined): string {
  const doc = parse(readFileSync(new URL(`../../config/${name}`, import.meta.url), 'utf8')) as Record<string, any>;
  doc.aws = { ...doc.aws, region: 'eu-west-1', endpoint, credentials: { 'access-key-id': FAKE_ACCESS_KEY, 'secret-access-key': FAKE_SECRET }, 'request-timeout': '1s' };
  patch(doc);
  const file = join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, stringify(doc));
  return file;
}

t.test('iam-policy: least privilege for exactly what is configured', async (t) => {
  const cmd = makeIamPolicyCommand();
  const rtIo = io();
  await cmd.handler({ config: 'config/fallback-route-tables.yaml' }, rtIo);
  const rt = JSON.parse(rtIo.out);
  t.equal(rt.Version, '2012-10-17');
  t.same(rt.Statement.map((s: { Sid: string }) => s.Sid), ['RouteTablesRead', 'RouteTablesReplace', 'Notify', 'RouteServerStatus']);
  t.same(rt.Statement[1].Resource, ['arn:aws:ec2:*:*:route-table/rtb-0a1b2c3d4e5f60001', 'arn:aws:ec2:*:*:route-table/rtb-0a1b2c3d4e5f60002', 'arn:aws:ec2:*:*:route-table/rtb-0a1b2c3d4e5f60003']);
  t.same(rt.Statement[1].Action, ['ec2:ReplaceRoute']);

  const tgwIo = io();
  await cmd.handler({ config: 'config/fallback-tgw-vpn.yaml', 'rs-status': false }, tgwIo);
  const tgw = JSON.parse(tgwIo.out);
  const actions = tgw.Statement.flatMap((s: { Action: string[] }) => s.Action).sort();
  t.same(actions, ['ec2:DescribeTransitGatewayAttachments', 'ec2:DescribeTransitGatewayRouteTables', 'ec2:DescribeVpnConnections', 'ec2:ModifyTransitGatewayPrefixListReference', 'ec2:ReplaceTransitGatewayRoute', 'ec2:SearchTransitGatewayRoutes', 'sns:Publish'].sort());
  t.notOk(JSON.stringify(tgw).includes('ReplaceRoute"'), 'no VPC route permission when not configured');

  const dxIo = io();
  await cmd.handler({ config: 'config/fallback-direct-connect.yaml' }, dxIo);
  const dx = JSON.parse(dxIo.out);
  t.same(dx.Statement.find((s: { Sid: string }) => s.Sid === 'DirectConnectFailoverTest').Resource, [
    'arn:aws:directconnect:eu-west-1:*:dxvif/dxvif-fg5xyz12', 'arn:aws:directconnect:eu-west-1:*:dxvif/dxvif-fg6abc34', 'arn:aws:directconnect:eu-west-1:*:dxvif/dxvif-fg7def56',
  ]);
  t.notOk(JSON.stringify(dx).includes('ec2:Replace'), 'no EC2 change permission');
});

t.test('every API action the code calls is in the policy the config yields', async (t) => {
  // Run each action against the fake and compare what was called with what the policy grants.
  const fake = await startFakeAws({ routeTables: routeTablesState(), ...tgwState(), vifs: [vif(VIF_1), vif(VIF_2), vif(VIF_3)] });
  t.teardown(() => fake.close());
  const file = exampleWith('fallback-route-tables.yaml', fake.url, (d) => {
    d.fallback = {
      'route-tables': { appliances: [{ eni: ENI_A, 'route-tables': [RTB_A1], health: { tcp: '127.0.0.1:1' } }, { eni: ENI_B, 'route-tables': ['rtb-0bbbbbbbbbbbbbb01'], health: { tcp: '127.0.0.1:1' } }] },
      'tgw-vpn': { pairs: ['dc1'] },
      'direct-connect': { 'virtual-interfaces': [{ id: VIF_1, 'alarm-on-verdict': true }, VIF_2, VIF_3], 'min-available': 1 },
    };
    d.aws.eni = ENI_B;
  });
  setTunnels(fake.state, VPN_P, [false, false]);
  const o = io();
  await makeFallbackCommand().handler({ action: 'route-tables', config: file, peer: 'down' }, o);
  await makeFallbackCommand().handler({ action: 'tgw-vpn', config: file, now: true }, o);
  await makeFallbackCommand().handler({ action: 'direct-connect', config: file, verdict: 'down' }, o);
  await makeFallbackCommand().handler({ action: 'direct-connect', config: file, stop: VIF_1 }, o);
  const pIo = io();
  await makeIamPolicyCommand().handler({ config: file }, pIo);
  const granted = new Set(JSON.parse(pIo.out).Statement.flatMap((s: { Action: string[] }) => s.Action));
  const called = new Set(fake.calls.map((c) => `${c.service}:${c.action}`));
  t.ok(called.size >= 10, `called ${[...called].join(', ')}`);
  for (const a of called) t.ok(granted.has(a), `${a} granted`);
});

t.test('fallback route-tables: dry run, then for real, with the aws.endpoint override from the config file', async (t) => {
  const fake = await startFakeAws({ routeTables: routeTablesState() });
  t.teardown(() => fake.close());
  const file = exampleWith('fallback-route-tables.yaml', fake.url, (d) => {
    d.aws.eni = ENI_B;
    delete d.aws['sns-topic-arn'];
    d.fallback['route-tables'].appliances[0].eni = ENI_A;
    d.fallback['route-tables'].appliances[0]['route-tables'] = [RTB_A1];
    d.fallback['route-tables'].appliances[0].health = { tcp: '127.0.0.1:1' }; // loopback only: nothing listens
    d.fallback['route-tables'].appliances[1].eni = ENI_B;
    d.fallback['route-tables'].appliances[1]['route-tables'] = ['rtb-0bbbbbbbbbbbbbb01'];
  });
  const cmd = makeFallbackCommand();
  const dry = io();
  t.equal(await cmd.handler({ action: 'route-tables', config: file, peer: 'down', 'dry-run': true }, dry), 0);
  t.match(dry.out, /^route-tables: dry-run: peer unhealthy: every route to eni-0bbbbbbbbbbbbbbb2\n {2}would rtb-0aaaaaaaaaaaaaa01 172\.16\.1\.1\/32: eni-0aaaaaaaaaaaaaaa1 -> eni-0bbbbbbbbbbbbbbb2/);
  t.equal(fake.mutatingCalls().length, 0);
  const real = io();
  t.equal(await cmd.handler({ action: 'route-tables', config: file, peer: 'down' }, real), 0);
  t.match(real.out, /^route-tables: done/);
  t.match(real.err, /"msg":"aws change"/, 'changes logged on stderr with request ids');
  t.equal(targets(fake.state)[`${RTB_A1} 172.16.1.1/32`], ENI_B);
  const again = io();
  await cmd.handler({ action: 'route-tables', config: file, peer: 'down', json: true }, again);
  t.match(JSON.parse(again.out), [{ fallback: 'route-tables', outcome: 'in-sync' }]);
  // --peer check: the configured TCP check (nothing listens on 127.0.0.1:1 -> down) decides.
  const chk = io();
  await cmd.handler({ action: 'route-tables', config: file }, chk);
  t.match(chk.err, /peer eni-0aaaaaaaaaaaaaaa1: down/);
});

t.test('fallback tgw-vpn --now and plan; refused exit code', async (t) => {
  const fake = await startFakeAws(tgwState());
  t.teardown(() => fake.close());
  const file = exampleWith('fallback-tgw-vpn.yaml', fake.url, (d) => {
    d.fallback['tgw-vpn'].pairs = ['dc1'];
    delete d.aws['sns-topic-arn'];
  });
  const cmd = makeFallbackCommand({ overrides: overridesFor(fake) });
  setTunnels(fake.state, VPN_P, [false, false]);
  const plan = io();
  t.equal(await cmd.handler({ action: 'plan', config: file }, plan), 0);
  t.match(plan.out, /tgw-vpn: dry-run/);
  t.equal(fake.mutatingCalls().length, 0);
  const waiting = io();
  await cmd.handler({ action: 'tgw-vpn', config: file }, waiting);
  t.match(waiting.out, /tgw-vpn: skipped: dc1: primary down for 0 ms; failover after 30000 ms/, 'without --now the flap guard applies');
  const now = io();
  t.equal(await cmd.handler({ action: 'tgw-vpn', config: file, now: true, pair: ['dc1'] }, now), 0);
  t.equal(tgwTargets(fake.state)['tgw-rtb-0aaaaaaaaaaaaaa01 10.100.0.0/16'], ATT_B);
  setTunnels(fake.state, 'vpn-0bbbbbbbbbbbbbb01', [false, false]);
  setTunnels(fake.state, VPN_P, [false, false]);
  fake.state.tgwRouteTables[0]!.routes[0]!.attachmentId = 'tgw-attach-0aaaaaaaaaaaaa01';
  const refused = io();
  t.equal(await cmd.handler({ action: 'tgw-vpn', config: file, now: true }, refused), 3);
  t.match(refused.out, /refused/);
  await t.rejects(cmd.handler({ action: 'tgw-vpn', config: file, pair: ['nope'] }, io()), /pair "nope" is not in fallback.tgw-vpn.pairs/);
});

t.test('fallback direct-connect --start/--stop and errors as one line', async (t) => {
  const fake = await startFakeAws({ vifs: [vif('dxvif-fg5xyz12'), vif('dxvif-fg6abc34'), vif('dxvif-fg7def56')] });
  t.teardown(() => fake.close());
  const file = exampleWith('fallback-direct-connect.yaml', fake.url, (d) => {
    d.aws['sns-topic-arn'] = 'arn:aws:sns:eu-west-1:123456789012:bgp-sidecar';
  });
  const cmd = makeFallbackCommand();
  const s1 = io();
  t.equal(await cmd.handler({ action: 'direct-connect', config: file, start: 'dxvif-fg6abc34' }, s1), 0);
  t.match(s1.out, /direct-connect: done\n {2}start 60 min failover test on dxvif-fg6abc34/);
  t.equal(await cmd.handler({ action: 'direct-connect', config: file, start: 'dxvif-fg7def56' }, io()), 0);
  const r = io();
  t.equal(await cmd.handler({ action: 'direct-connect', config: file, start: 'dxvif-fg5xyz12' }, r), 3, 'min-available 1: refused');
  t.equal(await cmd.handler({ action: 'direct-connect', config: file, stop: 'dxvif-fg6abc34' }, io()), 0);
  t.same(fake.changes, ['start test dxvif-fg6abc34', 'start test dxvif-fg7def56', 'stop test dxvif-fg6abc34']);
  t.equal(fake.state.published.length, 4, 'three actions and one refusal published');
  fake.denied.add('StartBgpFailoverTest');
  const d = io();
  t.equal(await cmd.handler({ action: 'direct-connect', config: file, start: 'dxvif-fg6abc34' }, d), 1);
  t.match(d.out, /failed: .*directconnect:StartBgpFailoverTest: permission denied/);
  await t.rejects(cmd.handler({ action: 'route-tables', config: file }, io()), /fallback.route-tables is not configured/);
  await t.rejects(cmd.handler({ action: 'bogus', config: file }, io()), /unknown action "bogus"/);
});

t.test('rs-status command', async (t) => {
  const fake = await startFakeAws({
    rsPeers: [{ id: 'rsp-0aaaaaaaaaaaaa01', routeServerId: 'rs-0123456789abcdef0', endpointId: 'rse-1', endpointAddress: '10.0.1.230', peerAddress: '10.0.1.203', peerAsn: 65001, liveness: 'bfd', state: 'available', bgpStatus: 'up', bfdStatus: 'up' }],
    rsRoutes: [{ routeServerId: 'rs-0123456789abcdef0', endpointId: 'rse-1', peerId: 'rsp-0aaaaaaaaaaaaa01', prefix: '172.16.1.1/32', nextHop: '10.0.1.203', status: 'in-fib', asPaths: [65001] }],
  });
  t.teardown(() => fake.close());
  const file = exampleWith('fallback-tgw-vpn.yaml', fake.url, (d) => { d.aws['private-ip'] = '10.0.1.203'; });
  const o = io();
  t.equal(await makeRsStatusCommand().handler({ config: file }, o), 0);
  t.match(o.out, /peer 10\.0\.1\.230 \(rsp-0aaaaaaaaaaaaa01\): state available, bgp up, bfd up/);
  t.match(o.out, /172\.16\.1\.1\/32 on rs-0123456789abcdef0: in FIB via 10\.0\.1\.203 \(us\)/);
  fake.state.rsRoutes.length = 0;
  t.equal(await makeRsStatusCommand().handler({ config: file, json: true }, io()), 3, 'prefix not in the FIB: exit 3');
});

import t from 'tap';
import { AwsApi, resolveSettings } from '../../src/aws/clients.js';
import { DirectConnectFallback, planDirectConnect, vifCondition } from '../../src/aws/direct-connect.js';
import { createNotifier } from '../../src/aws/notify.js';
import { startFakeAws } from './fake/server.js';
import { awsCfg, captureLogger, fallbackCfg, overridesFor, vif, VIF_1, VIF_2, VIF_3 } from './fixtures.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:bgp-sidecar';

async function setup(t: { teardown(fn: () => unknown): void }, o: { extra?: Record<string, unknown>; vifs?: ReturnType<typeof vif>[] } = {}) {
  const fake = await startFakeAws({ vifs: o.vifs ?? [vif(VIF_1), vif(VIF_2), vif(VIF_3)] });
  const { logger, lines } = captureLogger();
  const aws = awsCfg({ 'sns-topic-arn': TOPIC });
  const api = new AwsApi(resolveSettings(aws, 'eu-west-1', overridesFor(fake)), logger);
  const cfg = fallbackCfg({
    'direct-connect': {
      'virtual-interfaces': [{ id: VIF_1, 'alarm-on-verdict': true }, VIF_2, VIF_3],
      'min-available': 2,
      'test-duration-minutes': 30,
      ...o.extra,
    },
  }).directConnect!;
  const dx = new DirectConnectFallback({ cfg, api, notifier: createNotifier({ logger, api, topicArn: TOPIC }), logger, now: () => 0 });
  t.teardown(async () => {
    api.close();
    await fake.close();
  });
  return { fake, dx, lines, cfg };
}

t.test('classification (pure)', async (t) => {
  const base = { id: 'x', name: undefined };
  t.equal(vifCondition({ ...base, state: 'available', bgpPeers: [{ id: 'a', status: 'up', state: undefined }] }), 'available');
  t.equal(vifCondition({ ...base, state: 'available', bgpPeers: [{ id: 'a', status: 'up', state: undefined }, { id: 'b', status: 'down', state: undefined }] }), 'failed');
  t.equal(vifCondition({ ...base, state: 'available', bgpPeers: [] }), 'unavailable', 'no BGP peer: not usable, not ours to test');
  t.equal(vifCondition({ ...base, state: 'down', bgpPeers: [] }), 'failed');
  t.equal(vifCondition({ ...base, state: 'testing', bgpPeers: [] }), 'testing');
  t.equal(vifCondition({ ...base, state: 'verifying', bgpPeers: [] }), 'unavailable');
});

t.test('plan respects the minimum, in config order', async (t) => {
  const cfg = fallbackCfg({ 'direct-connect': { 'virtual-interfaces': [VIF_1, VIF_2, VIF_3], 'min-available': 2 } }).directConnect!;
  const up = (id: string) => ({ id, name: undefined, state: 'available', bgpPeers: [{ id: 'p', status: 'up' as const, state: undefined }] });
  const vifs = new Map([[VIF_1, up(VIF_1)], [VIF_2, up(VIF_2)], [VIF_3, up(VIF_3)]]);
  const p = planDirectConnect(cfg, vifs, new Set([VIF_1, VIF_2]), new Map());
  t.same(p.start.map((s) => s.vif), [VIF_1]);
  t.same(p.refuse.map((s) => s.vif), [VIF_2]);
  t.match(p.refuse[0]!.why, /would leave 1 available, minimum 2/);
});

t.test('alarm: test started, recovery: test stopped; every action published', async (t) => {
  const { fake, dx } = await setup(t);
  t.equal((await dx.run('up')).outcome, 'in-sync');
  t.equal(fake.mutatingCalls().length, 0);
  const r = await dx.run('down');
  t.equal(r.outcome, 'done', r.reason ?? '');
  t.same(fake.changes, [`start test ${VIF_1}`]);
  t.match(fake.callsOf('StartBgpFailoverTest')[0]!.params, { virtualInterfaceId: VIF_1, testDurationInMinutes: 30 });
  t.match(dx.status(), { available: 2, interfaces: [{ id: VIF_1, state: 'testing', ourTest: 'alarm' }, { id: VIF_2, condition: 'available' }, { id: VIF_3 }] });
  t.equal((await dx.run('down')).outcome, 'in-sync', 'already in test: no call');
  t.equal(fake.changes.length, 1);
  const r2 = await dx.run('up');
  t.equal(r2.outcome, 'done');
  t.same(fake.changes, [`start test ${VIF_1}`, `stop test ${VIF_1}`]);
  const msgs = fake.state.published.map((p) => JSON.parse(p.message) as { kind: string; summary: string });
  t.same(msgs.map((m) => m.kind), ['action', 'action']);
  t.match(msgs[0]!.summary, /started 30 min failover test on dxvif-fgaaaa01/);
  t.match(msgs[1]!.summary, /stopped failover test on dxvif-fgaaaa01 \(alarm cleared\)/);
});

t.test('failed interface: tested only if the minimum stays available; refusal notified once', async (t) => {
  const { fake, dx, lines } = await setup(t, { vifs: [vif(VIF_1), vif(VIF_2), vif(VIF_3, false)], extra: { 'min-available': 2 } });
  const r = await dx.run('up');
  t.equal(r.outcome, 'done', 'a failed interface does not count as available: testing it leaves 2');
  t.same(fake.changes, [`start test ${VIF_3}`]);
  // Alarm on VIF_1 now: 2 available, testing VIF_1 would leave 1 < 2.
  const r2 = await dx.run('down');
  t.equal(r2.outcome, 'refused');
  t.match(r2.reason, /dxvif-fgaaaa01: alarm: .* would leave 1 available, minimum 2/);
  await dx.run('down');
  t.equal(fake.changes.length, 1, 'no call');
  t.equal(lines.filter((l) => l.notice === 'refusal').length, 1);
  t.equal(fake.state.published.filter((p) => JSON.parse(p.message).kind === 'refusal').length, 1, 'refusal published once');
  // A test started for a failure is not stopped by the verdict recovering.
  await dx.run('up');
  t.same(fake.changes, [`start test ${VIF_3}`]);
});

t.test('manual start and stop (CLI), with the same minimum rule', async (t) => {
  const { fake, dx } = await setup(t, { extra: { 'min-available': 1 } });
  t.equal((await dx.manualStart(VIF_2)).outcome, 'done');
  t.equal((await dx.manualStart(VIF_3)).outcome, 'done');
  const r = await dx.manualStart(VIF_1);
  t.equal(r.outcome, 'refused');
  t.match(r.reason, /would leave 0 available, minimum 1/);
  t.equal((await dx.manualStop(VIF_2)).outcome, 'done');
  t.equal((await dx.manualStop(VIF_2)).outcome, 'refused', 'not in a test');
  t.same(fake.changes, [`start test ${VIF_2}`, `start test ${VIF_3}`, `stop test ${VIF_2}`]);
  await t.rejects(dx.manualStart('dxvif-fgzzzz99'), /not in fallback.direct-connect.virtual-interfaces/);
});

t.test('dry run: no mutating call', async (t) => {
  const { fake, dx } = await setup(t, { extra: { 'dry-run': true } });
  const r = await dx.run('down');
  t.equal(r.outcome, 'dry-run');
  t.equal(r.planned.length, 1);
  t.equal(fake.mutatingCalls().length, 0);
});

t.test('throttling and 5xx are retried by the SDK; permission errors are named', async (t) => {
  const { fake, dx } = await setup(t);
  fake.faults.push({ action: 'DescribeVirtualInterfaces', kind: 'throttle', times: 1 });
  fake.faults.push({ action: 'StartBgpFailoverTest', kind: 'server', times: 1 });
  t.equal((await dx.run('down')).outcome, 'done');
  t.same(fake.changes, [`start test ${VIF_1}`]);
  fake.denied.add('StopBgpFailoverTest');
  const r = await dx.run('up');
  t.equal(r.outcome, 'incomplete');
  t.match(r.failures[0], /directconnect:StopBgpFailoverTest: permission denied \(AccessDeniedException\)/);
});

t.test('unknown interface and hostile answers', async (t) => {
  const { fake, dx } = await setup(t, { vifs: [vif(VIF_1), vif(VIF_2)] });
  const r = await dx.run('up');
  t.equal(r.outcome, 'error');
  t.match(r.reason, /not found in this account\/region: dxvif-fgcccc03/);
  fake.state.vifs.push(vif(VIF_3));
  fake.faults.push({ action: 'DescribeVirtualInterfaces', kind: 'body', status: 200, body: JSON.stringify({ virtualInterfaces: [{ virtualInterfaceId: VIF_1, virtualInterfaceState: 'available', bgpPeers: [{ bgpStatus: 'sideways' }] }] }) });
  const r2 = await dx.run('down');
  t.equal(r2.outcome, 'error');
  t.match(r2.reason, /bgpStatus is "sideways"/);
  t.equal(fake.mutatingCalls().length, 0);
});

t.test('SNS is called in the topic\'s own region', async (t) => {
  const fake = await startFakeAws({ vifs: [vif(VIF_1), vif(VIF_2), vif(VIF_3)] });
  t.teardown(() => fake.close());
  const { logger } = captureLogger();
  const topic = 'arn:aws:sns:us-east-1:123456789012:alerts';
  const api = new AwsApi(resolveSettings(awsCfg({ 'sns-topic-arn': topic }), 'eu-west-1', overridesFor(fake)), logger);
  t.teardown(() => api.close());
  const cfg = fallbackCfg({ 'direct-connect': { 'virtual-interfaces': [{ id: VIF_1, 'alarm-on-verdict': true }, VIF_2, VIF_3], 'min-available': 1 } }).directConnect!;
  const dx = new DirectConnectFallback({ cfg, api, notifier: createNotifier({ logger, api, topicArn: topic }), logger, now: () => 0 });
  await dx.run('down');
  t.same(fake.calls.map((c) => `${c.service}:${c.region}`), ['directconnect:eu-west-1', 'directconnect:eu-west-1', 'sns:us-east-1', 'directconnect:eu-west-1']);
});

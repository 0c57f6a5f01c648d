import t from 'tap';
import { AwsApi, resolveSettings } from '../../src/aws/clients.js';
import { createNotifier } from '../../src/aws/notify.js';
import { desiredTargets, planRouteChanges, RouteTablesFallback } from '../../src/aws/route-tables.js';
import { startFakeAws, type FakeAws } from './fake/server.js';
import {
  awsCfg, captureLogger, ENI_A, ENI_B, ENI_OTHER, overridesFor, RTB_A1, RTB_A2, RTB_B1, routeTablesFallback, routeTablesState, targets,
} from './fixtures.js';

async function setup(t: { teardown(fn: () => unknown): void }, o: { extra?: Record<string, unknown>; self?: string; topic?: boolean } = {}) {
  const fake = await startFakeAws({ routeTables: routeTablesState() });
  const { logger, lines } = captureLogger();
  const aws = awsCfg(o.topic ? { 'sns-topic-arn': 'arn:aws:sns:eu-west-1:123456789012:bgp-sidecar' } : {});
  const api = new AwsApi(resolveSettings(aws, 'eu-west-1', overridesFor(fake)), logger);
  const notifier = createNotifier({ logger, api, ...(aws.snsTopicArn ? { topicArn: aws.snsTopicArn } : {}) });
  const cfg = routeTablesFallback(o.extra);
  const rt = new RouteTablesFallback({ cfg: cfg.routeTables!, selfEni: o.self ?? ENI_A, api, notifier, logger, now: () => 0 });
  t.teardown(async () => {
    api.close();
    await fake.close();
  });
  return { fake, rt, lines, api };
}

t.test('decision table (pure)', async (t) => {
  const cfg = routeTablesFallback().routeTables!;
  t.match(desiredTargets(cfg, ENI_A, { self: false, peer: false }), { skip: /not healthy/ }, 'both down: nothing');
  t.match(desiredTargets(cfg, ENI_A, { self: false, peer: true }), { skip: /only a healthy appliance acts/ });
  t.match(desiredTargets(cfg, ENI_A, { self: true, peer: undefined }), { skip: /peer health not known/ });
  t.match(desiredTargets(cfg, ENI_A, { self: undefined, peer: true }), { skip: /own health not known/ });
  t.match(desiredTargets(cfg, ENI_OTHER, { self: true, peer: true }), { skip: /not one of the configured/ });
  const both = desiredTargets(cfg, ENI_A, { self: true, peer: true });
  t.same('targets' in both && Object.fromEntries(both.targets), { [RTB_A1]: ENI_A, [RTB_A2]: ENI_A, [RTB_B1]: ENI_B });
  const alone = desiredTargets(cfg, ENI_B, { self: true, peer: false });
  t.same('targets' in alone && Object.fromEntries(alone.targets), { [RTB_A1]: ENI_B, [RTB_A2]: ENI_B, [RTB_B1]: ENI_B });
});

t.test('plan touches only routes targeting the two ENIs', async (t) => {
  const tables = routeTablesState().map((x) => ({ id: x.id, vpcId: x.vpcId, routes: x.routes.map((r) => ({ destination: r.destination, eni: r.eni, state: r.state, origin: r.origin })) }));
  const all = new Map([[RTB_A1, ENI_B], [RTB_A2, ENI_B], [RTB_B1, ENI_B]]);
  const plan = planRouteChanges(tables, all, new Set([ENI_A, ENI_B]));
  t.same(plan.map((c) => `${c.table} ${c.destination.value}`).sort(), [
    `${RTB_A1} 0.0.0.0/0`, `${RTB_A1} 172.16.1.1/32`, `${RTB_A1} 2001:db8:100::/48`, `${RTB_A1} pl-0123456789abcdef0`, `${RTB_A2} 172.16.1.1/32`,
  ].sort());
  const only = planRouteChanges(tables, all, new Set([ENI_A, ENI_B]), ['2001:DB8:100:0::/48', '172.16.1.1/32']);
  t.same(only.map((c) => `${c.table} ${c.destination.value}`).sort(), [`${RTB_A1} 172.16.1.1/32`, `${RTB_A1} 2001:db8:100::/48`, `${RTB_A2} 172.16.1.1/32`].sort(), 'destinations filter, IPv6 compared canonically');
});

t.test('failover: peer A fails, B (healthy) repoints every listed route; failback restores zones', async (t) => {
  const { fake, rt, lines } = await setup(t, { self: ENI_B });
  const r1 = await rt.run({ self: true, peer: false });
  t.equal(r1.outcome, 'done', r1.reason ?? '');
  t.equal(r1.applied, 5);
  const after = targets(fake.state);
  for (const k of [`${RTB_A1} 172.16.1.1/32`, `${RTB_A1} 0.0.0.0/0`, `${RTB_A1} 2001:db8:100::/48`, `${RTB_A1} pl-0123456789abcdef0`, `${RTB_A2} 172.16.1.1/32`, `${RTB_B1} 0.0.0.0/0`]) {
    t.equal(after[k], ENI_B, k);
  }
  t.equal(after[`${RTB_A1} 192.168.0.0/16`], ENI_OTHER, 'route to a third ENI untouched');
  t.equal(after[`${RTB_A1} 198.51.100.0/24`], 'igw-0123456789abcdef0', 'gateway route untouched');
  t.equal(fake.changes.length, 5);
  // every mutating call logged with its request id
  const changeLogs = lines.filter((l) => l.msg === 'aws change');
  t.equal(changeLogs.length, 5);
  t.ok(changeLogs.every((l) => typeof l.requestId === 'string' && (l.requestId as string).length > 10), 'request ids logged');
  // verified by a re-read
  t.equal(fake.callsOf('DescribeRouteTables').length, 2, 'plan read + verify read');

  fake.reset();
  const r2 = await rt.run({ self: true, peer: false });
  t.equal(r2.outcome, 'in-sync', 'second run with the same view');
  t.equal(fake.mutatingCalls().length, 0, 'no mutating call');

  const r3 = await rt.run({ self: true, peer: true });
  t.equal(r3.outcome, 'done');
  const back = targets(fake.state);
  t.equal(back[`${RTB_A1} 172.16.1.1/32`], ENI_A);
  t.equal(back[`${RTB_A2} 172.16.1.1/32`], ENI_A);
  t.equal(back[`${RTB_B1} 172.16.1.1/32`], ENI_B);
  t.equal(fake.changes.length, 5, 'failback: exactly the 5 zone-A routes');
});

t.test('both appliances down: no AWS change, refusal notified once', async (t) => {
  const { fake, rt } = await setup(t, { topic: true });
  const r = await rt.run({ self: false, peer: false });
  t.equal(r.outcome, 'refused');
  t.match(r.reason, /both appliances are unhealthy/);
  await rt.run({ self: false, peer: false });
  t.same(fake.calls.map((c) => c.action), ['Publish'], 'no EC2 call at all; one notification');
  t.equal((await rt.run({ self: false, peer: true })).outcome, 'skipped', 'unhealthy, peer healthy: the peer acts, not us');
});

t.test('dry run is notified once per plan, not on every reconcile', async (t) => {
  const { fake, rt } = await setup(t, { self: ENI_B, extra: { 'dry-run': true }, topic: true });
  await rt.run({ self: true, peer: false });
  await rt.run({ self: true, peer: false });
  await rt.run({ self: true, peer: false });
  t.equal(fake.state.published.length, 1);
  fake.state.routeTables[1]!.routes[1]!.eni = ENI_B; // the plan shrinks: notified again
  await rt.run({ self: true, peer: false });
  t.equal(fake.state.published.length, 2);
});

t.test('routes already correct: reads only, no mutating call', async (t) => {
  const { fake, rt } = await setup(t);
  const r = await rt.run({ self: true, peer: true });
  t.equal(r.outcome, 'in-sync');
  t.equal(fake.mutatingCalls().length, 0);
  t.equal(fake.callsOf('DescribeRouteTables').length, 1);
});

t.test('two appliances with the same view never fight', async (t) => {
  const fake = await startFakeAws({ routeTables: routeTablesState() });
  t.teardown(() => fake.close());
  const mk = (self: string) => {
    const { logger } = captureLogger();
    const api = new AwsApi(resolveSettings(awsCfg(), 'eu-west-1', overridesFor(fake)), logger);
    t.teardown(() => api.close());
    return new RouteTablesFallback({ cfg: routeTablesFallback().routeTables!, selfEni: self, api, notifier: createNotifier({ logger }), logger, now: () => 0 });
  };
  const a = mk(ENI_A);
  const b = mk(ENI_B);
  // A was down, B took everything; A comes back: both see both healthy.
  await b.run({ self: true, peer: false });
  const n = fake.changes.length;
  await a.run({ self: true, peer: true });
  await b.run({ self: true, peer: true });
  await a.run({ self: true, peer: true });
  t.equal(fake.changes.length - n, 5, 'only the failback changes, once');
  // A down again: only B acts (A is unhealthy and skips).
  const m = fake.changes.length;
  t.equal((await a.run({ self: false, peer: true })).outcome, 'skipped');
  await b.run({ self: true, peer: false });
  await b.run({ self: true, peer: false });
  t.equal(fake.changes.length - m, 5);
});

t.test('throttling in the middle of a multi-route failover: completes, no duplicate change', async (t) => {
  const { fake, rt } = await setup(t, { self: ENI_B });
  // 3rd ReplaceRoute throttled twice, then a lost response (applied, then no answer) on the 4th.
  fake.faults.push({ action: 'ReplaceRoute', kind: 'throttle', skip: 2, times: 2 });
  fake.faults.push({ action: 'ReplaceRoute', kind: 'apply-then-timeout', skip: 3, times: 1 });
  const r = await rt.run({ self: true, peer: false });
  t.equal(r.outcome, 'done', r.reason ?? '');
  t.equal(r.applied, 5);
  t.equal(fake.changes.length, 5, 'each route changed exactly once');
  t.equal(new Set(fake.changes).size, 5, 'no duplicate change');
  t.same(fake.callsOf('ReplaceRoute').map((c) => c.result), ['ok', 'ok', 'RequestLimitExceeded', 'RequestLimitExceeded', 'ok', 'apply-then-timeout', 'ok', 'ok']);
  t.ok(Object.entries(targets(fake.state)).filter(([k]) => k.startsWith(RTB_A1) || k.startsWith(RTB_A2)).every(([k, v]) => v === ENI_B || k.includes('192.168') || k.includes('198.51') || k.includes('10.10.0.0')));
});

t.test('retries exhausted: incomplete, nothing claimed, next run finishes the job', async (t) => {
  const { fake, rt } = await setup(t, { self: ENI_B });
  fake.faults.push({ action: 'ReplaceRoute', kind: 'server', skip: 1, times: 4 }); // maxAttempts 4: one route fails for good
  const r = await rt.run({ self: true, peer: false });
  t.equal(r.outcome, 'incomplete');
  t.equal(r.applied, 4);
  t.match(r.failures[0], /AWS server error 500 \(after 4 attempts\)/);
  const r2 = await rt.run({ self: true, peer: false });
  t.equal(r2.outcome, 'done');
  t.equal(r2.applied, 1, 'only the missing route');
  t.equal(fake.changes.length, 5);
});

t.test('dry run: plans, notifies, makes no mutating call', async (t) => {
  const { fake, rt, lines } = await setup(t, { self: ENI_B, extra: { 'dry-run': true }, topic: true });
  const r = await rt.run({ self: true, peer: false });
  t.equal(r.outcome, 'dry-run');
  t.equal(r.planned.length, 5);
  t.equal(fake.mutatingCalls().length, 0);
  t.equal(fake.changes.length, 0);
  t.ok(lines.some((l) => l.notice === 'dry-run' && /would replace 5 route/.test(l.msg)));
  t.equal(fake.state.published.length, 1, 'dry run published to SNS');
  t.match(JSON.parse(fake.state.published[0]!.message), { kind: 'dry-run', fallback: 'route-tables' });
});

t.test('missing permission: clear error naming the action, stops at the first refusal', async (t) => {
  const { fake, rt } = await setup(t, { self: ENI_B });
  fake.denied.add('ReplaceRoute');
  const r = await rt.run({ self: true, peer: false });
  t.equal(r.outcome, 'incomplete');
  t.match(r.failures[0], /ec2:ReplaceRoute: permission denied \(UnauthorizedOperation\): grant "ec2:ReplaceRoute"/);
  t.equal(fake.callsOf('ReplaceRoute').length, 1, 'no hammering with calls that must fail');
  fake.denied.clear();
  fake.denied.add('DescribeRouteTables');
  const r2 = await rt.run({ self: true, peer: false });
  t.equal(r2.outcome, 'error');
  t.match(r2.reason, /ec2:DescribeRouteTables: permission denied/);
});

t.test('hostile answers: malformed route, missing table', async (t) => {
  const { fake, rt } = await setup(t, { self: ENI_B });
  fake.faults.push({
    action: 'DescribeRouteTables', kind: 'body', status: 200,
    body: `<DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><routeTableSet><item><routeTableId>${RTB_A1}</routeTableId><routeSet><item><networkInterfaceId>${ENI_A}</networkInterfaceId></item></routeSet></item></routeTableSet></DescribeRouteTablesResponse>`,
  });
  const r = await rt.run({ self: true, peer: false });
  t.equal(r.outcome, 'error');
  t.match(r.reason, /unexpected answer: .*Routes\[0\] has 0 destinations/);
  t.equal(fake.mutatingCalls().length, 0, 'no change on a bad read');
  fake.state.routeTables.splice(2, 1);
  const r2 = await rt.run({ self: true, peer: false });
  t.equal(r2.outcome, 'error');
  t.match(r2.reason, /InvalidRouteTableID.NotFound/);
});

t.test('a request that never gets an answer times out and is retried', async (t) => {
  const { fake, rt } = await setup(t, { self: ENI_B });
  fake.faults.push({ action: 'ReplaceRoute', kind: 'timeout', skip: 1, times: 1 });
  const r = await rt.run({ self: true, peer: false });
  t.equal(r.outcome, 'done', r.reason ?? '');
  t.same(fake.callsOf('ReplaceRoute').map((c) => c.result), ['ok', 'timeout', 'ok', 'ok', 'ok', 'ok']);
  t.equal(fake.changes.length, 5);
});

t.test('close() aborts a call in progress instead of waiting for its retries', async (t) => {
  const { fake, rt, api } = await setup(t, { self: ENI_B });
  fake.faults.push({ action: 'DescribeRouteTables', kind: 'timeout', times: 10 });
  const started = Date.now();
  const p = rt.run({ self: true, peer: false });
  await new Promise((r) => setTimeout(r, 100));
  api.close();
  const r = await p;
  t.equal(r.outcome, 'error');
  t.match(r.reason, /aborted/);
  t.ok(Date.now() - started < 3000, 'returned well before 4 attempts x 1 s timeouts');
  t.equal(fake.mutatingCalls().length, 0);
});

t.test('a failed SNS publish is logged and does not stop the action', async (t) => {
  const { fake, rt, lines } = await setup(t, { self: ENI_B, topic: true });
  fake.denied.add('Publish');
  const r = await rt.run({ self: true, peer: false });
  t.equal(r.outcome, 'done');
  t.equal(fake.changes.length, 5);
  t.ok(lines.some((l) => l.msg === 'sns publish failed' && /sns:Publish: permission denied/.test(String(l.err))));
});

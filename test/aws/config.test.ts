import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { loadConfigFile } from '../../src/config/load.js';
import { awsSchema, fallbackSchema } from '../../src/config/aws.js';

function problems(schema: typeof fallbackSchema | typeof awsSchema, input: unknown): string[] {
  const r = schema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

t.test('every config/fallback-*.yaml example is a complete, valid sidecar config', async (t) => {
  const files = readdirSync('config').filter((f) => /^fallback-.*\.yaml$/.test(f)).sort();
  t.same(files, ['fallback-direct-connect.yaml', 'fallback-route-tables.yaml', 'fallback-tgw-vpn.yaml']);
  for (const f of files) {
    const { config, warnings } = await loadConfigFile(`config/${f}`);
    t.ok(config.fallback, `${f}: fallback parsed`);
    t.same(warnings.map((w) => w.message), [], `${f}: no warnings`);
  }
  const rt = (await loadConfigFile('config/fallback-route-tables.yaml')).config;
  t.match(rt.fallback?.routeTables, { peerCheck: { intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 }, reconcileIntervalMs: 60_000, dryRun: false });
  t.match(rt.aws, { maxAttempts: 5, requestTimeoutMs: 5000, imdsEndpoint: 'http://169.254.169.254' });
  const tgw = (await loadConfigFile('config/fallback-tgw-vpn.yaml')).config;
  t.match(tgw.fallback?.tgwVpn, { pairs: ['dc1', 'dc2'], failoverAfterMs: 30_000, failbackAfterMs: 600_000, pollIntervalMs: 15_000 });
  const dx = (await loadConfigFile('config/fallback-direct-connect.yaml')).config;
  t.match(dx.fallback?.directConnect, { minAvailable: 1, testDurationMinutes: 60, virtualInterfaces: [{ id: 'dxvif-fg5xyz12', alarmOnVerdict: true }, { id: 'dxvif-fg6abc34', alarmOnVerdict: false }, {}] });
  // Every key the examples use is documented in docs/aws.md.
  const doc = readFileSync('docs/aws.md', 'utf8');
  for (const f of files) {
    const keys = new Set([...readFileSync(`config/${f}`, 'utf8').matchAll(/^\s*#?\s*([a-z][a-z0-9-]+):/gm)].map((m) => m[1]!));
    for (const k of ['local-asn', 'prefixes', 'peers', 'address', 'asn', 'hold-time', 'health', 'interval', 'checks', 'name', 'type', 'host']) keys.delete(k);
    for (const k of keys) t.ok(doc.includes(`\`${k}\``), `${f}: key ${k} documented in docs/aws.md`);
  }
});

t.test('defaults and the global dry-run', async (t) => {
  const f = fallbackSchema.parse({
    'dry-run': true,
    'tgw-vpn': { pairs: ['a'] },
    'direct-connect': { 'virtual-interfaces': ['dxvif-fgaaaa01', 'dxvif-fgbbbb02'], 'min-available': 1 },
  });
  t.equal(f.tgwVpn?.dryRun, true, 'global dry-run applies to each action');
  t.equal(f.directConnect?.dryRun, true);
  t.equal(f.tgwVpn?.failbackAfterMs, 600_000);
  t.equal(f.tgwVpn?.failoverAfterMs, 0);
  t.equal(fallbackSchema.parse({ 'tgw-vpn': { pairs: ['a'], 'failback-after': false } }).tgwVpn?.failbackAfterMs, false);
  t.same(awsSchema.parse({}), { imdsEndpoint: 'http://169.254.169.254', maxAttempts: 5, requestTimeoutMs: 5000 });
});

t.test('errors name the path and what was expected', async (t) => {
  const rt = (appliances: unknown, extra: Record<string, unknown> = {}) => ({ 'route-tables': { appliances, ...extra } });
  const a = { eni: 'eni-0aaaaaaaaaaaaaaa1', 'route-tables': ['rtb-0aaaaaaaaaaaaaa01'] };
  const b = { eni: 'eni-0bbbbbbbbbbbbbbb2', 'route-tables': ['rtb-0bbbbbbbbbbbbbb01'] };
  t.match(problems(fallbackSchema, rt([a])), ['route-tables.appliances: expected exactly two appliances (active-active across two zones), got 1']);
  t.match(problems(fallbackSchema, rt([a, { ...b, eni: a.eni }])), [/appliances.1.eni: expected a different ENI/]);
  t.match(problems(fallbackSchema, rt([a, { ...b, 'route-tables': a['route-tables'] }])), [/route-tables: expected each route table under one appliance only/]);
  t.match(problems(fallbackSchema, rt([{ ...a, eni: 'eni-1' }, b])), [/appliances.0.eni: expected a network interface id like "eni-0123456789abcdef0", got "eni-1"/]);
  t.match(problems(fallbackSchema, rt([{ ...a, health: { tcp: '10.0.0.1:179', http: 'http://x/' } }, b])), [/expected exactly one of tcp/]);
  t.match(problems(fallbackSchema, rt([{ ...a, health: { tcp: 'host:179' } }, b])), [/expected "host:port"/]);
  t.match(problems(fallbackSchema, rt([a, b], { 'peer-check': { interval: 2 } })), [/peer-check.interval: expected a duration with a unit/]);
  t.match(problems(fallbackSchema, rt([a, b], { 'peer-check': { interval: '1s', timeout: '2s' } })), [/timeout: expected a timeout no longer than the interval \(1s\), got 2s/]);
  t.match(problems(fallbackSchema, rt([a, b], { destinations: ['10.0.0.0/33'] })), [/destinations.0: expected an IPv4 or IPv6 CIDR/]);
  t.match(problems(fallbackSchema, rt([a, b], { colour: 'red' })), [/Unrecognized key|colour/]);
  t.match(problems(fallbackSchema, { 'tgw-vpn': { pairs: ['a', 'a'] } }), [/expected each pair once, "a" is listed twice/]);
  t.match(problems(fallbackSchema, { 'tgw-vpn': { pairs: ['a'], 'failback-after': 10 } }), [/failback-after: expected a duration .* or false \(never fail back\), got 10/]);
  t.match(problems(fallbackSchema, { 'direct-connect': { 'virtual-interfaces': ['dxvif-fgaaaa01'], 'min-available': 1 } }), [/min-available: expected fewer than the 1 listed interfaces/]);
  t.match(problems(fallbackSchema, { 'direct-connect': { 'virtual-interfaces': ['dxvif-fgaaaa01', 'dxvif-fgbbbb02'], 'min-available': 0, 'test-duration-minutes': 5000 } }), [/test-duration-minutes: expected an integer 1..4320, got 5000/]);
  t.match(problems(awsSchema, { region: 'Europe' }), [/region: expected an AWS region like "eu-west-1", got "Europe"/]);
  t.match(problems(awsSchema, { endpoint: 'ftp://x' }), [/endpoint: expected an http:\/\/ or https:\/\/ URL/]);
  t.match(problems(awsSchema, { 'sns-topic-arn': 'arn:aws:sqs:eu-west-1:123456789012:q' }), [/sns-topic-arn: expected an SNS topic ARN/]);
  t.match(problems(awsSchema, { 'max-attempts': 0 }), [/max-attempts: expected an integer 1..10, got 0/]);
});

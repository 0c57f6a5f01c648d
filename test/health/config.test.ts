import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationSchema, healthConfigShape, healthSchema, hooksSchema, loopbackSchema, parseDuration } from '../../src/config/health.js';

const issues = (schema: z.ZodType, raw: unknown): string[] => {
  const r = schema.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

t.test('durations: units required, range checked', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('5s'), 5000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h'), 3_600_000);
  t.equal(parseDuration('5'), undefined);
  t.equal(parseDuration('5 sec'), undefined);
  t.equal(parseDuration('-1s'), undefined);
  const d = durationSchema(100, 60_000);
  t.equal(d.parse('2s'), 2000);
  t.match(issues(d, 5), [/expected a duration with a unit .* bare number 5/]);
  t.match(issues(d, '5x'), [/expected a duration such as .* \(got "5x"\)/]);
  t.match(issues(d, '50ms'), [/expected a duration in 100ms\.\.1m \(got "50ms"\)/]);
  t.match(issues(d, true), [/expected a duration string .* \(got boolean\)/]);
});

const EXAMPLE = `
health:
  combine: all
  rise: 3
  fall: 2
  interval: 5s
  fast-interval: 1s
  start-state: init
  announce-before-verdict: false
  checks:
    - { name: web, type: http, url: "http://127.0.0.1:8080/health", expect-status: [200, 299], body-contains: ok, timeout: 2s }
    - { type: tcp, host: 127.0.0.1, port: 443 }
    - { type: exec, command: /usr/local/bin/check, args: [--fast], timeout: 3s }
    - { type: file, path: /etc/bgp-sidecar/maintenance }
    - { type: interface, name: eth0 }
    - { type: icmp, host: 10.0.0.1, count: 3, timeout: 1s }
policy:
  role: active
  failback-delay: 30s
  up: { prepend: 0, med: 100 }
  down: { withdraw: true }
  maintenance: { prepend: 5 }
loopback: { manage: true, interface: lo }
hooks: { command: [/usr/local/bin/notify], timeout: 5s, sns-topic-arn: "arn:aws:sns:eu-west-1:123456789012:bgp-sidecar" }
`;

t.test('the documented example parses into camelCase, defaulted config', async (t) => {
  const cfg = z.object(healthConfigShape).parse(parseYaml(EXAMPLE));
  t.match(cfg.health, { combine: { mode: 'all' }, rise: 3, fall: 2, intervalMs: 5000, fastIntervalMs: 1000, startState: 'init', announceBeforeVerdict: false });
  t.same(cfg.health.checks.map((c) => c.name), ['web', 'tcp:127.0.0.1:443', 'exec:check', 'file:/etc/bgp-sidecar/maintenance', 'interface:eth0', 'icmp:10.0.0.1']);
  t.match(cfg.health.checks[0], { type: 'http', expectStatus: [200, 299], bodyContains: 'ok', timeoutMs: 2000, tlsVerify: true, method: 'GET', rise: 3, fall: 2 });
  t.match(cfg.health.checks[2], { type: 'exec', command: '/usr/local/bin/check', args: ['--fast'], timeoutMs: 3000, outputLimit: 4096 });
  t.match(cfg.health.checks[4], { type: 'interface', interface: 'eth0', timeoutMs: 1000 });
  t.match(cfg.health.checks[5], { type: 'icmp', host: '10.0.0.1', count: 3, minReplies: 1, timeoutMs: 1000 });
  t.same(cfg.policy, { role: 'active', up: { withdraw: false, prepend: 0, med: 100 }, down: { withdraw: true }, maintenance: { withdraw: false, prepend: 5 }, failbackDelayMs: 30_000, failbackPrepend: 3 });
  t.same(cfg.loopback, { manage: true, interface: 'lo' });
  t.same(cfg.hooks, { command: ['/usr/local/bin/notify'], timeoutMs: 5000, snsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:bgp-sidecar', snsRegion: 'eu-west-1' });
});

t.test('defaults for the optional keys', async (t) => {
  const cfg = z.object(healthConfigShape).parse({ health: { checks: [{ type: 'tcp', host: '::1', port: 22, interval: '10s', rise: 1 }] } });
  t.match(cfg.health.checks[0], { intervalMs: 10_000, fastIntervalMs: 1000, rise: 1, fall: 3, timeoutMs: 2000 });
  t.same(cfg.loopback, { manage: false, interface: 'lo' });
  t.same(cfg.hooks, { timeoutMs: 5000 });
  t.match(cfg.policy, { up: { prepend: 0 }, down: { withdraw: true }, maintenance: { withdraw: true }, failbackDelayMs: 0 });
  t.same(healthSchema.parse({ combine: { 'at-least': 1 }, checks: [{ type: 'https', url: 'https://h/', 'expect-status': 204, 'tls-verify': false, ca: '/ca.pem' }] }).checks[0],
    { name: 'https:https://h/', intervalMs: 5000, fastIntervalMs: 1000, timeoutMs: 2000, rise: 3, fall: 3, type: 'https', url: 'https://h/', method: 'GET',
      expectStatus: [204, 204], tlsVerify: false, caFile: '/ca.pem', headers: {} });
});

t.test('health errors name the path and what was expected', async (t) => {
  t.match(issues(healthSchema, {}), [/^checks: expected a list of checks/]);
  t.match(issues(healthSchema, { checks: [] }), [/^checks: expected at least one check/]);
  t.match(issues(healthSchema, { checks: [{ type: 'snmp' }] }), [/^checks\.0\.type: expected check type one of tcp, icmp, http/]);
  t.match(issues(healthSchema, { checks: [{ host: 'x' }] }), [/^checks\.0\.type: expected check type/]);
  t.match(issues(healthSchema, { interval: 5, checks: [{ type: 'tcp', host: 'h', port: 1 }] }), [/^interval: expected a duration with a unit/]);
  t.match(issues(healthSchema, { checks: [{ type: 'tcp', host: 'h', port: 70000 }] }), [/^checks\.0\.port: expected a TCP port in 1\.\.65535/]);
  t.match(issues(healthSchema, { checks: [{ type: 'tcp', host: 'h', port: 1, prot: 1 }] }), [/^checks\.0: Unrecognized key: "prot"/]);
  t.match(issues(healthSchema, { combine: 'most', checks: [{ type: 'tcp', host: 'h', port: 1 }] }), [/^combine: expected "all", "any" or \{ at-least: N \}/]);
  t.match(issues(healthSchema, { combine: { 'at-least': 2 }, checks: [{ type: 'tcp', host: 'h', port: 1 }, { type: 'file', path: '/m' }] }),
    [/^combine\.at-least: expected at-least <= the number of pass\/fail checks \(1;/]);
  t.match(issues(healthSchema, { 'start-state': 'rising', checks: [{ type: 'tcp', host: 'h', port: 1 }] }), [/^start-state: expected start-state init, down or up/]);
  t.match(issues(healthSchema, { checks: [{ type: 'icmp', host: 'gw.example' }] }), [/^checks\.0\.host: expected an IPv4 or IPv6 address/]);
  t.match(issues(healthSchema, { checks: [{ type: 'icmp', host: '10.0.0.256' }] }), [/^checks\.0\.host: expected an IPv4 or IPv6 address/]);
  t.same(issues(healthSchema, { checks: [{ type: 'icmp', host: '::ffff:10.0.0.1' }] }), []);
  t.match(issues(healthSchema, { checks: [{ type: 'icmp', host: '10.0.0.1', count: 2, 'min-replies': 3 }] }), [/^checks\.0\.min-replies: expected min-replies <= count/]);
  t.match(issues(healthSchema, { checks: [{ type: 'http', url: 'https://x/' }] }), [/^checks\.0\.url: expected an http:\/\/ URL for a check of type http/]);
  t.match(issues(healthSchema, { checks: [{ type: 'http', url: 'ftp://x/' }] }), [/^checks\.0\.url: expected an http:\/\/ or https:\/\/ URL/]);
  t.match(issues(healthSchema, { checks: [{ type: 'http', url: 'http://x/', 'expect-status': [300, 200] }] }), [/^checks\.0\.expect-status: expected \[low, high\] with low <= high/]);
  t.match(issues(healthSchema, { checks: [{ type: 'http', url: 'http://x/', 'expect-status': 'ok' }] }), [/^checks\.0\.expect-status: expected an HTTP status \(200\) or a range/]);
  t.match(issues(healthSchema, { checks: [{ type: 'http', url: 'http://x/', method: 'HEAD', 'body-contains': 'ok' }] }), [/^checks\.0\.body-contains: expected no body-contains with method HEAD/]);
  t.match(issues(healthSchema, { checks: [{ type: 'interface', name: 'a-very-long-interface-name' }] }), [/^checks\.0\.name: expected a Linux interface name/]);
  t.match(issues(healthSchema, { checks: [{ type: 'tcp', host: 'h', port: 1 }, { type: 'tcp', host: 'h', port: 1 }] }), [/^checks\.1\.name: expected a unique check name \("tcp:h:1" is used twice/]);
  t.match(issues(healthSchema, { checks: [{ type: 'exec', command: '' }] }), [/^checks\.0\.command: expected a command path \(a non-empty string\)/]);
  t.match(issues(healthSchema, { rise: 0, checks: [{ type: 'file', path: '/m' }] }), [/^rise: expected a count in 1\.\.100/]);
});

t.test('loopback and hooks errors', async (t) => {
  t.match(issues(loopbackSchema, { manage: 'yes' }), [/^manage: expected true or false/]);
  t.match(issues(hooksSchema, { command: '/bin/notify' }), [/^command: expected a command as a list/]);
  t.match(issues(hooksSchema, { command: [] }), [/^command: expected a command as a list/]);
  t.match(issues(hooksSchema, { 'sns-topic-arn': 'arn:aws:sqs:eu-west-1:123456789012:q' }), [/^sns-topic-arn: expected an SNS topic ARN/]);
  t.match(issues(hooksSchema, { timeout: '1d' }), [/^timeout: expected a duration such as/]);
  t.same(hooksSchema.parse({ 'sns-topic-arn': 'arn:aws-cn:sns:cn-north-1:123456789012:t', 'sns-region': 'cn-north-1' }),
    { timeoutMs: 5000, snsTopicArn: 'arn:aws-cn:sns:cn-north-1:123456789012:t', snsRegion: 'cn-north-1' });
});

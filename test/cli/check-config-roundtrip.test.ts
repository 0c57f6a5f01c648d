/**
 * `check-config` prints the normalized config in the config file's own form
 * (kebab-case, durations with units, defaults filled in): loading that output
 * back gives the same normalized config. Checked for every example in
 * config/, for a file that sets every section and check type, and for both the
 * YAML and the --json output.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/cli.js';
import type { CliIo } from '../../src/cli/types.js';
import { configDifferences, configToDocument, durationText, modeText } from '../../src/config/document.js';
import { loadConfigFile, parseConfigText, validateConfig } from '../../src/config/load.js';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-cc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: {} };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** check-config FILE (YAML and --json): both outputs load back, as files, to the file's normalized config. */
async function roundTrip(t: Test, file: string): Promise<void> {
  const { config, warnings } = await loadConfigFile(file);
  const y = await cli(['check-config', '-c', file]);
  t.equal(y.code, 0, 'valid');
  t.notMatch(y.err, /does not load back/, 'no round-trip warning');
  const yFile = join(dir, 'printed.yaml');
  writeFileSync(yFile, y.out);
  const again = await loadConfigFile(yFile);
  t.same(configDifferences(config, again.config), [], 'YAML output loads back to the same config');
  t.same(again.config, config);
  t.same(again.warnings.map((w) => `${w.path}: ${w.message}`), warnings.map((w) => `${w.path}: ${w.message}`), 'and the same warnings');
  t.same(again.config, (await loadConfigFile(yFile)).config, 'idempotent');

  const j = await cli(['check-config', '-c', file, '--json']);
  t.equal(j.code, 0);
  const jFile = join(dir, 'printed.json');
  writeFileSync(jFile, j.out);
  t.same((await loadConfigFile(jFile)).config, config, '--json output loads back to the same config');
  t.same(JSON.parse(j.out), parse(y.out), '--json prints the same document as the YAML');

  // The printed form is the file form: kebab-case keys only, no millisecond fields.
  const keys: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
      keys.push(k);
      if (k !== 'headers' && k !== 'env') walk(x);
    }
  };
  walk(parse(y.out));
  t.same(keys.filter((k) => /[A-Z]/.test(k)), [], 'no camelCase key');
}

t.test('every example in config/ round-trips', async (t) => {
  const files = readdirSync(join(root, 'config')).filter((f) => /\.(ya?ml|json)$/.test(f));
  t.ok(files.length >= 7, `${files.length} examples`);
  for (const f of files) await t.test(f, (t) => roundTrip(t, join(root, 'config', f)));
});

const EVERYTHING = `
local-asn: "1.10"
listen: "[::]:1179"
prefixes: [172.16.1.1/32, "2001:DB8:100:0::1/128", 172.16.2.0/24]
announce: { prepend: 2, med: 100, communities: ["65001:100", no-export, graceful-shutdown], large-communities: ["65001:1:2"] }
peers:
  - address: 10.0.1.230
    asn: 65000
    port: 1179
    local-address: 10.0.1.203
    hold-time: 0
    passive: true
    ipv6-next-hop: "2001:db8:1::203"
    max-prefixes: 10
    bfd: { min-tx-ms: 50, min-rx-ms: 70, multiplier: 5, multihop: true, passive: true, strict: true, auth: { type: keyed-sha1, key-id: 7, secret: "s3cret" } }
  - { address: "2001:db8::230", asn: 65000, ipv4-next-hop: 10.0.1.203, bfd: false }
health:
  combine: { at-least: 2 }
  rise: 2
  fall: 4
  interval: 1.5s
  fast-interval: 250ms
  start-state: down
  announce-before-verdict: true
  checks:
    - { type: tcp, host: 10.0.2.10, port: 443, interval: 1m, rise: 5 }
    - { type: icmp, host: "2001:db8::9", count: 5, min-replies: 2, timeout: 300ms }
    - { type: https, url: "https://127.0.0.1:8443/h", method: HEAD, expect-status: 204, tls-verify: false, ca: /etc/ssl/ca.pem, headers: { Host: app.example } }
    - { type: http, name: body, url: "http://127.0.0.1:8080/h", expect-status: [200, 204], body-contains: ok }
    - { type: exec, command: /usr/local/bin/probe, args: [-q, "--x=1"], env: { MODE: strict }, output-limit: 0, timeout: 2m }
    - { type: file, path: /etc/bgp-sidecar/maintenance }
    - { type: interface, name: eth0, check-name: uplink, fall: 1 }
policy:
  role: standby
  up: { med: 5, communities: [no-advertise] }
  down: { prepend: 10, large-communities: ["1:2:3"] }
  maintenance: { prepend: 6, communities: ["65535:0"] }
  failback-delay: 1h
  failback-prepend: 4
loopback: { manage: true, interface: dummy0 }
hooks: { command: [/usr/local/bin/notify, --x], timeout: 100ms, sns-topic-arn: "arn:aws:sns:eu-west-1:123456789012:t.fifo" }
aws:
  region: eu-west-1
  endpoint: http://127.0.0.1:4566
  imds-endpoint: http://127.0.0.1:1338
  instance-id: i-0123456789abcdef0
  eni: eni-0a1b2c3d4e5f60001
  zone: eu-west-1a
  private-ip: 10.0.1.203
  credentials: { access-key-id: AKIAIOSFODNN7EXAMPLE, secret-access-key: x, session-token: y }
  max-attempts: 3
  request-timeout: 2500ms
  route-server-id: rs-0123456789abcdef0
  sns-topic-arn: arn:aws:sns:eu-west-1:123456789012:bgp-sidecar
  rs-status-interval: 30s
fallback:
  dry-run: true
  route-tables:
    appliances:
      - { eni: eni-0a1b2c3d4e5f60001, route-tables: [rtb-0a1b2c3d4e5f60001], health: { tcp: "[2001:db8::1]:179" } }
      - { eni: eni-0a1b2c3d4e5f60002, route-tables: [rtb-0a1b2c3d4e5f60002], health: { http: "http://10.0.2.203:9479/metrics" } }
    destinations: [10.0.0.0/8, pl-0123abcd]
    peer-check: { interval: 3s, timeout: 1s, rise: 1, fall: 2 }
    reconcile-interval: 5m
  tgw-vpn: { pairs: [dc1], route-tables: [tgw-rtb-0123456789abcdef0], poll-interval: 20s, failover-after: 0s, failback-after: false }
  direct-connect:
    virtual-interfaces: [{ id: dxvif-fg5xyz12, alarm-on-verdict: true }, dxvif-fg6abc34]
    min-available: 1
    test-duration-minutes: 90
    poll-interval: 45s
control: { socket: /run/x/c.sock, mode: "0640", group: operators }
metrics: { listen: "[::1]:9479" }
log-level: debug
`;

t.test('a file that sets every section and check type round-trips', async (t) => {
  const f = join(dir, 'everything.yaml');
  writeFileSync(f, EVERYTHING);
  const { config } = await loadConfigFile(f);
  t.ok(config.health && config.fallback?.routeTables && config.fallback.tgwVpn && config.fallback.directConnect && config.aws?.credentials, 'every section set');
  t.equal(config.health?.checks.length, 7);
  await roundTrip(t, f);
});

t.test('metrics off, no aws, minimal file: round-trips, defaults written out', async (t) => {
  const f = join(dir, 'minimal.yaml');
  writeFileSync(f, 'local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers: [{ address: 10.0.1.230, asn: 65000 }]\nmetrics: false\n');
  await roundTrip(t, f);
  const y = parse((await cli(['check-config', '-c', f])).out) as Record<string, unknown>;
  t.same(y['peers'], [{ address: '10.0.1.230', asn: 65000, port: 179, 'hold-time': 90, 'open-hold-time': 30, passive: false }], 'peer defaults filled in');
  t.same(y['control'], { socket: '/run/bgp-sidecar/control.sock', mode: '0660' });
  t.same(y['metrics'], false);
  t.same(y['policy'], { up: { prepend: 0 }, down: { withdraw: true }, maintenance: { withdraw: true }, 'failback-delay': '0s', 'failback-prepend': 3 });
  t.same(y['hooks'], { timeout: '5s' }, 'durations with units');
});

t.test('the written forms', async (t) => {
  t.same([0, 250, 1000, 1500, 60_000, 90_000, 3_600_000, 86_400_000].map(durationText), ['0s', '250ms', '1s', '1500ms', '1m', '90s', '1h', '24h']);
  t.same([0o660, 0o600, 0o7, 0o777].map(modeText), ['0660', '0600', '0007', '0777']);
});

t.test('configDifferences names what a lossy document would lose', async (t) => {
  const cfg = parseConfigText('local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers: [{ address: 10.0.1.230, asn: 65000, max-prefixes: 5 }]\n', { format: 'yaml' }).config;
  const doc = configToDocument(cfg) as { peers: Record<string, unknown>[] };
  delete doc.peers[0]!['max-prefixes'];
  const again = validateConfig(doc).config;
  t.same(configDifferences(cfg, again), ['peers[0].maxPrefixes']);
});

/**
 * The CLI: in-process through runCli() with a captured IO (the factory the
 * bin uses), plus the real bin as a child process for --version and for
 * `run` with a bad config (one clear line per problem on stderr, exit 78 = EX_CONFIG, no stack).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/cli.js';
import type { CliIo } from '../../src/cli/types.js';
import { formatDuration, formatStatus, table } from '../../src/cli/cmds/status/format.js';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** The real executable, as systemd and operators run it (bounded). */
function bin(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NOTIFY_SOCKET: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-cli-'));
const good = join(dir, 'good.yaml');
writeFileSync(good, 'local-asn: 65001\nprefixes: [172.16.1.1/32]\nannounce: { prepend: 2 }\npeers:\n  - { address: 10.0.1.230, asn: 65000 }\n');
const bad = join(dir, 'bad.yaml');
writeFileSync(bad, 'local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers:\n  - address: 10.0.1.230\n    asn: abc\n    hold-time: 2\n');

t.test('--help lists every command', async (t) => {
  const r = await cli(['--help']);
  t.equal(r.code, 0);
  for (const c of ['run', 'check-config', 'status', 'drain', 'undrain', 'reload', 'rs-status', 'iam-policy', 'fallback', 'install', 'uninstall', 'lab']) t.match(r.out, new RegExp(`bgp-sidecar ${c}\\b`));
  t.equal(r.err, '');
  const sub = await cli(['check-config', '--help']);
  t.equal(sub.code, 0);
  t.match(sub.out, /--config/);
  t.match(sub.out, /--json/);
});

t.test('--version prints the package version', async (t) => {
  const r = await cli(['--version']);
  t.equal(r.code, 0);
  t.equal(r.out.trim(), pkg.version);
  const b = bin(['--version']);
  t.equal(b.code, 0);
  t.equal(b.out.trim(), pkg.version, 'the bin too');
});

t.test('usage errors: one line, exit 2', async (t) => {
  for (const args of [[], ['bogus'], ['check-config'], ['run']]) {
    const r = await cli(args);
    t.equal(r.code, 2, `${args.join(' ') || '(none)'} exits 2`);
    t.equal(r.err.trim().split('\n').length, 1, 'one line');
    t.match(r.err, /^bgp-sidecar: /);
  }
});

t.test('check-config: valid file prints the normalized config in the file form, exit 0', async (t) => {
  const r = await cli(['check-config', '--config', good]);
  t.equal(r.code, 0);
  t.equal(r.err, '');
  const printed = parse(r.out) as { 'local-asn': number; announce: { prepend: number }; peers: { 'hold-time': number; port: number }[] };
  t.equal(printed['local-asn'], 65001);
  t.equal(printed.announce.prepend, 2);
  t.same([printed.peers[0]?.['hold-time'], printed.peers[0]?.port], [90, 179], 'defaults are filled in');
  const j = await cli(['check-config', '-c', good, '--json']);
  t.equal(j.code, 0);
  t.same(JSON.parse(j.out), printed, '--json prints the same config');
  const q = await cli(['check-config', '-c', good, '--quiet']);
  t.same([q.code, q.out], [0, '']);
});

t.test('check-config: invalid file prints one line per problem, exit 1', async (t) => {
  const r = await cli(['check-config', '--config', bad]);
  t.equal(r.code, 1);
  t.equal(r.out, '');
  t.same(r.err.trim().split('\n'), [
    `bgp-sidecar: peers[0].asn: expected an integer 1..4294967295, got "abc" (${bad}:5:10)`,
    `bgp-sidecar: peers[0].hold-time: expected 0 or an integer 3..65535 (seconds; RFC 4271 4.2 forbids 1 and 2), got 2 (${bad}:6:16)`,
  ]);
  const missing = await cli(['check-config', '-c', join(dir, 'nope.yaml')]);
  t.equal(missing.code, 1);
  t.equal(missing.err, `bgp-sidecar: cannot read ${join(dir, 'nope.yaml')}: no such file\n`);
});

t.test('check-config reads JSON files too', async (t) => {
  const f = join(dir, 'good.json');
  writeFileSync(f, JSON.stringify({ 'local-asn': 65001, prefixes: ['172.16.1.1/32'], peers: [{ address: '10.0.1.230', asn: 65000 }] }));
  const r = await cli(['check-config', '-c', f, '--json']);
  t.equal(r.code, 0);
  t.equal((JSON.parse(r.out) as { 'local-asn': number })['local-asn'], 65001);
  const b = join(dir, 'bad.json');
  writeFileSync(b, '{\n  "local-asn": 65001,\n  "peers": [ { "address": "10.0.1.230", "asn": "x" } ],\n}\n');
  const e = await cli(['check-config', '-c', b]);
  t.equal(e.code, 1);
  t.match(e.err, new RegExp(`^bgp-sidecar: JSON syntax error: .* \\(${b.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:1\\)\n$`));
});

t.test('check-config: warnings go to stderr, still exit 0', async (t) => {
  const f = join(dir, 'ibgp.yaml');
  writeFileSync(f, 'local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers:\n  - { address: 10.0.1.230, asn: 65001 }\n');
  const r = await cli(['check-config', '-c', f, '-q']);
  t.equal(r.code, 0);
  t.match(r.err, /^warning: peers\[0\]\.asn: same as local-asn/);
});

t.test('every example in config/ passes check-config', async (t) => {
  const { readdirSync } = await import('node:fs');
  for (const f of readdirSync(join(root, 'config')).filter((x) => /\.(ya?ml|json)$/.test(x))) {
    const r = await cli(['check-config', '-q', '-c', join(root, 'config', f)]);
    t.same([r.code, r.err], [0, ''], f);
  }
});

t.test('run with a bad config: one clear line per problem, exit 78 (EX_CONFIG), no stack', async (t) => {
  const r = bin(['run', '--config', bad]);
  t.equal(r.code, 78, 'EX_CONFIG: systemd must not restart (RestartPreventExitStatus=78)');
  t.equal(r.out, '', 'no log lines: the daemon never started');
  const lines = r.err.trim().split('\n');
  t.same(lines, [
    `bgp-sidecar: peers[0].asn: expected an integer 1..4294967295, got "abc" (${bad}:5:10)`,
    `bgp-sidecar: peers[0].hold-time: expected 0 or an integer 3..65535 (seconds; RFC 4271 4.2 forbids 1 and 2), got 2 (${bad}:6:16)`,
  ]);
  t.notMatch(r.err, /\n\s+at /, 'no stack trace');
  const missing = bin(['run', '--config', join(dir, 'missing.yaml')]);
  t.equal(missing.code, 78, 'an unreadable file is a config problem too');
  t.equal(missing.err, `bgp-sidecar: cannot read ${join(dir, 'missing.yaml')}: no such file\n`);
  const syntax = join(dir, 'syntax.yaml');
  writeFileSync(syntax, 'local-asn: 65001\npeers: [\n');
  const s = bin(['run', '--config', syntax]);
  t.equal(s.code, 78, 'a YAML syntax error exits 78');
  t.equal(s.err.trim().split('\n').length, 1, 'one line');
  // In-process too: the code comes from the command, not from the bin.
  const inproc = await cli(['run', '--config', bad]);
  t.equal(inproc.code, 78);
});

t.test('the systemd unit does not restart on the config exit status, and does on others', async (t) => {
  const { EX_CONFIG, EX_START_FAILED } = await import('../../src/daemon/run.js');
  const unit = readFileSync(join(root, 'systemd', 'bgp-sidecar.service'), 'utf8');
  const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => (m[1] ?? '').trim());
  t.same(values('RestartPreventExitStatus').flatMap((v) => v.split(/\s+/)), [String(EX_CONFIG)], 'RestartPreventExitStatus lists exactly EX_CONFIG');
  t.same(values('Restart'), ['on-failure'], 'Restart=on-failure: exit 1 (and crashes, watchdog kills) restart');
  t.not(EX_START_FAILED, EX_CONFIG);
  t.same(values('SuccessExitStatus').flatMap((v) => v.split(/\s+/)).filter((v) => v === String(EX_START_FAILED)), [], 'exit 1 is not declared a success');
});

t.test('run refuses to start when another daemon answers on the control socket: one line, exit 1', async (t) => {
  const { ControlServer } = await import('../../src/daemon/control-server.js');
  const { pino } = await import('pino');
  const sock = join(dir, 'taken.sock');
  const other = new ControlServer({ path: sock, mode: 0o600, handler: async () => null, logger: pino({ level: 'silent' }) });
  await other.listen();
  t.teardown(() => other.close());
  const f = join(dir, 'taken.yaml');
  writeFileSync(f, `local-asn: 65001\nrouter-id: 10.0.0.1\nprefixes: [172.16.1.1/32]\npeers:\n  - { address: 127.0.0.1, asn: 65000, port: 1 }\ncontrol: { socket: ${sock} }\nmetrics: false\n`);
  // spawnSync would block the event loop that serves `other`: run the child asynchronously.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', '-c', f], { cwd: root, env: { ...process.env, NOTIFY_SOCKET: '' } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  t.equal(code, 1);
  t.equal(err, `bgp-sidecar: another bgp-sidecar answers on ${sock}; stop it first or choose another control.socket\n`);
});

t.test('client commands without a daemon: one line, exit 1', async (t) => {
  for (const cmd of ['status', 'drain', 'undrain', 'reload']) {
    const r = await cli([cmd, '--socket', join(dir, 'absent.sock')]);
    t.equal(r.code, 1, cmd);
    t.equal(r.err, `bgp-sidecar: cannot reach bgp-sidecar at ${join(dir, 'absent.sock')}: no such socket (is the daemon running?)\n`);
  }
});

t.test('status table formatting', async (t) => {
  t.equal(formatDuration(3_723_000), '1h02m03s');
  t.equal(formatDuration(59_000), '59s');
  t.equal(formatDuration(90_061_000), '1d01h01m');
  t.equal(table(['A', 'Bee'], [['xx', 'y'], ['z', '']]), 'A   Bee\nxx  y\nz');
  const now = Date.parse('2026-11-21T12:00:00Z');
  const text = formatStatus({
    daemon: { version: '0.1.0', routerId: '10.0.1.203', localAsn: 65001, pid: 42, startedAt: '2026-11-21T11:00:00Z' },
    verdict: { verdict: 'up', state: 'up', since: '2026-11-21T11:58:00Z', reason: 'all checks pass' },
    drain: { on: false },
    peers: [
      {
        address: '10.0.1.230', asn: 65000, state: 'Established', uptimeMs: 3_600_000, holdTime: 30, lastError: null,
        bfd: { state: 'up' }, updatesSent: 3, updatesReceived: 0,
        announced: [{ prefix: '172.16.1.1/32', asPath: [65001, 65001, 65001], nextHop: '10.0.1.203', med: 100, communities: ['65001:100'], largeCommunities: [] }],
      },
      { address: '10.0.1.231', asn: 65000, state: 'Active', uptimeMs: null, holdTime: null, configuredHoldTime: 30, lastError: 'connect ECONNREFUSED', bfd: null, announced: [] },
    ],
    health: { checks: [{ name: 'web', type: 'http', state: 'up', streak: 12, stateSince: '2026-11-21T11:58:00Z', last: { ok: true, detail: 'status 200', latencyMs: 3.2 } }] },
  }, now);
  t.equal(text, [
    'bgp-sidecar 0.1.0  router-id 10.0.1.203  local AS 65001  pid 42  up 1h00m00s',
    'Verdict: up (up) since 2026-11-21T11:58:00Z (2m00s ago): all checks pass',
    'Drain:   off',
    '',
    'Peer        AS     State        Uptime    Hold  BFD  Sent/Rcvd  Last error',
    '10.0.1.230  65000  Established  1h00m00s  30    up   3/0        -',
    '10.0.1.231  65000  Active       -         (30)  -    0/0        connect ECONNREFUSED',
    '',
    'Announced',
    'Peer        Prefix         AS path (as sent)  Next hop    MED  Communities',
    '10.0.1.230  172.16.1.1/32  65001 65001 65001  10.0.1.203  100  65001:100',
    '',
    'Checks',
    'Check  Type  State  Last result    Latency  Streak  Since',
    'web    http  up     ok status 200  3ms      12      2m00s',
    '',
  ].join('\n'));
  t.match(formatStatus({ drain: { on: true, reason: 'kernel upgrade', since: '2026-11-21T11:59:00Z' } }, now), /Drain: {3}ON since .*: kernel upgrade/);
  t.doesNotThrow(() => formatStatus(null), 'a garbled answer does not crash the formatter');
});

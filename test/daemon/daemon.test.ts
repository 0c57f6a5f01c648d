/**
 * The daemon end to end, as systemd runs it: `bgp-sidecar run` as a child
 * process against a minimal BGP peer on loopback (test/daemon/lib/test-peer.ts,
 * built on the src/bgp codec). Checks what arrives on the wire: the prefix
 * with the configured prepend, the maintenance announcement on drain, the
 * return on undrain, a broken reload that changes nothing, a good reload that
 * keeps the session, the metrics endpoint, and SIGTERM: withdraw, then
 * Cease 6/2, exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/cli.js';
import { controlRequest } from '../../src/daemon/control-client.js';
import { TestPeer } from './lib/test-peer.js';

const root = join(import.meta.dirname, '..', '..');
const LOCAL_ASN = 65001;
const PREFIX = '172.16.1.1/32';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Poll `pred` until true (bounded). */
async function until(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('bgp-sidecar run against a BGP peer on loopback', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-daemon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const peer = new TestPeer({ asn: 65000, bgpId: '10.255.0.1', holdTime: 30 });
  const port = await peer.listen();
  t.teardown(() => peer.close());
  const metricsPort = await freePort();
  const socket = join(dir, 'run', 'control.sock');
  const file = join(dir, 'config.yaml');
  const config = (med: number) => ({
    'local-asn': LOCAL_ASN,
    'router-id': '10.0.0.1',
    prefixes: [PREFIX],
    announce: { prepend: 2, med, communities: ['65001:100'] },
    peers: [{ address: '127.0.0.1', asn: 65000, port, 'hold-time': 30 }],
    policy: { maintenance: { prepend: 5 } },
    control: { socket },
    metrics: { listen: `127.0.0.1:${metricsPort}` },
    'log-level': 'debug',
  });
  writeFileSync(file, stringify(config(100)));

  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', '--config', file], {
    cwd: root,
    env: { ...process.env, NOTIFY_SOCKET: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let logs = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const logLines = () => logs.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  const route = () => peer.rib.get(PREFIX);
  const pathOf = (n: number) => Array<number>(n + 1).fill(LOCAL_ASN);

  await t.test('the floating prefix arrives with the configured prepend', async (t) => {
    await peer.until('the prefix', () => route() !== undefined, 30_000);
    t.same(route(), { prefix: PREFIX, asPath: pathOf(2), med: 100, communities: ['65001:100'] });
    t.equal(stderr, '', 'nothing on stderr');
    t.ok(logLines().every((l) => typeof l['level'] === 'string' && typeof l['time'] === 'string'), 'stdout is JSON log lines');
  });

  await t.test('status over the control socket', async (t) => {
    let out = '';
    const io = { stdout: (s: string) => void (out += s), stderr: () => undefined, env: {} };
    t.equal(await runCli(['status', '--json', '--socket', socket], io), 0);
    const s = JSON.parse(out) as { peers: { address: string; state: string; holdTime: number; announced: { prefix: string; asPath: number[]; med: number }[] }[]; verdict: { verdict: string } };
    t.equal(s.verdict.verdict, 'up');
    t.match(s.peers[0], { address: '127.0.0.1', state: 'Established', holdTime: 30 });
    t.match(s.peers[0]?.announced, [{ prefix: PREFIX, asPath: pathOf(2), med: 100 }]);
    out = '';
    t.equal(await runCli(['status', '--socket', socket], io), 0);
    t.match(out, /127\.0\.0\.1\s+65000\s+Established/);
    t.match(out, /172\.16\.1\.1\/32\s+65001 65001 65001\s+/);
  });

  await t.test('drain announces the maintenance route; undrain restores it', async (t) => {
    let out = '';
    const io = { stdout: (s: string) => void (out += s), stderr: () => undefined, env: {} };
    t.equal(await runCli(['drain', '--reason', 'kernel upgrade', '--socket', socket], io), 0);
    t.equal(out, `drained (kernel upgrade): ${PREFIX} prepend 5\n`);
    await peer.until('the maintenance prepend', () => route()?.asPath.length === 6);
    t.same(route(), { prefix: PREFIX, asPath: pathOf(5), med: 100, communities: ['65001:100'] });
    const st = (await controlRequest(socket, { cmd: 'status' })) as { drain: { on: boolean; reason: string }; verdict: { verdict: string } };
    t.match(st.drain, { on: true, reason: 'kernel upgrade' });
    t.equal(st.verdict.verdict, 'maintenance');
    t.equal(await runCli(['undrain', '--socket', socket], io), 0);
    await peer.until('the normal prepend', () => route()?.asPath.length === 3);
    t.same(route()?.asPath, pathOf(2));
  });

  await t.test('a broken config on reload is rejected and nothing changes', async (t) => {
    const updatesBefore = peer.messages.filter((m) => m.type === 'update').length;
    writeFileSync(file, 'local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers:\n  - address: 127.0.0.1\n    asn: abc\n');
    let err = '';
    const io = { stdout: () => undefined, stderr: (s: string) => void (err += s), env: {} };
    t.equal(await runCli(['reload', '--socket', socket], io), 1);
    t.match(err, /^bgp-sidecar: reload rejected, running configuration kept:\nbgp-sidecar: peers\[0\]\.asn: expected an integer 1\.\.4294967295, got "abc"/);
    // The same through SIGHUP.
    child.kill('SIGHUP');
    await until('the SIGHUP rejection in the log', () => logLines().filter((l) => String(l['msg']).startsWith('reload rejected: peers[0].asn')).length >= 2);
    t.equal(child.exitCode, null, 'still running');
    t.equal(peer.connections, 1, 'the session was never reset');
    t.equal(peer.closed, false);
    t.equal(peer.messages.filter((m) => m.type === 'update').length, updatesBefore, 'no UPDATE sent');
    t.same(route()?.asPath, pathOf(2));
    t.same(await controlRequest(socket, { cmd: 'status' }).then((s) => (s as { verdict: { verdict: string } }).verdict.verdict), 'up');
  });

  await t.test('a drain survives a good reload; the session stays up', async (t) => {
    await controlRequest(socket, { cmd: 'drain', reason: 'maintenance window' });
    await peer.until('the maintenance prepend', () => route()?.asPath.length === 6);
    writeFileSync(file, stringify(config(200)));
    t.same(await controlRequest(socket, { cmd: 'reload' }), { reloaded: true, warnings: [] });
    await peer.until('the new MED under drain', () => route()?.med === 200);
    t.same(route(), { prefix: PREFIX, asPath: pathOf(5), med: 200, communities: ['65001:100'] }, 'still drained, new MED');
    await controlRequest(socket, { cmd: 'undrain' });
    await peer.until('back to normal', () => route()?.asPath.length === 3);
    t.same(route(), { prefix: PREFIX, asPath: pathOf(2), med: 200, communities: ['65001:100'] });
    t.equal(peer.connections, 1, 'unchanged peer kept its session');
  });

  await t.test('the metrics endpoint has the expected series', async (t) => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /^text\/plain/);
    const body = await res.text();
    for (const re of [
      /^bgp_sidecar_peer_state\{peer="127\.0\.0\.1",state="established"\} 1$/m,
      /^bgp_sidecar_peer_state\{peer="127\.0\.0\.1",state="idle"\} 0$/m,
      /^bgp_sidecar_peer_up\{peer="127\.0\.0\.1"\} 1$/m,
      /^bgp_sidecar_updates_sent_total\{peer="127\.0\.0\.1"\} [1-9]\d*$/m,
      /^bgp_sidecar_updates_received_total\{peer="127\.0\.0\.1"\} 0$/m,
      /^bgp_sidecar_announced_prefixes\{peer="127\.0\.0\.1"\} 1$/m,
      /^bgp_sidecar_verdict\{verdict="up"\} 1$/m,
      /^bgp_sidecar_drained 0$/m,
      /^bgp_sidecar_failovers_total 2$/m, // the two drains
      /^bgp_sidecar_verdict\{verdict="maintenance"\} 0$/m,
      /^bgp_sidecar_reloads_total\{result="rejected"\} 2$/m,
      /^bgp_sidecar_reloads_total\{result="applied"\} 1$/m,
      /^bgp_sidecar_info\{version="[^"]+",router_id="10\.0\.0\.1",local_asn="65001"\} 1$/m,
      /^# TYPE bgp_sidecar_check_latency_seconds histogram$/m,
      /^# TYPE bgp_sidecar_bfd_state gauge$/m,
      /^bgp_sidecar_process_resident_memory_bytes /m,
    ]) t.match(body, re);
    const notFound = await fetch(`http://127.0.0.1:${metricsPort}/`, { signal: AbortSignal.timeout(5000) });
    t.equal(notFound.status, 404);
  });

  await t.test('SIGTERM: withdraw, then Cease 6/2, exit 0', async (t) => {
    // Without a maintenance announcement (policy.maintenance defaults to withdraw) the
    // stop withdraws; with one, it is left in place (unit-tested in daemon-unit.test.ts).
    const { policy: _policy, ...plain } = config(200);
    writeFileSync(file, stringify(plain));
    await controlRequest(socket, { cmd: 'reload' });
    t.same(route()?.asPath, pathOf(2));
    const from = peer.messages.length;
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    t.equal(code, 0, 'exit 0');
    const after = peer.messages.slice(from);
    const withdraw = after.findIndex((m) => m.type === 'update' && m.withdrawn.some((p) => `${p.addr}/${p.len}` === PREFIX));
    const cease = after.findIndex((m) => m.type === 'notification' && m.code === 6 && m.subcode === 2);
    t.ok(withdraw >= 0, 'the prefix was withdrawn');
    t.ok(cease > withdraw, 'Cease/Administrative Shutdown after the withdraw');
    t.equal(peer.rib.size, 0, 'nothing left announced');
    const n = after[cease];
    if (n?.type === 'notification') {
      // RFC 9003: the shutdown communication says why.
      t.match(Buffer.from(n.data.subarray(1)).toString('utf8'), 'bgp-sidecar stopping');
    }
    t.ok(logLines().some((l) => l['msg'] === 'stopped'), 'logged its stop');
    t.equal(stderr, '');
  });
});

/**
 * The real daemon (`bgp-sidecar run`) under a stand-in service manager: this
 * test owns the NOTIFY_SOCKET datagram socket and a TCP listener playing the
 * Route Server endpoint on loopback. READY=1 arrives once the config is
 * loaded and the session is started (the daemon is already connecting to the
 * peer), WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING/READY on SIGHUP,
 * STOPPING=1 on SIGTERM and a clean exit. All datagrams come from the
 * daemon's own pid, as NotifyAccess=main requires.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureNative, NotifyReceiver, ROOT } from './helpers/native.js';

const native = ensureNative();
const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
// tap ends a test that runs over its timeout with SIGTERM: 'exit' handlers do not run then.
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  });
}

t.test('bgp-sidecar run speaks sd_notify to the socket it is given', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // The "Route Server endpoint": accepts TCP and records the first bytes (the OPEN).
  const accepted: Array<{ at: number; first: Buffer }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    const rec = { at: performance.now(), first: Buffer.alloc(0) };
    accepted.push(rec);
    s.on('data', (d: Buffer) => { if (rec.first.length < 64) rec.first = Buffer.concat([rec.first, d]); });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  const port = (server.address() as { port: number }).port;

  const config = join(dir, 'config.yaml');
  writeFileSync(config, [
    'local-asn: 65001',
    'router-id: 10.0.1.20',
    'prefixes: [172.16.1.1/32]',
    'peers:',
    '  - address: 127.0.0.1',
    `    port: ${port}`,
    '    asn: 65000',
    'control:',
    `  socket: ${join(dir, 'control.sock')}`,
    'metrics: false',
    '',
  ].join('\n'));

  const rx = new NotifyReceiver(native);
  t.teardown(() => rx.close());
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'run', '--config', config], {
    cwd: ROOT,
    env: { ...process.env, NOTIFY_SOCKET: rx.address, WATCHDOG_USEC: '1000000', WATCHDOG_PID: undefined, JOURNAL_STREAM: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const logs: Array<{ at: number; rec: Record<string, unknown> }> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try { logs.push({ at: performance.now(), rec: JSON.parse(line) as Record<string, unknown> }); } catch { /* not a log record */ }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => { children.delete(child); r(code); }));

  let ready;
  try {
    ready = await rx.waitFor('READY', '1', 30_000);
  } catch (e) {
    t.fail(`${(e as Error).message}\nstderr: ${stderr}\nlogs: ${JSON.stringify(logs.map((l) => l.rec))}`);
    return;
  }
  t.equal(ready.pid, child.pid, 'READY from the daemon pid');
  t.match(ready.fields.get('STATUS') ?? '', /\S/, 'READY carries a STATUS line');
  const speakerStarting = logs.find((l) => l.rec.msg === 'bgp speaker starting');
  t.ok(speakerStarting, 'the speaker was started before READY (its log line is already out)');

  // The session really is started: the daemon connects to the peer and sends an OPEN.
  for (let i = 0; i < 200 && (accepted[0]?.first.length ?? 0) < 19; i++) await new Promise((r) => setTimeout(r, 25));
  const open = accepted[0]?.first;
  t.ok(open && open.length >= 19, 'peer got a connection with a BGP message');
  if (open && open.length >= 19) {
    t.ok(open.subarray(0, 16).every((b) => b === 0xff), 'RFC 4271 4.1 marker');
    t.equal(open[18], 1, 'type 1 OPEN');
  }

  // Watchdog: WATCHDOG_USEC=1s -> a ping every 500 ms.
  const from = performance.now();
  await new Promise((r) => setTimeout(r, 2600));
  rx.drain();
  const pings = rx.having('WATCHDOG', '1').filter((m) => m.at >= from);
  t.ok(pings.length >= 3, `pings keep coming (${pings.length} in 2.6 s)`);
  const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
  t.ok(gaps.every((g) => g < 1000), `every gap below WatchdogSec (1000 ms): ${gaps.map((g) => g.toFixed(0)).join(',')}`);
  t.ok(pings.every((p) => p.pid === child.pid));

  child.kill('SIGHUP');
  const reloading = await rx.waitFor('RELOADING', '1', 10_000);
  t.match(reloading.fields.get('MONOTONIC_USEC') ?? '', /^\d+$/);
  await rx.waitFor('READY', '1', 10_000, reloading.at);
  t.pass('READY again after the reload');

  child.kill('SIGTERM');
  const stopping = await rx.waitFor('STOPPING', '1', 10_000);
  t.equal(stopping.pid, child.pid);
  t.equal(await exited, 0, `clean exit after SIGTERM; stderr: ${stderr}`);
});

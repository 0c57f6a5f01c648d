/**
 * Each local check type against real targets on loopback: a TCP listener, HTTP and
 * HTTPS servers (self-signed certificate made here with openssl), scripts that pass,
 * fail and hang, a maintenance file.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healthSchema, type CheckConfig } from '../../src/config/health.js';
import { createRunner } from '../../src/health/checks/index.js';
import type { CheckResult } from '../../src/health/types.js';

const dir = mkdtempSync(join(tmpdir(), 'bgpsc-checks-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function check(raw: Record<string, unknown>): CheckConfig {
  const c = healthSchema.parse({ checks: [raw] }).checks[0];
  if (!c) throw new Error('no check');
  return c;
}
async function runOnce(raw: Record<string, unknown>, abortAfterMs?: number): Promise<CheckResult> {
  const runner = createRunner(check(raw));
  const ac = new AbortController();
  const timer = abortAfterMs !== undefined ? setTimeout(() => ac.abort(), abortAfterMs) : undefined;
  try {
    return await runner.run(ac.signal);
  } finally {
    if (timer) clearTimeout(timer);
    runner.close?.();
  }
}
function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}
/** A port nothing listens on: bind, read the port, close. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

// Real processes, servers and namespaces: more than tap's 30 s default on a loaded CI machine.
t.setTimeout(120_000);

t.test('tcp: listener passes, closed port fails', async (t) => {
  const server = net.createServer((s) => s.destroy());
  const port = await listen(server);
  t.teardown(() => { server.close(); });
  t.match(await runOnce({ type: 'tcp', host: '127.0.0.1', port }), { ok: true, detail: 'connected' });
  t.match(await runOnce({ type: 'tcp', host: '127.0.0.1', port: await deadPort() }), { ok: false, detail: 'ECONNREFUSED' });
  // A peer that never answers the SYN: see checks-netns.test.ts (an unassigned address in a namespace).
});

t.test('http: status range, body substring, timeout', async (t) => {
  let status = 200;
  let body = 'status: ok';
  let hang = false;
  const server = http.createServer((req, res) => {
    if (hang) return; // never answers
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const port = await listen(server);
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const url = `http://127.0.0.1:${port}/health`;
  t.match(await runOnce({ type: 'http', url }), { ok: true, detail: 'status 200' });
  t.match(await runOnce({ type: 'http', url, 'body-contains': 'ok' }), { ok: true, detail: 'status 200, body matched' });
  t.match(await runOnce({ type: 'http', url, 'body-contains': 'ready' }), { ok: false, detail: 'status 200, body does not contain "ready"' });
  t.match(await runOnce({ type: 'http', url, method: 'HEAD' }), { ok: true });
  status = 503;
  t.match(await runOnce({ type: 'http', url }), { ok: false, detail: 'status 503, expected 200-299' });
  t.match(await runOnce({ type: 'http', url, 'expect-status': [500, 503] }), { ok: true, detail: 'status 503' });
  status = 204;
  t.match(await runOnce({ type: 'http', url, 'expect-status': 200 }), { ok: false, detail: 'status 204, expected 200' });
  status = 200;
  body = 'x'.repeat(200_000) + 'ok';
  t.match(await runOnce({ type: 'http', url, 'body-contains': 'ok' }), { ok: false }, 'only the first 64 KiB are searched');
  t.match(await runOnce({ type: 'http', url: `http://127.0.0.1:${await deadPort()}/` }), { ok: false, detail: 'ECONNREFUSED' });
  hang = true;
  t.match(await runOnce({ type: 'http', url, timeout: '300ms' }, 300), { ok: false, detail: 'timeout after 300ms' });
});

t.test('https: verification on by default fails on a self-signed cert; passes with its CA or tls-verify false', async (t) => {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=bgp-sidecar-test',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe', timeout: 15_000 });
  } catch (err) {
    const why = `openssl cannot make a certificate: ${(err as Error).message}`;
    if (process.env.CI) t.fail(why);
    else t.plan(0, `skip: ${why}`);
    return;
  }
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => { res.end('healthy'); });
  const port = await listen(server);
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const url = `https://127.0.0.1:${port}/`;
  const strict = await runOnce({ type: 'https', url });
  t.equal(strict.ok, false, 'verification is on by default');
  t.match(strict.detail, /SELF_SIGNED|self.signed|UNABLE_TO_VERIFY/i);
  t.match(await runOnce({ type: 'https', url, ca: cert, 'body-contains': 'healthy' }), { ok: true, detail: 'status 200, body matched' });
  t.match(await runOnce({ type: 'https', url, 'tls-verify': false }), { ok: true });
  t.match(await runOnce({ type: 'https', url, ca: join(dir, 'missing.pem') }), { ok: false, detail: /cannot read ca .*ENOENT/ });
  // A name that is not in the certificate fails even with the right CA.
  t.match(await runOnce({ type: 'https', url: `https://127.0.0.2:${port}/`, ca: cert }), { ok: false });
});

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (killed, not yet reaped by init) is dead for our purpose.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

t.test('exec: exit 0 passes, non-zero fails with its output, missing command fails', async (t) => {
  const ok = script('ok.sh', 'echo "all good: $CHECK_ENV $1"; exit 0');
  const r = await runOnce({ type: 'exec', command: ok, args: ['--fast'], env: { CHECK_ENV: 'set' } });
  t.match(r, { ok: true, detail: 'exit 0', output: 'all good: set --fast\n' });
  const bad = script('bad.sh', 'echo "db unreachable" >&2; exit 3');
  t.match(await runOnce({ type: 'exec', command: bad }), { ok: false, detail: 'exit 3', output: 'db unreachable\n' });
  t.match(await runOnce({ type: 'exec', command: join(dir, 'nope') }), { ok: false, detail: /cannot run .*ENOENT/ });
  const noisy = script('noisy.sh', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; exit 1');
  const n = await runOnce({ type: 'exec', command: noisy, 'output-limit': 100 });
  t.equal(n.output?.length, 100 + '…[truncated]'.length, 'output truncated to the limit');
  t.match(n.output, /^line 0\n.*…\[truncated\]$/s);
});

t.test('exec: a hanging script is killed with its whole process group at the timeout', async (t) => {
  const pids = join(dir, 'pids');
  const hang = script('hang.sh', `sleep 600 & echo $! > ${pids}.child; echo $$ > ${pids}.shell; echo started; wait`);
  const t0 = performance.now();
  const r = await runOnce({ type: 'exec', command: hang, timeout: '500ms' });
  const took = performance.now() - t0;
  t.match(r, { ok: false, detail: 'timeout after 500ms, process group killed', output: 'started\n' });
  t.ok(took < 10_000, `returned after the timeout, not after the sleep (${took.toFixed(0)}ms)`);
  const child = Number(readFileSync(`${pids}.child`, 'utf8'));
  const shell = Number(readFileSync(`${pids}.shell`, 'utf8'));
  // SIGKILL is delivered at once; give the kernel a bounded moment to tear the processes down.
  for (let i = 0; i < 50 && (alive(child) || alive(shell)); i++) await new Promise((res) => setTimeout(res, 20));
  t.notOk(alive(shell), 'the script is dead');
  t.notOk(alive(child), 'its background child is dead too (process group)');
});

t.test('exec: a script that exits but leaves a child holding its output does not hang the check', async (t) => {
  const pidFile = join(dir, 'straggler');
  const s = script('straggler.sh', `sleep 600 & echo $! > ${pidFile}; exit 0`);
  const r = await runOnce({ type: 'exec', command: s, timeout: '5s' });
  t.match(r, { ok: true, detail: 'exit 0' });
  const pid = Number(readFileSync(pidFile, 'utf8'));
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 20));
  t.notOk(alive(pid), 'the straggler in the group was killed');
});

t.test('file: maintenance file present / absent / unreadable parent', async (t) => {
  const path = join(dir, 'maintenance');
  t.match(await runOnce({ type: 'file', path }), { ok: true, maintenance: false });
  writeFileSync(path, '');
  t.match(await runOnce({ type: 'file', path }), { ok: false, maintenance: true, detail: /present/ });
  rmSync(path);
  t.ok(!existsSync(path));
  t.match(await runOnce({ type: 'file', path: join(dir, 'ok.sh', 'x') }), { ok: true, maintenance: false }, 'ENOTDIR: no file');
});

t.test('interface: lo is up (operstate unknown, IFF_UP and carrier), a missing interface fails', async (t) => {
  if (process.platform !== 'linux') { t.plan(0, 'skip: needs Linux /sys/class/net'); return; }
  t.match(await runOnce({ type: 'interface', name: 'lo' }), { ok: true, detail: /operstate (up|unknown, up with carrier)/ });
  t.match(await runOnce({ type: 'interface', name: 'nosuchif0' }), { ok: false, detail: 'no interface nosuchif0' });
});

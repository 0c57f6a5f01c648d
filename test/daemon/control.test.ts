/**
 * The control socket: protocol parsing (hostile input), the server's
 * start-up rules (directory, stale socket, another daemon), answers, and file
 * permissions enforced by the kernel against an unprivileged caller.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { controlRequest } from '../../src/daemon/control-client.js';
import { MAX_REASON_LENGTH, MAX_REQUEST_BYTES, parseRequest } from '../../src/daemon/control-protocol.js';
import { ControlServer, MAX_PENDING_PER_CLIENT, resolveGroup } from '../../src/daemon/control-server.js';

const logger = pino({ level: 'silent' });

t.test('parseRequest: valid, malformed and hostile requests', async (t) => {
  t.same(parseRequest('{"cmd":"status"}'), { ok: true, request: { cmd: 'status' } });
  t.same(parseRequest('{"cmd":"drain","reason":"kernel upgrade","id":7}'), { ok: true, id: 7, request: { cmd: 'drain', reason: 'kernel upgrade' } });
  t.same(parseRequest('{"cmd":"drain"}'), { ok: true, request: { cmd: 'drain' } });
  t.same(parseRequest('{"cmd":"undrain","id":"a"}'), { ok: true, id: 'a', request: { cmd: 'undrain' } });
  t.same(parseRequest('{"cmd":"reload"}'), { ok: true, request: { cmd: 'reload' } });
  t.same(parseRequest('not json'), { ok: false, error: 'malformed request: expected one JSON object per line' });
  t.same(parseRequest('[1]'), { ok: false, error: 'malformed request: expected a JSON object with "cmd"' });
  t.same(parseRequest('null'), { ok: false, error: 'malformed request: expected a JSON object with "cmd"' });
  t.same(parseRequest('{"cmd":5}'), { ok: false, error: 'malformed request: "cmd" must be a string' });
  t.same(parseRequest('{"cmd":"shutdown"}'), { ok: false, error: 'unknown command "shutdown": expected status, drain, undrain, reload' });
  t.same(parseRequest('{"cmd":"drain","reason":{}}'), { ok: false, error: 'drain: "reason" must be a string' });
  t.same(parseRequest('{"cmd":"__proto__"}').ok, false);
  // Control characters cannot forge log lines or break the status table; long reasons are cut.
  const r = parseRequest(JSON.stringify({ cmd: 'drain', reason: `a\nb\u0000c${'x'.repeat(1000)}` }));
  t.ok(r.ok && r.request.cmd === 'drain' && r.request.reason?.startsWith('a b c') && r.request.reason.length === MAX_REASON_LENGTH);
  t.same(parseRequest('{"cmd":"status","id":{"x":1}}'), { ok: true, request: { cmd: 'status' } }, 'a non-scalar id is dropped');
});

function tempDir(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'bgp-sidecar-ctl-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function server(t: Test, path: string, mode = 0o660, handler: (req: { cmd: string }) => Promise<unknown> = async (req) => ({ echo: req })) {
  const s = new ControlServer({ path, mode, handler, logger });
  await s.listen();
  t.teardown(() => s.close());
  return s;
}

/** Send raw bytes, collect the answer lines until `n` lines or close (bounded). */
function raw(path: string, payload: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no ${n} lines within 5s: ${JSON.stringify(buf)}`));
    }, 5000);
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(buf.split('\n').filter(Boolean));
    };
    s.setEncoding('utf8');
    s.on('connect', () => s.write(payload));
    s.on('data', (d: string) => {
      buf += d;
      if (buf.split('\n').filter(Boolean).length >= n) done();
    });
    s.on('close', done);
    s.on('error', reject);
  });
}

t.test('answers in order; malformed lines get an error and the server keeps going', async (t) => {
  const path = join(tempDir(t), 'sub', 'dir', 'c.sock');
  await server(t, path, 0o660, async (req) => {
    if (req.cmd === 'reload') throw new Error('reload rejected: bad config');
    return { echo: req };
  });
  t.equal(statSync(path).mode & 0o777, 0o660, 'socket mode');
  const lines = await raw(path, '{"cmd":"status","id":1}\ngarbage\n\n{"cmd":"reload","id":2}\n{"cmd":"drain","reason":"x"}\n', 4);
  t.same(lines.map((l) => JSON.parse(l) as unknown), [
    { ok: true, id: 1, result: { echo: { cmd: 'status' } } },
    { ok: false, error: 'malformed request: expected one JSON object per line' },
    { ok: false, id: 2, error: 'reload rejected: bad config' },
    { ok: true, result: { echo: { cmd: 'drain', reason: 'x' } } },
  ]);
  // An over-long line is refused, the connection closed, the server still answers others.
  const long = await raw(path, 'x'.repeat(MAX_REQUEST_BYTES + 10), 1);
  t.match(JSON.parse(long[0] ?? '{}'), { ok: false, error: /^request too long/ });
  t.same(await controlRequest(path, { cmd: 'status' }), { echo: { cmd: 'status' } });
  await t.rejects(controlRequest(path, { cmd: 'reload' }), { message: 'reload rejected: bad config' });
});

t.test('a client flooding requests is cut off, the server keeps serving others', async (t) => {
  const path = join(tempDir(t), 'c.sock');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await server(t, path, 0o660, async (req) => {
    if (req.cmd === 'reload') await gate;
    return 'done';
  });
  const flood = raw(path, '{"cmd":"reload"}\n'.repeat(MAX_PENDING_PER_CLIENT + 5), MAX_PENDING_PER_CLIENT + 1);
  await new Promise((r) => setTimeout(r, 100));
  release();
  const lines = (await flood).map((l) => JSON.parse(l) as { ok: boolean; error?: string });
  t.equal(lines.filter((l) => l.ok).length, MAX_PENDING_PER_CLIENT, 'the first requests are answered');
  t.match(lines.at(-1), { ok: false, error: /^too many requests in flight/ });
  t.same(await controlRequest(path, { cmd: 'status' }), 'done');
});

t.test('a stale socket file is removed; a live daemon is not displaced', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c.sock');
  const first = await server(t, path);
  // A second daemon on the same path refuses to start.
  const second = new ControlServer({ path, mode: 0o660, handler: async () => null, logger });
  await t.rejects(second.listen(), { message: `another bgp-sidecar answers on ${path}; stop it first or choose another control.socket` });
  t.same(await controlRequest(path, { cmd: 'status' }), { echo: { cmd: 'status' } }, 'the first one still answers');
  await first.close();
  t.notOk(existsSync(path), 'close removes the socket');

  // A socket file with nobody behind it (a crashed daemon): made by a child that is SIGKILLed.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('up'))`]);
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not listen')), 10_000);
    child.stdout.once('data', () => { clearTimeout(timer); resolve(); });
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(existsSync(path), 'stale socket left behind');
  await server(t, path);
  t.same(await controlRequest(path, { cmd: 'status' }), { echo: { cmd: 'status' } }, 'the new daemon took over the path');

  const file = join(dir, 'plain');
  writeFileSync(file, '');
  await t.rejects(new ControlServer({ path: file, mode: 0o660, handler: async () => null, logger }).listen(), {
    message: `control socket ${file} exists and is not a socket; remove it or choose another control.socket`,
  });
});

t.test('group names resolve through /etc/group', async (t) => {
  t.equal(await resolveGroup('root'), 0);
  t.equal(await resolveGroup(42), 42);
  t.equal(await resolveGroup('1234'), 1234);
  await t.rejects(resolveGroup('no-such-group-xyz'), { message: 'control.group: no group named "no-such-group-xyz" in /etc/group' });
});

/** Connect as `nobody` from a child process; returns "ok" or the errno code. */
function connectAs(uid: number, gid: number, path: string): Promise<string> {
  const code = `const s=require('net').createConnection(${JSON.stringify(path)});` +
    `s.on('connect',()=>{s.write('{"cmd":"status"}\\n')});s.on('data',()=>{process.stdout.write('ok');process.exit(0)});` +
    `s.on('error',e=>{process.stdout.write(e.code);process.exit(0)});setTimeout(()=>{process.stdout.write('timeout');process.exit(0)},5000)`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', code], { uid, gid, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', () => resolve(out));
  });
}

const isRoot = process.getuid?.() === 0;
const permissionSkip = !isRoot && !process.env['CI'] ? 'needs root to run a client as another uid (nobody)' : false;

t.test('the control socket refuses callers without permission', { skip: permissionSkip }, async (t) => {
  if (!isRoot) {
    t.fail('needs root to run a client as another uid (CI is set, so a missing prerequisite fails)');
    return;
  }
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
  const dir = tempDir(t);
  chmodSync(dir, 0o755); // only the socket's own mode decides
  const closed = join(dir, 'closed.sock');
  await server(t, closed, 0o660);
  t.equal(await connectAs(uid, gid, closed), 'EACCES', 'nobody gets EACCES on a 0660 root:root socket');
  // The same caller gets in when the mode lets it: the refusal above is the mode, not something else.
  const open = join(dir, 'open.sock');
  await server(t, open, 0o666);
  t.equal(await connectAs(uid, gid, open), 'ok', 'nobody connects to a 0666 socket');
  // And through the group: mode 0660 with group nogroup lets nobody in.
  const grouped = join(dir, 'grouped.sock');
  const s = new ControlServer({ path: grouped, mode: 0o660, group: gid, handler: async () => 'hi', logger });
  await s.listen();
  t.teardown(() => s.close());
  t.equal(statSync(grouped).gid, gid, 'socket group set');
  t.equal(await connectAs(uid, gid, grouped), 'ok', 'a member of the socket group connects');
});

/**
 * The installed unit under a real systemd. A private systemd instance boots
 * as PID 1 of its own PID + mount namespace (no host state touched: /run and
 * /opt are tmpfs there, /etc an overlay, units come only from a test
 * directory via SYSTEMD_UNIT_PATH). It starts the real unit as install wrote
 * it (User=, capabilities, NoNewPrivileges, ProtectSystem=strict,
 * SystemCallFilter, RuntimeDirectory, Type=notify, WatchdogSec), running the
 * installed application. A drop-in only redirects output to a file and
 * shortens WatchdogSec/RestartSec to keep the test short.
 *
 * Checks: active only after READY from the daemon; the sandbox really applied
 * (uid, capability sets, no_new_privs, seccomp); watchdog pings reach
 * systemd; reload; `status` over the control socket in /run/bgp-sidecar; a
 * frozen daemon is killed by the watchdog and restarted; stop is graceful.
 */
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { install } from '../../src/cli/cmds/install/install.js';
import { ensureNative, ROOT } from './helpers/native.js';

const run = promisify(execFile);
/** A uid/gid that is not in the host's /etc/passwd; it only exists in the namespace's overlay. */
const TEST_ID = 61990;
const SYSTEMD = '/lib/systemd/systemd';

async function missing(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (namespaces, a private systemd)';
  if (!existsSync(SYSTEMD)) return `${SYSTEMD} missing (apt package systemd)`;
  for (const tool of ['unshare', 'nsenter']) {
    try {
      await run(tool, ['--version'], { timeout: 5000 });
    } catch {
      return `${tool} missing (apt package util-linux)`;
    }
  }
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) return 'dist/ not built (npm test builds it)';
  const passwd = readFileSync('/etc/passwd', 'utf8');
  if (passwd.split('\n').some((l) => l.split(':')[2] === String(TEST_ID))) return `uid ${TEST_ID} exists on this host`;
  return undefined;
}

const kills: Array<() => void> = [];
process.on('exit', () => { for (const k of kills) k(); });
// tap ends a test that runs over its timeout with SIGTERM: 'exit' handlers do not run then.
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    for (const k of kills) k();
    process.exit(1);
  });
}

t.test('the installed unit under a real systemd', async (t) => {
  const why = await missing();
  if (why) {
    if (process.env.CI) t.fail(`prerequisite missing: ${why}`);
    else t.comment(`skip: ${why}`);
    return;
  }
  ensureNative();
  const S = mkdtempSync('/tmp/bgp-sidecar-systemd-');
  chmodSync(S, 0o755);
  t.teardown(() => rmSync(S, { recursive: true, force: true }));

  // The peer: a TCP listener on loopback (the network namespace is shared).
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((s) => { connections++; sockets.add(s); s.on('error', () => undefined); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  const port = (server.address() as { port: number }).port;

  // Install exactly as on an appliance, into a root that the namespace mounts over /opt and /etc.
  const root = join(S, 'root');
  install({
    root, source: ROOT, nodePath: process.execPath, createUser: false, systemctl: false, enable: false, start: false,
    ops: { lookupUser: () => undefined, createSystemUser: () => undefined, deleteUser: () => undefined, systemdRunning: () => false, systemctl: () => ({ code: 1, output: '' }) },
    log: () => undefined,
  });
  const configDir = join(root, 'etc/bgp-sidecar');
  writeFileSync(join(configDir, 'config.yaml'), [
    'local-asn: 65001', 'router-id: 10.0.1.20', 'prefixes: [172.16.1.1/32]',
    'peers:', '  - address: 127.0.0.1', `    port: ${port}`, '    asn: 65000', 'metrics: false', '',
  ].join('\n'));
  // What install does on a real root once the user exists: root:bgp-sidecar 0750/0640.
  chownSync(configDir, 0, TEST_ID);
  chownSync(join(configDir, 'config.yaml'), 0, TEST_ID);

  const units = join(S, 'units');
  mkdirSync(join(units, 'bgp-sidecar.service.d'), { recursive: true });
  cpSync(join(root, 'etc/systemd/system/bgp-sidecar.service'), join(units, 'bgp-sidecar.service'));
  for (const target of ['sysinit', 'basic', 'shutdown', 'network-online', 'multi-user']) {
    writeFileSync(join(units, `${target}.target`), `[Unit]\nDescription=stub ${target}\n`);
  }
  writeFileSync(join(units, 'bgptest.target'), '[Unit]\nDescription=bgp-sidecar test\nWants=bgp-sidecar.service\n');
  const log = join(S, 'daemon.log');
  writeFileSync(join(units, 'bgp-sidecar.service.d', 'test.conf'),
    `[Service]\nStandardOutput=file:${log}\nStandardError=file:${log}\nWatchdogSec=3s\nRestartSec=1s\n`);

  mkdirSync(join(S, 'etc-up'));
  mkdirSync(join(S, 'etc-work'));
  writeFileSync(join(S, 'console'), '');
  const boot = join(S, 'boot.sh');
  writeFileSync(boot, [
    'set -e',
    'mount --make-rprivate /',
    'mount -t tmpfs tmpfs /run',
    'mount -t tmpfs tmpfs /opt',
    'mkdir -p /opt/bgp-sidecar',
    `mount --bind ${root}/opt/bgp-sidecar /opt/bgp-sidecar`,
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${S}/etc-up,workdir=${S}/etc-work /etc`,
    'mkdir -p /etc/bgp-sidecar',
    `mount --bind ${configDir} /etc/bgp-sidecar`,
    `echo 'bgp-sidecar:x:${TEST_ID}:${TEST_ID}:bgp-sidecar:/nonexistent:/usr/sbin/nologin' >> /etc/passwd`,
    `echo 'bgp-sidecar:x:${TEST_ID}:' >> /etc/group`,
    `mount --bind ${S}/console /dev/console`,
    `exec env -i container=bgp-sidecar-test SYSTEMD_UNIT_PATH=${units} PATH=/usr/bin:/bin:/usr/sbin:/sbin ${SYSTEMD} --system --unit=bgptest.target --log-target=console`,
    '',
  ].join('\n'));

  const outer: ChildProcess = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--mount', '--propagation', 'private', 'bash', boot], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let bootErr = '';
  outer.stderr!.on('data', (d: Buffer) => { bootErr += d.toString(); });
  // PID 1 of the namespace is unshare's child; killing it ends everything inside.
  let init = 0;
  for (let i = 0; i < 100 && !init; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const kids = readFileSync(`/proc/${outer.pid}/task/${outer.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      init = Number(kids[0] ?? 0);
    } catch {
      break;
    }
  }
  const killAll = () => {
    if (init) try { process.kill(init, 'SIGKILL'); } catch { /* gone */ }
    if (outer.exitCode === null) outer.kill('SIGKILL');
  };
  kills.push(killAll);
  t.teardown(killAll);
  if (!init) {
    t.fail(`private systemd did not start: ${bootErr}`);
    return;
  }

  const ns = async (args: string[], timeout = 20_000) => {
    try {
      const r = await run('nsenter', ['-t', String(init), '-m', '-p', ...args], { timeout, encoding: 'utf8' });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : 1, out: x.stdout ?? '', err: x.stderr ?? '' };
    }
  };
  const show = async (): Promise<Record<string, string>> => {
    const r = await ns(['systemctl', 'show', 'bgp-sidecar', '-p', 'ActiveState,SubState,MainPID,NRestarts,StatusText,WatchdogTimestampMonotonic,Result,ExecMainCode,ExecMainStatus']);
    return Object.fromEntries(r.out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  const until = async (what: string, pred: (p: Record<string, string>) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    let last: Record<string, string> = {};
    while (Date.now() < deadline) {
      last = await show();
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what}: not reached in ${ms} ms; last ${JSON.stringify(last)}; log: ${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
  };

  const t0 = Date.now();
  const mark = (what: string) => t.comment(`${what} at +${Date.now() - t0} ms`);
  // 1. Type=notify: active only once the daemon said READY=1 (through the real NOTIFY_SOCKET).
  const up = await until('active', (p) => p.ActiveState === 'active' && p.SubState === 'running', 60_000);
  t.equal(up.NRestarts, '0');
  t.match(up.StatusText, /\S/, `STATUS= from the daemon shown by systemd: ${up.StatusText}`);
  t.ok(connections >= 1 || (await new Promise((r) => setTimeout(r, 2000)), connections >= 1), 'the BGP session was started (peer got a connection)');
  const pid = up.MainPID!;

  mark('active');
  // 2. The sandbox as applied to the running process.
  const st = (await ns(['cat', `/proc/${pid}/status`])).out;
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(st)?.[1]?.trim();
  t.equal(field('Uid')?.split(/\s+/)[0], String(TEST_ID), 'runs as the bgp-sidecar user');
  // CAP_NET_BIND_SERVICE (10) | CAP_NET_ADMIN (12) | CAP_NET_RAW (13) | CAP_SYS_NICE (23)
  for (const k of ['CapAmb', 'CapBnd', 'CapEff']) t.equal(field(k), '0000000000803400', `${k}: only NET_RAW, NET_ADMIN, NET_BIND_SERVICE, SYS_NICE`);
  t.equal(field('NoNewPrivs'), '1');
  t.equal(field('Seccomp'), '2', 'system call filter active');
  const ls = (await ns(['stat', '-c', '%U %a %n', '/run/bgp-sidecar', '/run/bgp-sidecar/control.sock'])).out.trim().split('\n');
  t.same(ls, ['bgp-sidecar 750 /run/bgp-sidecar', 'bgp-sidecar 660 /run/bgp-sidecar/control.sock'], 'RuntimeDirectory holds the control socket');

  mark('sandbox checked');
  // 3. Watchdog pings reach systemd (WatchdogSec=3s: a ping every 1.5 s).
  const w1 = Number(up.WatchdogTimestampMonotonic);
  const w2 = Number((await until('watchdog ping', (p) => Number(p.WatchdogTimestampMonotonic) > w1, 5000)).WatchdogTimestampMonotonic);
  t.ok(w2 > w1, 'watchdog timestamp advances');

  mark('watchdog seen');
  // 4. Reload (SIGHUP) keeps the same process; status over the control socket.
  t.equal((await ns(['systemctl', 'reload', 'bgp-sidecar'])).code, 0, 'systemctl reload');
  const afterReload = await until('active after reload', (p) => p.ActiveState === 'active', 10_000);
  t.equal(afterReload.MainPID, pid, 'same process after reload');
  const status = await ns([process.execPath, '/opt/bgp-sidecar/dist/src/cli/main.js', 'status']);
  t.match(status.out, /router-id 10\.0\.1\.20/, `bgp-sidecar status over /run/bgp-sidecar/control.sock ${status.err}`);

  mark('reload and status done');
  // 5. A frozen daemon stops pinging: systemd kills it (watchdog) and restarts it.
  await ns(['kill', '-STOP', pid]);
  const restarted = await until('watchdog restart', (p) => p.NRestarts === '1' && p.MainPID !== pid && p.MainPID !== '0', 20_000);
  t.pass(`restarted by the watchdog: new MainPID ${restarted.MainPID}`);
  await until('active again', (p) => p.ActiveState === 'active' && p.SubState === 'running', 60_000);

  mark('restarted and active again');
  // 6. Stop is graceful: the daemon handles SIGTERM, drains and exits 0.
  t.equal((await ns(['systemctl', 'stop', 'bgp-sidecar'], 90_000)).code, 0);
  mark('stopped');
  const stopped = await show();
  t.equal(stopped.ActiveState, 'inactive');
  t.equal(stopped.ExecMainCode, '1', 'exited (not killed)');
  t.equal(stopped.ExecMainStatus, '0');
  t.match(readFileSync(log, 'utf8'), /"msg":"stopped"/, 'the daemon logged its clean stop');
  t.notOk(readFileSync('/etc/passwd', 'utf8').includes(`:${TEST_ID}:`), 'the host /etc/passwd was not touched');
});

/**
 * The shipped unit: `systemd-analyze verify` accepts it, `systemd-analyze
 * security` rates it, and the settings the issue asks for are there (a typo
 * in a directive name is only a warning for systemd, so they are checked
 * one by one).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/daemon/sdnotify.js';
import { capabilitiesDropin } from '../../src/cli/cmds/install/install.js';

const UNIT = join(packageRoot(), 'systemd', 'bgp-sidecar.service');
const text = readFileSync(UNIT, 'utf8');

/** Directive values of the unit, in order (comments and blank lines dropped). */
function directives(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const k = line.slice(0, eq);
    out.set(k, [...(out.get(k) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

function haveTool(cmd: string): boolean {
  return !spawnSync(cmd, ['--version']).error;
}

t.test('systemd-analyze verify accepts the unit', async (t) => {
  if (!haveTool('systemd-analyze')) {
    if (process.env.CI) t.fail('systemd-analyze missing (apt package systemd)');
    else t.comment('skip: systemd-analyze not installed');
    return;
  }
  const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', cwd: tmpdir(), timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  // verify prints unknown directives and bad values as warnings but may still exit 0: none allowed.
  t.equal(r.stderr.trim(), '', 'no warnings');

  // With a capabilities drop-in as install writes it.
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bgp-sidecar.service'), text);
  const dropDir = join(dir, 'bgp-sidecar.service.d');
  spawnSync('mkdir', ['-p', dropDir]);
  writeFileSync(join(dropDir, '10-capabilities.conf'), capabilitiesDropin(['CAP_NET_RAW']));
  const r2 = spawnSync('systemd-analyze', ['verify', join(dir, 'bgp-sidecar.service')], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  t.equal(r2.status, 0, r2.stderr);
  t.equal(r2.stderr.trim(), '');
});

t.test('systemd-analyze security: exposure stays low', async (t) => {
  if (!haveTool('systemd-analyze')) {
    if (process.env.CI) t.fail('systemd-analyze missing');
    else t.comment('skip: systemd-analyze not installed');
    return;
  }
  const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT], { encoding: 'utf8', cwd: tmpdir(), timeout: 60_000 });
  const m = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout);
  t.ok(m, `security report read: ${r.stderr}`);
  const level = Number(m?.[1]);
  t.ok(level <= 3.0, `exposure ${level} <= 3.0 ("OK" band starts below 4)`);
});

t.test('the directives the service contract depends on', async (t) => {
  const d = directives(text);
  const one = (k: string) => d.get(k)?.at(-1);
  t.equal(one('Type'), 'notify', 'READY=1 over sd_notify');
  t.equal(one('NotifyAccess'), 'main');
  t.match(one('ExecStart'), /^\/usr\/bin\/node \/opt\/bgp-sidecar\/dist\/src\/cli\/main\.js run --config \/etc\/bgp-sidecar\/config\.yaml$/);
  t.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID', 'reload = SIGHUP');
  t.equal(one('WatchdogSec'), '10s');
  t.equal(one('Restart'), 'on-failure');
  t.equal(one('RestartPreventExitStatus'), '78', 'a bad config (EX_CONFIG) is not restarted in a loop');
  t.equal(one('TimeoutStopSec'), '60s', 'room for the graceful drain');
  t.equal(one('KillMode'), 'mixed', 'SIGTERM to the daemon only; it stops its children');
  t.equal(one('User'), 'bgp-sidecar');
  t.equal(one('NoNewPrivileges'), 'yes');
  t.equal(one('ProtectSystem'), 'strict');
  t.equal(one('ProtectHome'), 'yes');
  t.equal(one('PrivateTmp'), 'yes');
  t.equal(one('SystemCallFilter'), '@system-service');
  t.equal(one('SystemCallErrorNumber'), 'EPERM');
  t.equal(one('RuntimeDirectory'), 'bgp-sidecar', '/run/bgp-sidecar for the control socket');
  t.equal(one('RuntimeDirectoryPreserve'), 'restart', 'loopback.json survives a crash-restart');
  t.same(one('RestrictAddressFamilies')?.split(/\s+/).sort(), ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
  t.same(one('CapabilityBoundingSet')?.split(/\s+/).sort(), ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_NICE']);
  t.same(one('AmbientCapabilities')?.split(/\s+/).sort(), ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_NICE']);
  t.equal(one('RestrictRealtime'), 'no', 'the BFD worker may run at SCHED_FIFO');
  t.notOk(d.has('MemoryDenyWriteExecute'), 'V8 JIT needs W+X pages');
  t.notOk(d.has('ProtectProc'), 'exec health checks may look at other processes');
  t.equal(one('WantedBy'), 'multi-user.target');
});

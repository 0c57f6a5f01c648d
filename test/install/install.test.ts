/**
 * install / uninstall into a temporary root (DESTDIR style): exactly the
 * expected files, production dependencies only, config never overwritten and
 * kept by uninstall unless --purge, capabilities drop-in, operator files kept.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { install, parseCapabilities, renderUnit, InstallError } from '../../src/cli/cmds/install/install.js';
import { uninstall } from '../../src/cli/cmds/install/uninstall.js';
import { productionDependencies, MissingDependencyError } from '../../src/cli/cmds/install/prod-deps.js';
import { makeInstallCommand } from '../../src/cli/cmds/install/index.js';
import { makeUninstallCommand } from '../../src/cli/cmds/uninstall/index.js';
import type { SystemOps } from '../../src/cli/cmds/install/system-ops.js';
import { ensureNative, ROOT } from '../systemd/helpers/native.js';
import { fakeSource, write } from './helpers/fake-source.js';

ensureNative();

/** Host operations that must never be reached with a temporary root. */
function forbiddenOps(t: { fail(m: string): unknown }): SystemOps & { calls: string[] } {
  const calls: string[] = [];
  const no = (what: string) => { calls.push(what); t.fail(`host operation ${what} called for a temporary root`); };
  return {
    calls,
    lookupUser: (n) => { no(`lookupUser ${n}`); return undefined; },
    createSystemUser: (n) => no(`createSystemUser ${n}`),
    deleteUser: (n) => no(`deleteUser ${n}`),
    systemdRunning: () => { no('systemdRunning'); return false; },
    systemctl: (a) => { no(`systemctl ${a.join(' ')}`); return { code: 1, output: '' }; },
  };
}

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

const EXPECTED_INSTALL = [
  'etc/bgp-sidecar/config.yaml',
  'etc/systemd/system/bgp-sidecar.service',
  'opt/bgp-sidecar/config/active.yaml',
  'opt/bgp-sidecar/dist/src/cli/main.js',
  'opt/bgp-sidecar/dist/src/daemon/sdnotify.js',
  'opt/bgp-sidecar/docs/operators.md',
  'opt/bgp-sidecar/install-manifest.json',
  'opt/bgp-sidecar/node_modules/alpha/index.js',
  'opt/bgp-sidecar/node_modules/alpha/package.json',
  'opt/bgp-sidecar/node_modules/beta/lib/b.js',
  'opt/bgp-sidecar/node_modules/beta/node_modules/gamma/package.json',
  'opt/bgp-sidecar/node_modules/beta/package.json',
  'opt/bgp-sidecar/node_modules/delta/package.json',
  'opt/bgp-sidecar/node_modules/gamma/package.json',
  'opt/bgp-sidecar/package.json',
  'opt/bgp-sidecar/systemd/bgp-sidecar.service',
  'opt/bgp-sidecar/systemd/config.yaml',
  'opt/bgp-sidecar/systemd/native/build/Release/sdnotify.node',
  'usr/local/bin/bgp-sidecar',
];

function tmp(t: { teardown(fn: () => void): unknown }, name: string): string {
  const d = mkdtempSync(join(tmpdir(), `bgp-sidecar-${name}-`));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('production dependency closure: hoisted, nested, peers; no dev deps; optional absent is fine', async (t) => {
  const src = tmp(t, 'src');
  fakeSource(src);
  t.same(productionDependencies(src), [
    'node_modules/alpha',
    'node_modules/beta',
    'node_modules/beta/node_modules/gamma',
    'node_modules/delta',
    'node_modules/gamma',
  ]);
  rmSync(join(src, 'node_modules/delta'), { recursive: true });
  t.throws(() => productionDependencies(src), MissingDependencyError, 'a missing required dependency is an error, not a broken install');
});

t.test('install then uninstall into a temporary root', async (t) => {
  const src = tmp(t, 'src');
  const root = tmp(t, 'root');
  fakeSource(src);
  const ops = forbiddenOps(t);
  const log: string[] = [];
  const base = { root, source: src, nodePath: '/usr/local/bin/node', createUser: true, systemctl: true, enable: true, start: true, ops, log: (l: string) => log.push(l) };

  const r1 = install(base);
  t.same(files(root), EXPECTED_INSTALL, 'exactly the expected files');
  t.equal(r1.configKept, false);
  t.equal(ops.calls.length, 0, 'no user, no systemctl with a temporary root');

  const unit = readFileSync(join(root, 'etc/systemd/system/bgp-sidecar.service'), 'utf8');
  t.match(unit, /^ExecStart=\/usr\/local\/bin\/node \/opt\/bgp-sidecar\/dist\/src\/cli\/main\.js run --config \/etc\/bgp-sidecar\/config\.yaml$/m, 'unit runs the node found at install time');
  t.notMatch(unit, new RegExp(root), 'no temporary root leaks into the unit');
  const wrapper = readFileSync(join(root, 'usr/local/bin/bgp-sidecar'), 'utf8');
  t.match(wrapper, /exec '\/usr\/local\/bin\/node' '\/opt\/bgp-sidecar\/dist\/src\/cli\/main\.js' "\$@"/);
  t.equal(lstatSync(join(root, 'usr/local/bin/bgp-sidecar')).mode & 0o777, 0o755);
  t.equal(lstatSync(join(root, 'etc/bgp-sidecar/config.yaml')).mode & 0o777, 0o640, 'config not world-readable');
  t.equal(lstatSync(join(root, 'etc/bgp-sidecar')).mode & 0o777, 0o750);
  const manifest = JSON.parse(readFileSync(join(root, 'opt/bgp-sidecar/install-manifest.json'), 'utf8'));
  t.equal(manifest.version, '9.8.7');
  t.equal(manifest.createdUser, false);

  // The operator edits the config; a re-install (upgrade) keeps it.
  writeFileSync(join(root, 'etc/bgp-sidecar/config.yaml'), 'local-asn: 64512 # mine\n');
  write(join(src, 'dist/src/new-module.js'), 'export {}\n');
  const r2 = install(base);
  t.equal(r2.configKept, true);
  t.equal(readFileSync(join(root, 'etc/bgp-sidecar/config.yaml'), 'utf8'), 'local-asn: 64512 # mine\n', 'existing config not overwritten');
  t.ok(existsSync(join(root, 'opt/bgp-sidecar/dist/src/new-module.js')), 'upgrade replaces the application');
  t.ok(log.includes('kept the existing /etc/bgp-sidecar/config.yaml'));
  t.notOk(readdirSync(join(root, 'opt')).some((n) => n !== 'bgp-sidecar'), 'no staging directories left behind');

  // An override the operator made with `systemctl edit` survives uninstall without --purge.
  write(join(root, 'etc/systemd/system/bgp-sidecar.service.d/override.conf'), '[Service]\nEnvironment=X=1\n');
  uninstall({ root, purge: false, systemctl: true, ops, log: () => undefined });
  t.same(files(root), ['etc/bgp-sidecar/config.yaml', 'etc/systemd/system/bgp-sidecar.service.d/override.conf'], 'only the config and the operator override remain');
  t.equal(readFileSync(join(root, 'etc/bgp-sidecar/config.yaml'), 'utf8'), 'local-asn: 64512 # mine\n', 'config survives uninstall');

  install(base);
  uninstall({ root, purge: true, systemctl: true, ops, log: () => undefined });
  t.same(files(root), [], '--purge leaves nothing');
  t.equal(ops.calls.length, 0);
});

t.test('--capabilities writes a drop-in that resets and sets the set; uninstall removes it', async (t) => {
  const src = tmp(t, 'src');
  const root = tmp(t, 'root');
  fakeSource(src);
  const ops = forbiddenOps(t);
  install({ root, source: src, nodePath: '/usr/bin/node', createUser: false, systemctl: false, enable: false, start: false, capabilities: ['net-raw'], ops, log: () => undefined });
  const dropin = readFileSync(join(root, 'etc/systemd/system/bgp-sidecar.service.d/10-capabilities.conf'), 'utf8');
  t.match(dropin, /^AmbientCapabilities=\nCapabilityBoundingSet=\nAmbientCapabilities=CAP_NET_RAW\nCapabilityBoundingSet=CAP_NET_RAW\n$/m);
  // A later install without --capabilities keeps the earlier choice.
  install({ root, source: src, nodePath: '/usr/bin/node', createUser: false, systemctl: false, enable: false, start: false, ops, log: () => undefined });
  t.ok(existsSync(join(root, 'etc/systemd/system/bgp-sidecar.service.d/10-capabilities.conf')));
  uninstall({ root, purge: false, systemctl: false, ops, log: () => undefined });
  t.same(files(root), ['etc/bgp-sidecar/config.yaml']);

  t.same(parseCapabilities(['NET_ADMIN,cap_net_raw']), ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
  t.same(parseCapabilities(['none']), []);
  t.throws(() => parseCapabilities(['sys-admin']), InstallError);
});

t.test('a symlink in /usr/local/bin (npm install -g) is replaced, its target untouched; foreign files kept', async (t) => {
  const src = tmp(t, 'src');
  const root = tmp(t, 'root');
  fakeSource(src);
  const ops = forbiddenOps(t);
  const target = join(root, 'usr/local/lib/node_modules/bgp-sidecar/dist/src/cli/main.js');
  write(target, 'npm copy\n');
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  symlinkSync(target, join(root, 'usr/local/bin/bgp-sidecar'));
  install({ root, source: src, nodePath: '/usr/bin/node', createUser: false, systemctl: false, enable: false, start: false, ops, log: () => undefined });
  t.equal(readFileSync(target, 'utf8'), 'npm copy\n', 'npm-installed copy not clobbered through the link');
  t.notOk(lstatSync(join(root, 'usr/local/bin/bgp-sidecar')).isSymbolicLink());

  // A unit the operator wrote by hand is not ours: uninstall leaves it.
  writeFileSync(join(root, 'etc/systemd/system/bgp-sidecar.service'), '[Service]\nExecStart=/bin/true\n');
  const { kept } = uninstall({ root, purge: false, systemctl: false, ops, log: () => undefined });
  t.ok(kept.includes('/etc/systemd/system/bgp-sidecar.service'));
  t.ok(existsSync(join(root, 'etc/systemd/system/bgp-sidecar.service')));
});

t.test('refuses an unbuilt source and odd node paths', async (t) => {
  const src = tmp(t, 'src');
  const root = tmp(t, 'root');
  fakeSource(src);
  rmSync(join(src, 'dist'), { recursive: true });
  const ops = forbiddenOps(t);
  t.throws(() => install({ root, source: src, nodePath: '/usr/bin/node', createUser: false, systemctl: false, enable: false, start: false, ops, log: () => undefined }),
    { message: /dist\/src\/cli\/main\.js missing: run `npm run build`/ });
  t.same(files(root), [], 'nothing written');
  t.throws(() => renderUnit('ExecStart=/usr/bin/node x\n', '/opt/my node/bin/node'), InstallError);
});

t.test('CLI modules: install --prefix / uninstall --prefix through the command handlers', async (t) => {
  const src = tmp(t, 'src');
  const root = tmp(t, 'root');
  fakeSource(src);
  const ops = forbiddenOps(t);
  const out: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s), env: {} };
  const code = await makeInstallCommand(ops).handler({ prefix: root, source: src, user: true, systemctl: true }, io);
  t.equal(code, 0);
  t.ok(existsSync(join(root, 'opt/bgp-sidecar/dist/src/cli/main.js')));
  await t.rejects(makeInstallCommand(ops).handler({ prefix: 'relative/dir', source: src }, io), { name: 'CliError' });
  await makeUninstallCommand(ops).handler({ prefix: root }, io);
  t.same(files(root), ['etc/bgp-sidecar/config.yaml']);
});

t.test('the real built tree installs, and the installed copy runs', async (t) => {
  if (!existsSync(join(ROOT, 'dist/src/daemon/journal.js'))) {
    if (process.env.CI) t.fail('dist/ not built (npm test builds it first)');
    else t.comment('skip: dist/ not built; run `npx tsc -p .`');
    return;
  }
  const root = tmp(t, 'root');
  // Through the real entry points: scripts/install.sh -> dist/src/cli/main.js install (yargs parsing included).
  const inst = spawnSync('sh', [join(ROOT, 'scripts/install.sh'), '--prefix', root, '--no-user', '--capabilities', 'net-raw'], {
    encoding: 'utf8', timeout: 300_000, env: { ...process.env, NODE: process.execPath },
  });
  t.equal(inst.status, 0, `scripts/install.sh: ${inst.stderr}`);
  t.match(inst.stdout, /installed bgp-sidecar .* in \/opt\/bgp-sidecar/);
  t.match(readFileSync(join(root, 'etc/systemd/system/bgp-sidecar.service.d/10-capabilities.conf'), 'utf8'), /AmbientCapabilities=CAP_NET_RAW/);
  const app = join(root, 'opt/bgp-sidecar');
  const mods = readdirSync(join(app, 'node_modules'));
  for (const m of ['pino', 'yargs', 'zod', 'yaml']) t.ok(mods.includes(m), `${m} installed`);
  for (const m of ['typescript', 'tap', 'tsx', 'fast-check', '@types', '.bin']) t.notOk(mods.includes(m), `dev dependency ${m} not installed`);
  t.notOk(existsSync(join(app, 'dist/test')), 'compiled tests not shipped');
  // The installed copy resolves its own node_modules and finds its addon from /opt-like paths.
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e', [
    `const j = await import(${JSON.stringify(join(app, 'dist/src/daemon/journal.js'))});`,
    `const s = await import(${JSON.stringify(join(app, 'dist/src/daemon/sdnotify.js'))});`,
    'const n = s.loadNative();',
    `process.stdout.write(JSON.stringify({ root: s.packageRoot(), send: typeof n.send, line: j.formatJournalLine('{"level":50,"msg":"x"}') }));`,
  ].join('\n')], { encoding: 'utf8', cwd: tmpdir(), timeout: 30_000 });
  t.equal(probe.status, 0, probe.stderr);
  const res = JSON.parse(probe.stdout || '{}');
  t.equal(res.root, app, 'package root is the installed directory');
  t.equal(res.send, 'function', 'native addon loads from the installed tree');
  t.equal(res.line, '<3>x\n');

  const verify = spawnSync('systemd-analyze', ['verify', join(root, 'etc/systemd/system/bgp-sidecar.service')], { encoding: 'utf8', cwd: tmpdir(), timeout: 60_000 });
  if (verify.error) {
    if (process.env.CI) t.fail('systemd-analyze missing (apt package systemd)');
    else t.comment('skip: systemd-analyze not installed');
  } else {
    t.equal(verify.status, 0, `installed unit verifies: ${verify.stderr}`);
  }
  const un = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'uninstall', '--prefix', root], { encoding: 'utf8', timeout: 300_000 });
  t.equal(un.status, 0, `uninstall: ${un.stderr}`);
  t.same(files(root), ['etc/bgp-sidecar/config.yaml'], 'uninstall through the CLI keeps only the config');
  const purge = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'uninstall', '--prefix', root, '--purge'], { encoding: 'utf8', timeout: 300_000 });
  t.equal(purge.status, 0, purge.stderr);
  t.same(files(root), []);
});

// `npm pack` ships what install and `npm install -g` need, and no build output of the addon.
t.test('npm pack contents', async (t) => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    t.fail(`npm pack --dry-run failed: ${r.stderr}`);
    return;
  }
  const list = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? [];
  for (const f of ['package.json', 'systemd/bgp-sidecar.service', 'systemd/config.yaml', 'systemd/native/binding.gyp', 'systemd/native/sdnotify.c']) {
    t.ok(list.includes(f), `${f} in the tarball`);
  }
  t.notOk(list.some((f) => f.startsWith('systemd/native/build/')), 'no prebuilt addon: it is built for the target at install');
  if (existsSync(join(ROOT, 'dist/src/cli/main.js'))) t.ok(list.includes('dist/src/cli/main.js'), 'the CLI is in the tarball');
  void execFileSync;
});

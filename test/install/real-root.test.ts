/**
 * `bgp-sidecar install` / `uninstall` on "/" for real, inside a private mount
 * namespace whose /etc, /usr/local, /opt, /run and /var/log are throwaway
 * (overlays and tmpfs), so the host is not touched: useradd creates the user,
 * the config gets root:bgp-sidecar 0640 in a 0750 directory, the wrapper runs
 * the installed copy, uninstall keeps the config and the user, --purge
 * removes both, but never a user that someone else created. systemd is not running in there (/run is empty), so install
 * says so and skips systemctl.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ensureNative } from '../systemd/helpers/native.js';

function missing(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (mount namespace)';
  for (const tool of ['unshare', 'useradd', 'userdel']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} missing`;
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) return 'dist/ not built (npm test builds it)';
  if (spawnSync('getent', ['passwd', 'bgp-sidecar']).status === 0) return 'user bgp-sidecar already exists on this host';
  return undefined;
}

t.test('install and uninstall on / in a throwaway mount namespace', async (t) => {
  const why = missing();
  if (why) {
    if (process.env.CI) t.fail(`prerequisite missing: ${why}`);
    else t.comment(`skip: ${why}`);
    return;
  }
  ensureNative();
  const S = mkdtempSync('/tmp/bgp-sidecar-realroot-');
  chmodSync(S, 0o755);
  t.teardown(() => rmSync(S, { recursive: true, force: true }));
  for (const d of ['etc-up', 'etc-work', 'ul-up', 'ul-work']) mkdirSync(join(S, d));
  const cli = `${process.execPath} ${ROOT}/dist/src/cli/main.js`;
  const script = join(S, 'steps.sh');
  // Each step prints a marker line the test parses; `set -e` stops at the first failure.
  writeFileSync(script, [
    'set -eu',
    'mount --make-rprivate /',
    'mount -t tmpfs tmpfs /run',
    'mount -t tmpfs tmpfs /opt',
    'mount -t tmpfs tmpfs /var/log',
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${S}/etc-up,workdir=${S}/etc-work /etc`,
    `mount -t overlay overlay -o lowerdir=/usr/local,upperdir=${S}/ul-up,workdir=${S}/ul-work /usr/local`,
    'echo "== install"',
    `${cli} install`,
    'echo "== user"; getent passwd bgp-sidecar',
    'echo "== modes"; stat -c "%U:%G %a %n" /etc/bgp-sidecar /etc/bgp-sidecar/config.yaml /opt/bgp-sidecar /usr/local/bin/bgp-sidecar /etc/systemd/system/bgp-sidecar.service',
    'echo "== wrapper"; /usr/local/bin/bgp-sidecar check-config -q -c /etc/bgp-sidecar/config.yaml && echo wrapper-ok',
    'echo "local-asn: 64999 # edited" >> /etc/bgp-sidecar/config.yaml',
    'echo "== reinstall"',
    `${cli} install`,
    'echo "== uninstall"',
    '/usr/local/bin/bgp-sidecar uninstall',
    'echo "== after-uninstall"; ls /opt; test ! -e /usr/local/bin/bgp-sidecar && echo no-wrapper; test ! -e /etc/systemd/system/bgp-sidecar.service && echo no-unit; tail -1 /etc/bgp-sidecar/config.yaml; getent passwd bgp-sidecar >/dev/null && echo user-kept',
    'echo "== reinstall-then-purge"',
    `${cli} install >/dev/null`,
    `${cli} uninstall --purge`,
    'echo "== after-purge"; test ! -e /etc/bgp-sidecar && echo no-config; getent passwd bgp-sidecar >/dev/null || echo user-removed; getent group bgp-sidecar >/dev/null || echo group-removed',
    'echo "== foreign-user"',
    'useradd --system --no-create-home --no-log-init --comment "managed elsewhere" bgp-sidecar',
    `${cli} install | grep -c "created system user" || true`,
    `${cli} uninstall --purge | grep "kept user"`,
    'getent passwd bgp-sidecar >/dev/null && echo foreign-user-kept',
    'echo "== done"',
    '',
  ].join('\n'));
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', script], { encoding: 'utf8', timeout: 300_000 });
  const out = r.stdout;
  const section = (name: string) => {
    const start = out.indexOf(`== ${name}\n`);
    if (start < 0) return '';
    const rest = out.slice(start + name.length + 4);
    const end = rest.indexOf('\n== ');
    return end < 0 ? rest : rest.slice(0, end + 1);
  };
  t.equal(r.status, 0, `steps ran: ${r.stderr}`);
  t.match(section('install'), /created system user bgp-sidecar/);
  t.match(section('install'), /systemd is not running here: skipped systemctl/);
  t.match(section('user'), /^bgp-sidecar:x:\d+:\d+:bgp-sidecar daemon:\/nonexistent:\/usr\/sbin\/nologin$/m, 'system user, no home, no shell');
  const uid = Number(/^bgp-sidecar:x:(\d+):/m.exec(section('user'))?.[1]);
  t.ok(uid > 0 && uid < 1000, `a system uid (${uid})`);
  t.same(section('modes').trim().split('\n'), [
    'root:bgp-sidecar 750 /etc/bgp-sidecar',
    'root:bgp-sidecar 640 /etc/bgp-sidecar/config.yaml',
    'root:root 755 /opt/bgp-sidecar',
    'root:root 755 /usr/local/bin/bgp-sidecar',
    'root:root 644 /etc/systemd/system/bgp-sidecar.service',
  ]);
  t.match(section('wrapper'), /wrapper-ok/, 'the wrapper runs the installed copy');
  t.match(section('reinstall'), /kept the existing \/etc\/bgp-sidecar\/config.yaml/);
  t.notMatch(section('reinstall'), /created system user/, 'the user is not created twice');
  t.same(section('after-uninstall').trim().split('\n'), ['no-wrapper', 'no-unit', 'local-asn: 64999 # edited', 'user-kept'], 'config and user survive uninstall');
  t.same(section('after-purge').trim().split('\n'), ['no-config', 'user-removed', 'group-removed'], '--purge removes config and the user install created');
  t.same(section('foreign-user').trim().split('\n'), ['0', 'kept user bgp-sidecar: not created by bgp-sidecar install', 'foreign-user-kept'], 'a user made by someone else is used, and --purge leaves it');
  t.match(out, /== done/);
  t.equal(spawnSync('getent', ['passwd', 'bgp-sidecar']).status, 2, 'the host has no bgp-sidecar user');
  t.notOk(existsSync('/opt/bgp-sidecar') || existsSync('/etc/bgp-sidecar'), 'nothing on the host');
  void readFileSync;
});

/**
 * The config files this area ships pass `bgp-sidecar check-config` with no
 * warnings: the default written to /etc/bgp-sidecar/config.yaml by install,
 * and the IPv6 and tuned-BFD examples. Also checks that each example really
 * shows what it is named after.
 */
import t from 'tap';
import { join } from 'node:path';
import { checkConfig } from '../../src/cli/cmds/check-config/index.js';
import { loadConfigFile } from '../../src/config/load.js';
import { packageRoot } from '../../src/daemon/sdnotify.js';

const ROOT = packageRoot();
const FILES = ['systemd/config.yaml', 'config/ipv6.yaml', 'config/bfd-tuned.yaml'];

for (const rel of FILES) {
  t.test(`check-config ${rel}`, async (t) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkConfig.handler({ config: join(ROOT, rel), json: true }, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env: {} });
    t.equal(code ?? 0, 0, 'valid');
    t.same(err, [], 'no warnings');
    t.doesNotThrow(() => JSON.parse(out.join('')), 'normalized config printed');
  });
}

t.test('ipv6.yaml announces an IPv6 prefix with an IPv6 next hop on every IPv4 session', async (t) => {
  const { config } = await loadConfigFile(join(ROOT, 'config/ipv6.yaml'));
  t.ok(config.prefixes.some((p) => p.includes(':')), 'an IPv6 prefix');
  for (const p of config.peers) {
    t.notOk(p.address.includes(':'), `${p.address}: IPv4 session, as Route Server peers are`);
    t.match(p.ipv6NextHop, /:/, `${p.address}: ipv6-next-hop set`);
  }
});

t.test('bfd-tuned.yaml: BFD on every peer, 300 ms x 3, strict', async (t) => {
  const { config } = await loadConfigFile(join(ROOT, 'config/bfd-tuned.yaml'));
  for (const p of config.peers) {
    t.same(p.bfd && { tx: p.bfd.minTxMs, rx: p.bfd.minRxMs, mult: p.bfd.multiplier, strict: p.bfd.strict }, { tx: 300, rx: 300, mult: 3, strict: true }, p.address);
  }
});

t.test('the installed default uses the control socket inside the unit\'s RuntimeDirectory', async (t) => {
  const { config } = await loadConfigFile(join(ROOT, 'systemd/config.yaml'));
  t.equal(config.control.socket, '/run/bgp-sidecar/control.sock');
});

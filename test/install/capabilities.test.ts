/**
 * Capabilities from the config: what each feature needs, what a process
 * lacks, and `install --capabilities auto` writing exactly those.
 */
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';
import { capabilityNeeds, effectiveCapabilities, missingCapabilities, requiredCapabilities } from '../../src/cli/cmds/install/capabilities.js';
import { makeInstallCommand } from '../../src/cli/cmds/install/index.js';
import type { SystemOps } from '../../src/cli/cmds/install/system-ops.js';
import { ROOT } from '../systemd/helpers/native.js';
import { fakeSource } from './helpers/fake-source.js';

const load = async (rel: string) => (await loadConfigFile(join(ROOT, rel))).config;

t.test('needs per feature', async (t) => {
  t.same(requiredCapabilities(await load('systemd/config.yaml')), [], 'the installed template needs none');
  t.same(requiredCapabilities(await load('config/ipv6.yaml')), ['CAP_NET_ADMIN'], 'loopback.manage');
  t.same(requiredCapabilities(await load('config/bfd-tuned.yaml')), ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_SYS_NICE'], 'BFD raw socket and real-time worker + loopback');
  const needs = capabilityNeeds(await load('config/bfd-tuned.yaml'));
  t.same(needs.map((n) => `${n.cap} ${n.path}`), ['CAP_NET_RAW peers[0].bfd', 'CAP_SYS_NICE peers[0].bfd', 'CAP_NET_RAW peers[1].bfd', 'CAP_SYS_NICE peers[1].bfd', 'CAP_NET_ADMIN loopback.manage']);
});

t.test('missing capabilities of a process', async (t) => {
  const cfg = await load('config/bfd-tuned.yaml');
  t.equal(effectiveCapabilities('Name:\tnode\nCapEff:\t0000000000003400\n'), 0x3400n);
  t.equal(effectiveCapabilities('no caps line'), undefined);
  t.same(missingCapabilities(cfg, 0x803400n), [], 'the unit as shipped covers it');
  t.same(missingCapabilities(cfg, 0x3400n).map((n) => `${n.cap} ${n.path}`), ['CAP_SYS_NICE peers[0].bfd', 'CAP_SYS_NICE peers[1].bfd'], 'without SYS_NICE the BFD worker cannot run real-time');
  t.same(missingCapabilities(cfg, 0x000001ffffffffffn), [], 'root');
  t.same(missingCapabilities(cfg, (1n << 13n) | (1n << 23n)).map((n) => n.path), ['loopback.manage'], 'a drop-in that kept only NET_RAW and SYS_NICE');
  t.same(missingCapabilities(cfg, 0n).length, 5);
});

t.test('install --capabilities auto', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-caps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  const root = join(dir, 'root');
  fakeSource(src);
  const ops = {} as SystemOps; // never reached with a temporary root
  const out: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s), env: {} };
  const cmd = makeInstallCommand(ops);

  await t.rejects(cmd.handler({ prefix: root, source: src, capabilities: 'auto' }, io), { name: 'CliError', message: /does not exist yet/ }, 'fresh install: nothing to read');

  mkdirSync(join(root, 'etc/bgp-sidecar'), { recursive: true });
  copyFileSync(join(ROOT, 'config/bfd-tuned.yaml'), join(root, 'etc/bgp-sidecar/config.yaml'));
  out.length = 0;
  await cmd.handler({ prefix: root, source: src }, io);
  t.ok(out.some((l) => l.startsWith('config needs CAP_NET_RAW: peers[0].bfd')), 'install explains what the config needs');
  t.ok(out.some((l) => /also grants CAP_NET_BIND_SERVICE/.test(l)), 'and what the shipped unit grants beyond it');

  t.equal(await cmd.handler({ prefix: root, source: src, capabilities: 'auto' }, io), 0);
  const dropin = readFileSync(join(root, 'etc/systemd/system/bgp-sidecar.service.d/10-capabilities.conf'), 'utf8');
  t.match(dropin, /^AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_NICE$/m);
  t.match(dropin, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_NICE$/m);

  out.length = 0;
  await cmd.handler({ prefix: root, source: src }, io);
  t.notOk(out.some((l) => /also grants/.test(l)), 'with the drop-in kept, no claim about the unit\'s full set');

  copyFileSync(join(ROOT, 'test/install/capabilities.test.ts'), join(root, 'etc/bgp-sidecar/config.yaml'));
  await t.rejects(cmd.handler({ prefix: root, source: src, capabilities: 'auto' }, io), { name: 'CliError', message: /is not valid/ }, 'an invalid config is an error, not "no capabilities"');
});

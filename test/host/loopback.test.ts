/**
 * Loopback management inside a namespace made here: addresses added before announcing,
 * removed only after the withdraw was written, pre-existing ones never removed.
 */
import t from 'tap';
import { LoopbackManager, hostAddress } from '../../src/host/loopback.js';
import { RouteApplier } from '../../src/host/apply.js';
import type { Announcement } from '../../src/policy/types.js';
import { Netns, requireRootAndTools, useCleanup } from '../lib/netns.js';

// Real processes, servers and namespaces: more than tap's 30 s default on a loaded CI machine.
t.setTimeout(120_000);

t.test('hostAddress', async (t) => {
  t.same(hostAddress('172.16.1.1/32'), { address: '172.16.1.1', prefixlen: 32 });
  t.same(hostAddress('2001:DB8:0::1/128'), { address: '2001:db8::1', prefixlen: 128 });
  t.same(hostAddress('172.16.1.1'), { address: '172.16.1.1', prefixlen: 32 });
  t.equal(hostAddress('172.16.1.0/24'), undefined);
  t.equal(hostAddress('nonsense/32'), undefined);
});

t.test('loopback in a namespace', async (t) => {
  if (!(await requireRootAndTools(t, ['ip']))) return;
  useCleanup(t);
  const ns = await Netns.create('hlo');
  t.teardown(() => ns.destroy());
  const addrs = async () => (await ns.ip(['-j', 'addr', 'show', 'dev', 'lo'])).stdout;
  // Present before start-up: the operator's, never ours to remove.
  await ns.ip(['addr', 'add', '198.51.100.9/32', 'dev', 'lo']);

  const lo = new LoopbackManager({ interface: 'lo', netns: ns.name });
  await lo.start();
  t.same(lo.status().preexisting, ['198.51.100.9/32']);
  const lazy = new LoopbackManager({ interface: 'lo', netns: ns.name });
  await lazy.release(['198.51.100.9/32']);
  t.same(lazy.status().preexisting, ['198.51.100.9/32'], 'without start(), the first call takes the snapshot');
  t.match(await addrs(), /198\.51\.100\.9/, 'and a pre-existing address is still never removed');

  t.same(await lo.ensure(['198.51.100.1/32', '2001:db8:9::1/128', '198.51.100.9/32', '203.0.113.0/24']), []);
  const a = await addrs();
  t.match(a, /"local":"198\.51\.100\.1","prefixlen":32/);
  t.match(a, /"local":"2001:db8:9::1","prefixlen":128/);
  t.notMatch(a, /203\.0\.113/, 'a /24 is not put on the loopback');
  t.same(lo.status().added.sort(), ['198.51.100.1/32', '2001:db8:9::1/128']);
  t.same(await lo.ensure(['198.51.100.1/32']), [], 'idempotent');

  await lo.release(['198.51.100.1/32', '198.51.100.9/32']);
  const b = await addrs();
  t.notMatch(b, /198\.51\.100\.1"/, 'ours removed');
  t.match(b, /198\.51\.100\.9/, 'pre-existing kept');

  // Someone removed our address behind our back: release is quiet, ensure adds it again.
  await ns.ip(['addr', 'del', '2001:db8:9::1/128', 'dev', 'lo']);
  t.same(await lo.ensure(['2001:db8:9::1/128']), []);
  await lo.cleanup();
  const c = await addrs();
  t.notMatch(c, /2001:db8:9::1/);
  t.match(c, /198\.51\.100\.9/, 'releaseAll keeps pre-existing too');
  t.same(lo.status().added, []);

  // No ip binary: start() fails with the reason.
  const bad = new LoopbackManager({ interface: 'lo', netns: ns.name, ipBinary: '/nonexistent/ip' });
  await t.rejects(bad.start(), /cannot run ip/);
});

t.test('loopback in a namespace: a crashed run\'s addresses are removed by the next run (state file)', async (t) => {
  if (!(await requireRootAndTools(t, ['ip']))) return;
  useCleanup(t);
  const ns = await Netns.create('hlc');
  t.teardown(() => ns.destroy());
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-lo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stateFile = join(dir, 'loopback.json');
  const addrs = async () => (await ns.ip(['-j', 'addr', 'show', 'dev', 'lo'])).stdout;
  await ns.ip(['addr', 'add', '198.51.100.9/32', 'dev', 'lo']);

  const crashed = new LoopbackManager({ interface: 'lo', netns: ns.name, stateFile });
  t.same(await crashed.ensure(['198.51.100.1/32', '2001:db8:9::1/128']), []);
  // The process dies here: nothing removed. The next run:
  const next = new LoopbackManager({ interface: 'lo', netns: ns.name, stateFile });
  await next.start();
  t.same(next.status().preexisting, ['198.51.100.9/32']);
  t.same(next.status().inherited.sort(), ['198.51.100.1/32', '2001:db8:9::1/128']);
  await next.releaseAll();
  const a = await addrs();
  t.notMatch(a, /198\.51\.100\.1"/, 'the crashed run\'s IPv4 address removed');
  t.notMatch(a, /2001:db8:9::1/, 'and its IPv6 one');
  t.match(a, /198\.51\.100\.9/, 'the operator\'s kept');
});

t.test('RouteApplier + loopback: address before announce, removal only after the withdraw was written', async (t) => {
  if (!(await requireRootAndTools(t, ['ip']))) return;
  useCleanup(t);
  const ns = await Netns.create('happ');
  t.teardown(() => ns.destroy());
  const present = async () => /198\.51\.100\.7/.test((await ns.ip(['-j', 'addr', 'show', 'dev', 'lo'])).stdout);
  const lo = new LoopbackManager({ interface: 'lo', netns: ns.name });
  await lo.start();
  const log: string[] = [];
  let release: (() => void) | undefined;
  const applier = new RouteApplier({
    loopback: lo,
    announce: async (routes: Announcement[]) => {
      log.push(`announce ${routes.map((r) => `${r.prefix}+${r.prepend}`).join(',') || '-'} addr=${await present()}`);
      if (routes.length === 0) await new Promise<void>((r) => { release = r; }); // the withdraw is "being written"
    },
  });
  await applier.apply([{ prefix: '198.51.100.7/32', prepend: 0 }]);
  t.same(log, ['announce 198.51.100.7/32+0 addr=true'], 'the address was there before the announce');
  const withdrawing = applier.apply([]);
  for (let i = 0; i < 100 && !release; i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(release, 'withdraw handed to the speaker');
  t.ok(await present(), 'address still there while the withdraw is being written');
  release?.();
  await withdrawing;
  t.notOk(await present(), 'removed after the withdraw');
  t.same(applier.current(), []);
});

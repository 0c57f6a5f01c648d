/**
 * The namespace helpers and the cleanup registry: veth pairs carry IPv4 and
 * IPv6 at once, a spawned process lives in its namespace, and cleanup kills
 * processes (even frozen ones) and deletes namespaces and directories.
 */
import t from 'tap';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CleanupRegistry } from '../../src/lab/cleanup.js';
import { ManagedProcess } from '../../src/lab/process.js';
import { Netns, veth, requireRootAndTools, useCleanup, waitFor, listOurNetns, uniqueNetnsName, run } from './netns.js';

t.setTimeout(60_000);

t.test('unique names are short and prefixed', async (t) => {
  const a = uniqueNetnsName('appliance-one');
  const b = uniqueNetnsName('appliance-one');
  t.match(a, /^bgpsc-applia-[0-9a-f]{6}$/);
  t.not(a, b);
});

t.test('waitFor is bounded and reports the last error', async (t) => {
  const t0 = Date.now();
  await t.rejects(
    waitFor(() => {
      throw new Error('not yet');
    }, { timeoutMs: 200, intervalMs: 20, what: 'never' }),
    /timed out after 200 ms waiting for never; last error: not yet/,
  );
  t.ok(Date.now() - t0 < 2000, 'returned soon after the timeout');
  t.equal(await waitFor(() => 42, { timeoutMs: 100 }), 42);
});

t.test('namespaces, veth, processes, cleanup', async (t) => {
  if (!(await requireRootAndTools(t, ['ping']))) return;
  useCleanup(t);
  const a = await Netns.create('ta');
  const b = await Netns.create('tb');
  await veth({ ns: a, ifname: 'eth0', addrs: ['10.255.99.1/24', 'fd00:255:99::1/64'] }, { ns: b, ifname: 'eth0', addrs: ['10.255.99.2/24', 'fd00:255:99::2/64'] });
  t.equal((await a.exec('ping', ['-c1', '-W2', '10.255.99.2'], { allowFail: true })).code, 0, 'IPv4 across the veth');
  await waitFor(async () => (await a.exec('ping', ['-6', '-c1', '-W1', 'fd00:255:99::2'], { allowFail: true })).code === 0, { timeoutMs: 5000, what: 'IPv6 ping' });
  t.pass('IPv6 across the veth (nodad)');
  t.equal((await run('ip', ['addr', 'show', 'eth0'], { allowFail: true })).stdout.includes('10.255.99.1'), false, 'nothing in the root namespace');

  // A private registry so this test can check what cleanup does.
  const reg = new CleanupRegistry();
  const nsName = uniqueNetnsName('tc');
  await run('ip', ['netns', 'add', nsName]);
  reg.addNetns(nsName);
  const dir = mkdtempSync(join(tmpdir(), 'bgpsc-test-'));
  reg.addDir(dir);
  const c = await Netns.create('td');
  const p = new ManagedProcess({ name: 'sleeper', netns: c, cmd: 'sleep', args: ['300'] });
  p.start();
  await waitFor(async () => (await c.pids()).length > 0, { timeoutMs: 5000, what: 'sleeper in its namespace' });
  p.pause();
  t.equal(p.isPaused, true);
  await p.stop(1000); // SIGCONT + SIGTERM on a frozen process
  t.equal(p.running, false, 'frozen process stopped');
  p.start();
  await waitFor(async () => (await c.pids()).length > 0, { timeoutMs: 5000, what: 'sleeper restarted' });
  c.destroy();
  t.notOk((await listOurNetns()).includes(c.name), 'destroy() deletes the namespace');
  await waitFor(() => !p.running, { timeoutMs: 5000, what: 'process inside a destroyed namespace is killed' });
  t.pass('processes inside a destroyed namespace are killed');

  await reg.cleanup(500);
  t.notOk((await listOurNetns()).includes(nsName), 'registry deleted its namespace');
  t.notOk(existsSync(dir), 'registry removed its directory');
  t.equal(reg.size, 0);
});

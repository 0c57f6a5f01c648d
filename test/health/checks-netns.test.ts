/**
 * Checks that need their own network: ping (net-ping, raw sockets, root) to a live and
 * a dead address, a TCP connect that is never answered, and interface up/down on a
 * veth. Two namespaces made here: `chk` runs the checks, `tgt` is the target; the
 * checks run inside `chk` through test/health/fixtures/run-check.ts.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { Netns, requireRootAndTools, run, useCleanup, veth } from '../lib/netns.js';
import type { CheckResult } from '../../src/health/types.js';

const RUN_CHECK = fileURLToPath(new URL('./fixtures/run-check.ts', import.meta.url));

// Namespaces and a child node per step: slower than tap's 30 s default on a loaded 2-core CI machine.
t.setTimeout(180_000);

t.test('checks inside a namespace', async (t) => {
  if (!(await requireRootAndTools(t, ['ip']))) return;
  useCleanup(t);
  const chk = await Netns.create('hchk');
  const tgt = await Netns.create('htgt');
  t.teardown(() => { chk.destroy(); tgt.destroy(); });
  await veth(
    { ns: chk, ifname: 'hc0', addrs: ['192.0.2.1/24', '2001:db8:5::1/64'] },
    { ns: tgt, ifname: 'ht0', addrs: ['192.0.2.2/24', '2001:db8:5::2/64'] },
  );

  const checks = async (raws: Array<Record<string, unknown>>): Promise<CheckResult[]> => {
    const r = await chk.exec(process.execPath, ['--import', 'tsx', RUN_CHECK, JSON.stringify(raws)], { timeoutMs: 60_000, allowFail: true });
    if (r.code !== 0) throw new Error(`run-check failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '[]') as CheckResult[];
  };
  const check = async (raw: Record<string, unknown>): Promise<CheckResult> => {
    const [r] = await checks([raw]);
    if (!r) throw new Error('no result');
    return r;
  };

  await t.test('icmp: live address passes, dead address fails; tcp: a SYN nobody answers times out', async (t) => {
    const [live, live6, dead, need2, silent] = await checks([
      { type: 'icmp', host: '192.0.2.2', count: 3, timeout: '1s' },
      { type: 'icmp', host: '2001:db8:5::2', count: 2, timeout: '1s' },
      { type: 'icmp', host: '192.0.2.3', count: 2, timeout: '300ms' },
      { name: 'need2', type: 'icmp', host: '192.0.2.2', count: 3, 'min-replies': 2, timeout: '1s' },
      { type: 'tcp', host: '192.0.2.3', port: 80, timeout: '400ms' },
    ]);
    t.match(live, { ok: true, detail: /^1\/1 replies, rtt/ }, 'passes at the first reply');
    t.match(live6, { ok: true }, 'IPv6 echo');
    t.match(dead, { ok: false, detail: /^0\/2 replies/ }, 'dead address: every echo times out');
    t.match(need2, { ok: true, detail: /^2\/2 replies/ }, 'min-replies 2');
    t.match(silent, { ok: false, detail: 'timeout after 400ms' }, 'tcp to an address that never answers');
  });

  await t.test('interface: veth up, peer down, admin down, gone', async (t) => {
    t.match(await check({ type: 'interface', name: 'hc0' }), { ok: true, detail: 'operstate up' });
    await tgt.ip(['link', 'set', 'ht0', 'down']);
    t.match(await check({ type: 'interface', name: 'hc0' }), { ok: false, detail: /^operstate (lowerlayerdown|down)$/ }, 'peer down: no carrier');
    await tgt.ip(['link', 'set', 'ht0', 'up']);
    await chk.ip(['link', 'set', 'hc0', 'down']);
    t.match(await check({ type: 'interface', name: 'hc0' }), { ok: false, detail: 'operstate down' });
    await chk.ip(['link', 'set', 'hc0', 'up']);
    // carrier comes back asynchronously: bounded wait
    let r: CheckResult | undefined;
    for (let i = 0; i < 20; i++) {
      r = await check({ type: 'interface', name: 'hc0' });
      if (r.ok) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    t.match(r, { ok: true, detail: 'operstate up' });
    await chk.ip(['link', 'del', 'hc0']);
    t.match(await check({ type: 'interface', name: 'hc0' }), { ok: false, detail: 'no interface hc0' });
    const lo = await run('ip', ['netns', 'exec', chk.name, 'cat', '/sys/class/net/lo/operstate']);
    t.comment(`lo operstate inside the namespace: ${lo.stdout.trim()}`);
  });
});

/**
 * The failover lab (issue 7). Without root: the table arithmetic (medians,
 * n/a, routes that never moved, targets). With root and BIRD: two scenarios
 * once with bgp-sidecar only, through the real CLI, asserting the mechanics
 * (the client's probes answered by a1, then by a2; the VPC route moved; the
 * lab cleaned up), never the performance targets.
 */
import t from 'tap';
import { exclusive } from '../lib/exclusive.js';
import { requireRootAndTools, listOurNetns } from '../lib/netns.js';
import { runFailoverLab, failoverOptionsFrom } from '../../src/lab/failover/runner.js';
import { labOptionsFromArgs } from '../../src/cli/cmds/lab/index.js';
import { LAB_SCENARIOS } from '../../src/lab/failover/scenarios.js';
import { formatTable, median, summarise, type RunRecord } from '../../src/lab/failover/table.js';
import { defaultTimers } from '../../src/lab/failover/runner.js';

t.setTimeout(300_000);

t.test('table: medians per scenario x system, n/a, never moved, targets', async (t) => {
  t.equal(median([]), undefined);
  t.equal(median([30, 10, 20]), 20);
  t.equal(median([10, 20]), 15);
  const sc = LAB_SCENARIOS.filter((s) => s.name === 'health-failure' || s.name === 'freeze');
  const recs: RunRecord[] = [
    { system: 'sidecar', scenario: 'health-failure', rep: 1, status: 'ok', lost: 20, gapMs: 200, moves: 1 },
    { system: 'sidecar', scenario: 'health-failure', rep: 2, status: 'ok', lost: 40, gapMs: 400, moves: 1 },
    { system: 'sidecar', scenario: 'health-failure', rep: 3, status: 'ok', lost: 25, gapMs: 250, moves: 1 },
    { system: 'gobgp', scenario: 'health-failure', rep: 1, status: 'n/a', note: 'no health check' },
    { system: 'sidecar', scenario: 'freeze', rep: 1, status: 'ok', lost: 90, gapMs: 900, moves: 1 },
    { system: 'gobgp', scenario: 'freeze', rep: 1, status: 'no-move', lost: 1500, gapMs: 15000, moves: 0, note: 'route not via a2' },
  ];
  const rows = summarise(recs, sc, ['sidecar', 'gobgp']);
  const table = formatTable(rows, sc, ['sidecar', 'gobgp'], defaultTimers);
  t.match(table, /\| health-failure \| gap <= fall x fast-interval \+ 50 = 350 ms \(met\) \| 25 lost, 250 ms \| n\/a \(no health check\) \|/);
  t.match(table, /\| freeze \| gap <= BFD detection \+ 50 = 350 ms \(NOT met\) \| 90 lost, 900 ms \| 1500 lost, 15000 ms, never moved \|/);
  t.equal(rows[0]!.sidecarMeetsTarget, true);
  t.equal(rows[1]!.sidecarMeetsTarget, false);
});

if (await requireRootAndTools(t, ['bird', 'birdc', 'ip'])) {
  t.test('health-failure and graceful-stop with bgp-sidecar, once', async (t) => {
    const opts = failoverOptionsFrom(labOptionsFromArgs({ scenario: 'health-failure', json: true }));
    opts.scenarios = ['health-failure', 'graceful-stop'];
    let out = '';
    let err = '';
    // One whole lab at a time (tap runs files in parallel), so the namespace comparison
    // sees only this run's namespaces (bgpsc-<role>-<4 hex run id>).
    const { code, before, afterAll } = await exclusive('lab', async () => {
      const before = new Set(await listOurNetns());
      const code = await runFailoverLab(opts, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
      return { code, before, afterAll: await listOurNetns() };
    });
    t.equal(code, 0, 'exit code 0', code === 0 ? {} : { stderrTail: err.slice(-3000) });
    const doc = JSON.parse(out) as { runs: (RunRecord & { events: { kind: string; text: string }[] })[] };
    t.equal(doc.runs.length, 2);
    for (const r of doc.runs) {
      t.equal(r.status, 'ok', `${r.scenario}: ${r.note ?? ''}`);
      t.ok((r.sent ?? 0) > 50, `${r.scenario}: probes sent every 10 ms (${r.sent})`);
      t.equal(r.moves, 1, `${r.scenario}: the VPC route moved once`);
      const probes = r.events.filter((e) => e.kind === 'probe').map((e) => e.text);
      t.ok(probes.some((p) => /answered by a1 \(first answer\)/.test(p)), `${r.scenario}: a1 answered first`);
      t.ok(probes.some((p) => /answered by a2 \(was a1\)/.test(p)), `${r.scenario}: then a2 answered`);
      t.ok(r.events.some((e) => e.kind === 'route' && /-> a2$/.test(e.text)), `${r.scenario}: VPC route via a2`);
    }
    const hf = doc.runs.find((r) => r.scenario === 'health-failure')!;
    t.ok((hf.lost ?? 0) > 0, 'the service stopped: probes to a1 were lost until the route moved');
    t.ok(hf.events.some((e) => e.kind === 'health' && /a1 verdict down/.test(e.text)), 'a1 health verdict down on the timeline');
    t.ok(hf.events.some((e) => e.kind === 'update' && /a1 UPDATE: withdraw/.test(e.text)), 'a1 withdrew');
    t.match(err, /Failover table/);
    const after = afterAll.filter((n) => !before.has(n) && /^bgpsc-(vpc|cl|a1|a2)-[0-9a-f]{4}$/.test(n));
    t.same(after, [], 'lab namespaces removed');
  });
}

/**
 * The lab end to end: BIRD as the VPC Route Server, two appliances running
 * the real CLI (`run --config`), the failover scenario with each stop mode.
 * Asserts on the scenario's result and on what the timeline printed, and
 * that nothing is left behind.
 */
import t from 'tap';
import { requireRootAndTools, listOurNetns } from '../lib/netns.js';
import { runLab } from '../../src/lab/lab.js';
import { exclusive } from '../lib/exclusive.js';

t.setTimeout(300_000);

if (await requireRootAndTools(t, ['bird', 'birdc'])) {
  for (const stopMode of ['term', 'kill', 'freeze'] as const) {
    t.test(`failover scenario, stop mode ${stopMode}`, async (t) => {
      let out = '';
      let err = '';
      // One whole lab at a time (tap runs files in parallel): the before/after namespace
      // comparison below must see only this run's namespaces (bgpsc-<role>-<4 hex run id>).
      const { code, before } = await exclusive('lab', async () => {
        const before = new Set(await listOurNetns());
        const code = await runLab({ scenario: 'failover', stopMode, holdTime: 3, timeoutMs: 45_000 }, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
        return { code, before: [before, new Set(await listOurNetns())] as const };
      });
      t.equal(code, 0, `lab exit code (stderr: ${err.slice(-2000)})`);
      t.match(out, /steady state: route via active a1/);
      t.match(out, /\* from a1\s+AS path 65001\s+next hop 10\.255\.1\.2/, 'Route Server prefers a1 (shorter AS path)');
      t.match(out, /from a2\s+AS path 65001 65001 65001/, 'a2 announced with prepend 2');
      t.match(out, /VPC route: 172\.16\.1\.1 via 10\.255\.2\.2 dev a2 proto bird/, 'the kernel route moved to a2');
      t.match(out, /failover: route via standby a2 [\d.]+ (ms|s) after the stop/);
      t.match(out, /failback: route via a1 again/);
      if (stopMode === 'freeze') t.match(out, /Hold timer expired/, 'the Route Server hold timer did it');
      t.match(out, /RESULT: ok/);
      const after = [...before[1]].filter((n) => !before[0].has(n) && /^bgpsc-(vpc|a1|a2)-[0-9a-f]{4}$/.test(n));
      t.same(after, [], 'lab namespaces removed');
    });
  }
}

/** `bgp-sidecar lab` option parsing (no root needed) and the scenario list kept in sync. */
import t from 'tap';
import { labOptionsFromArgs } from '../../src/cli/cmds/lab/index.js';
import { CliError } from '../../src/cli/types.js';
import { defaultLabOptions, FAILOVER_SCENARIO_NAMES, LAB_SYSTEM_IDS, SCENARIO_NAMES } from '../../src/lab/options.js';
import { scenarios } from '../../src/lab/scenarios/index.js';
import { LAB_SCENARIO_NAMES } from '../../src/lab/failover/scenarios.js';
import { SYSTEM_IDS } from '../../src/lab/failover/systems.js';
import { failoverOptionsFrom } from '../../src/lab/failover/runner.js';

t.test('defaults', async (t) => {
  t.same(labOptionsFromArgs({}), defaultLabOptions);
  t.equal(defaultLabOptions.scenario, 'all', 'npm run lab runs everything');
});

t.test('all: every scenario, every system, 3 runs; one scenario: bgp-sidecar once', async (t) => {
  const all = failoverOptionsFrom(labOptionsFromArgs({ scenario: 'all' }));
  t.same(all.scenarios, [...FAILOVER_SCENARIO_NAMES]);
  t.same(all.systems, ['sidecar', 'gobgp', 'exabgp', 'bird']);
  t.equal(all.repeat, 3);
  const one = failoverOptionsFrom(labOptionsFromArgs({ scenario: 'freeze' }));
  t.same(one.scenarios, ['freeze']);
  t.same(one.systems, ['sidecar']);
  t.equal(one.repeat, 1);
  const chosen = failoverOptionsFrom(labOptionsFromArgs({ scenario: 'crash', systems: 'bird,sidecar', repeat: 5, json: true, 'hold-time': 9 }));
  t.same(chosen.systems, ['bird', 'sidecar']);
  t.equal(chosen.repeat, 5);
  t.equal(chosen.json, true);
  t.equal(chosen.timers.holdTime, 9);
  t.same(failoverOptionsFrom(labOptionsFromArgs({ systems: 'all' })).systems, [...LAB_SYSTEM_IDS]);
});

t.test('valid options', async (t) => {
  const o = labOptionsFromArgs({ scenario: 'failover', 'hold-time': 9, stop: 'freeze', 'keep-logs': true, prefix: '172.16.9.9/32', timeout: 30, verbose: true });
  t.same(o, { scenario: 'failover', holdTime: 9, stopMode: 'freeze', keepLogs: true, floatingPrefix: '172.16.9.9/32', timeoutMs: 30_000, verbose: true, json: false });
});

t.test('invalid options: one clear line, exit code 2', async (t) => {
  const cases: [Parameters<typeof labOptionsFromArgs>[0], RegExp][] = [
    [{ scenario: 'nope' }, /unknown scenario "nope"; known: all, health-failure, .*failover/],
    [{ systems: 'sidecar,frr' }, /--systems: expected "all" or a comma-separated list of sidecar, gobgp, exabgp, bird, got "sidecar,frr"/],
    [{ systems: '' }, /--systems/],
    [{ repeat: 0 }, /--repeat: expected an integer 1\.\.50/],
    [{ repeat: 2.5 }, /--repeat/],
    [{ 'hold-time': 2 }, /--hold-time: expected an integer 3\.\.65535/],
    [{ 'hold-time': 1.5 }, /--hold-time/],
    [{ stop: 'pause' }, /--stop: expected one of term, kill, freeze/],
    [{ prefix: '172.16.1.0/24' }, /--prefix: expected an IPv4 \/32/],
    [{ timeout: 0 }, /--timeout/],
  ];
  for (const [args, re] of cases) {
    let caught: unknown;
    try {
      labOptionsFromArgs(args);
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof CliError, `${JSON.stringify(args)} throws a CliError`);
    t.equal((caught as CliError).exitCode, 2);
    t.match((caught as Error).message, re);
  }
});

t.test('SCENARIO_NAMES (CLI side) matches the scenario registry', async (t) => {
  t.same([...SCENARIO_NAMES].sort(), Object.keys(scenarios).sort());
});

t.test('FAILOVER_SCENARIO_NAMES and LAB_SYSTEM_IDS (CLI side) match the failover lab', async (t) => {
  t.same([...FAILOVER_SCENARIO_NAMES], LAB_SCENARIO_NAMES);
  t.same([...LAB_SYSTEM_IDS], [...SYSTEM_IDS]);
});

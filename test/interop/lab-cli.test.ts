/** `bgp-sidecar lab` option parsing (no root needed) and the scenario list kept in sync. */
import t from 'tap';
import { labOptionsFromArgs } from '../../src/cli/cmds/lab/index.js';
import { CliError } from '../../src/cli/types.js';
import { defaultLabOptions, SCENARIO_NAMES } from '../../src/lab/options.js';
import { scenarios } from '../../src/lab/scenarios/index.js';

t.test('defaults', async (t) => {
  t.same(labOptionsFromArgs({}), defaultLabOptions);
});

t.test('valid options', async (t) => {
  const o = labOptionsFromArgs({ scenario: 'failover', 'hold-time': 9, stop: 'freeze', 'keep-logs': true, prefix: '172.16.9.9/32', timeout: 30, verbose: true });
  t.same(o, { scenario: 'failover', holdTime: 9, stopMode: 'freeze', keepLogs: true, floatingPrefix: '172.16.9.9/32', timeoutMs: 30_000, verbose: true });
});

t.test('invalid options: one clear line, exit code 2', async (t) => {
  const cases: [Parameters<typeof labOptionsFromArgs>[0], RegExp][] = [
    [{ scenario: 'nope' }, /unknown scenario "nope"; known: failover/],
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

/**
 * `bgp-sidecar lab [scenario]`: build the namespace lab (BIRD as the VPC
 * Route Server with two endpoints per subnet, two appliances, a client that
 * probes the floating IP) and play the failover scenarios with bgp-sidecar
 * and the anchors (GoBGP, ExaBGP healthcheck, BIRD + BFD); `all` prints the
 * comparison table. `failover` is issue 3's single scenario (`--stop`).
 * Thin: options parsed here into LabOptions; the logic is in src/lab.
 */
// Only the light options module here: the lab (namespaces, daemons, YAML) is
// imported when the command runs, so other commands do not pay for it.
import { ALL_LAB_SCENARIOS, defaultLabOptions, LAB_SYSTEM_IDS, STOP_MODES, type LabOptions, type LabSystemId, type StopMode } from '../../../lab/options.js';
import { CliError, type CliCommand } from '../../types.js';

export interface LabArgs {
  scenario?: string;
  'hold-time'?: number;
  stop?: string;
  'keep-logs'?: boolean;
  prefix?: string;
  timeout?: number;
  verbose?: boolean;
  systems?: string;
  repeat?: number;
  json?: boolean;
}

export function labOptionsFromArgs(a: LabArgs): LabOptions {
  const o: LabOptions = { ...defaultLabOptions };
  if (a.scenario !== undefined) {
    if (!(ALL_LAB_SCENARIOS as readonly string[]).includes(a.scenario)) throw new CliError(`lab: unknown scenario "${a.scenario}"; known: ${ALL_LAB_SCENARIOS.join(', ')}`, 2);
    o.scenario = a.scenario;
  }
  if (a['hold-time'] !== undefined) {
    const h = a['hold-time'];
    // RFC 4271 4.2: zero or at least three seconds.
    if (!Number.isInteger(h) || h < 3 || h > 65535) throw new CliError(`lab: --hold-time: expected an integer 3..65535 (seconds), got ${h}`, 2);
    o.holdTime = h;
  }
  if (a.timeout !== undefined) {
    if (!Number.isFinite(a.timeout) || a.timeout < 1 || a.timeout > 3600) throw new CliError(`lab: --timeout: expected 1..3600 (seconds), got ${a.timeout}`, 2);
    o.timeoutMs = a.timeout * 1000;
  }
  if (a.prefix !== undefined) {
    if (!/^\d+\.\d+\.\d+\.\d+\/32$/.test(a.prefix)) throw new CliError(`lab: --prefix: expected an IPv4 /32 like 172.16.1.1/32, got "${a.prefix}"`, 2);
    o.floatingPrefix = a.prefix;
  }
  if (a.stop !== undefined) {
    if (!(STOP_MODES as readonly string[]).includes(a.stop)) throw new CliError(`lab: --stop: expected one of ${STOP_MODES.join(', ')}, got "${a.stop}"`, 2);
    o.stopMode = a.stop as StopMode;
  }
  if (a.systems !== undefined) {
    const list = a.systems === 'all' ? [...LAB_SYSTEM_IDS] : a.systems.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = list.filter((x) => !(LAB_SYSTEM_IDS as readonly string[]).includes(x));
    if (!list.length || bad.length) throw new CliError(`lab: --systems: expected "all" or a comma-separated list of ${LAB_SYSTEM_IDS.join(', ')}, got "${a.systems}"`, 2);
    o.systems = [...new Set(list)] as LabSystemId[];
  }
  if (a.repeat !== undefined) {
    if (!Number.isInteger(a.repeat) || a.repeat < 1 || a.repeat > 50) throw new CliError(`lab: --repeat: expected an integer 1..50, got ${a.repeat}`, 2);
    o.repeat = a.repeat;
  }
  o.keepLogs = a['keep-logs'] ?? false;
  o.verbose = a.verbose ?? false;
  o.json = a.json ?? false;
  return o;
}

export const labCommand: CliCommand<LabArgs> = {
  command: 'lab [scenario]',
  describe: 'Run the failover lab in network namespaces (root): scenarios x systems, lost probes and gaps (default: all)',
  options: {
    'hold-time': { type: 'number', describe: 'BGP hold time on every session, seconds', default: defaultLabOptions.holdTime },
    stop: {
      type: 'string',
      choices: [...STOP_MODES],
      describe: 'failover scenario only: how the active sidecar goes away: term (SIGTERM, orderly), kill (SIGKILL, process crash), freeze (SIGSTOP, hung: hold timer)',
      default: defaultLabOptions.stopMode,
    },
    'keep-logs': { type: 'boolean', describe: 'Keep the work directory (configs, logs)', default: false },
    prefix: { type: 'string', describe: 'Floating prefix', default: defaultLabOptions.floatingPrefix },
    timeout: { type: 'number', describe: 'Upper bound for each wait, seconds', default: defaultLabOptions.timeoutMs / 1000 },
    verbose: { type: 'boolean', describe: 'Print the speakers\' log lines and every run\'s timeline', default: false },
    systems: { type: 'string', describe: `Systems to compare: all or a list of ${LAB_SYSTEM_IDS.join(',')} (default: all for "all", sidecar otherwise)` },
    repeat: { type: 'number', describe: 'Runs per scenario and system; the table shows medians (default: 3 for "all", 1 otherwise)' },
    json: { type: 'boolean', describe: 'Print the results as JSON on stdout (timelines go to stderr)', default: false },
  },
  examples: [
    ['bgp-sidecar lab', 'every scenario with bgp-sidecar and the anchors, 3 runs each, then the table (about 12 minutes)'],
    ['bgp-sidecar lab freeze', 'one scenario with bgp-sidecar, its timeline and figures'],
    ['bgp-sidecar lab crash --systems all --repeat 5', 'one scenario, every system, medians of 5 runs'],
    ['bgp-sidecar lab failover --stop freeze', 'issue 3\'s single scenario: the Route Server\'s hold timer moves the route'],
  ],
  async handler(args, io) {
    const o = labOptionsFromArgs(args);
    if (o.scenario === 'failover') {
      const { runLab } = await import('../../../lab/lab.js');
      return runLab(o, { stdout: io.stdout, stderr: io.stderr });
    }
    const { runFailoverLab, failoverOptionsFrom } = await import('../../../lab/failover/runner.js');
    return runFailoverLab(failoverOptionsFrom(o), { stdout: io.stdout, stderr: io.stderr });
  },
};

export default labCommand;

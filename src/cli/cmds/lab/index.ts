/**
 * `bgp-sidecar lab [scenario]`: build the namespace lab (BIRD as the VPC
 * Route Server, two appliances running the sidecar) and play a scenario.
 * Thin: options parsed here into LabOptions; the logic is in src/lab.
 */
// Only the light options module here: the lab (namespaces, daemons, YAML) is
// imported when the command runs, so other commands do not pay for it.
import { defaultLabOptions, SCENARIO_NAMES, STOP_MODES, type LabOptions, type StopMode } from '../../../lab/options.js';
import { CliError, type CliCommand } from '../../types.js';

export interface LabArgs {
  scenario?: string;
  'hold-time'?: number;
  stop?: string;
  'keep-logs'?: boolean;
  prefix?: string;
  timeout?: number;
  verbose?: boolean;
}

export function labOptionsFromArgs(a: LabArgs): LabOptions {
  const o: LabOptions = { ...defaultLabOptions };
  if (a.scenario !== undefined) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(a.scenario)) throw new CliError(`lab: unknown scenario "${a.scenario}"; known: ${SCENARIO_NAMES.join(', ')}`, 2);
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
  o.keepLogs = a['keep-logs'] ?? false;
  o.verbose = a.verbose ?? false;
  return o;
}

export const labCommand: CliCommand<LabArgs> = {
  command: 'lab [scenario]',
  describe: 'Run the failover lab in network namespaces (root; BIRD as the VPC Route Server)',
  options: {
    'hold-time': { type: 'number', describe: 'BGP hold time on every session, seconds', default: defaultLabOptions.holdTime },
    stop: {
      type: 'string',
      choices: [...STOP_MODES],
      describe: 'How the active sidecar goes away: term (SIGTERM, orderly), kill (SIGKILL, process crash), freeze (SIGSTOP, hung: hold timer)',
      default: defaultLabOptions.stopMode,
    },
    'keep-logs': { type: 'boolean', describe: 'Keep the work directory (configs, logs)', default: false },
    prefix: { type: 'string', describe: 'Floating prefix', default: defaultLabOptions.floatingPrefix },
    timeout: { type: 'number', describe: 'Upper bound for each wait, seconds', default: defaultLabOptions.timeoutMs / 1000 },
    verbose: { type: 'boolean', describe: 'Print the sidecars\' log lines', default: false },
  },
  examples: [
    ['bgp-sidecar lab', 'stop the active appliance\'s sidecar and watch the VPC route move'],
    ['bgp-sidecar lab --stop freeze', 'the active sidecar hangs: the Route Server\'s hold timer moves the route'],
  ],
  async handler(args, io) {
    const o = labOptionsFromArgs(args);
    const { runLab } = await import('../../../lab/lab.js');
    return runLab(o, { stdout: io.stdout, stderr: io.stderr });
  },
};

export default labCommand;

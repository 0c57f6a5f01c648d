/**
 * The lab's options and defaults, apart from the lab itself so the CLI can
 * describe `lab` without loading it (every other command starts faster).
 */

export const STOP_MODES = ['term', 'kill', 'freeze'] as const;
export type StopMode = (typeof STOP_MODES)[number];

export const SCENARIO_NAMES = ['failover'] as const;

/**
 * The failover lab's scenarios (issue 7), in the order `all` runs them; the
 * same list as src/lab/failover/scenarios.ts (checked by test/interop/lab-cli.test.ts).
 */
export const FAILOVER_SCENARIO_NAMES = [
  'health-failure',
  'crash',
  'link-down',
  'freeze',
  'drain',
  'graceful-stop',
  'failback',
  'rs-endpoint-loss',
  'flapping',
] as const;

/** The systems the failover lab compares (src/lab/failover/systems.ts). */
export const LAB_SYSTEM_IDS = ['sidecar', 'gobgp', 'exabgp', 'bird'] as const;
export type LabSystemId = (typeof LAB_SYSTEM_IDS)[number];

/** Every name `bgp-sidecar lab <scenario>` accepts. */
export const ALL_LAB_SCENARIOS = ['all', ...FAILOVER_SCENARIO_NAMES, ...SCENARIO_NAMES] as const;

export interface LabOptions {
  scenario: string;
  /** BGP hold time on every session, seconds (default 3, so a hang is seen in ~3 s). */
  holdTime: number;
  /**
   * How the active sidecar goes away: 'term' SIGTERM (orderly stop: withdraw,
   * Cease), 'kill' SIGKILL (process crash: the kernel still closes the TCP
   * session, the Route Server sees it at once), 'freeze' SIGSTOP (a hung
   * process or a dead host: nothing is sent, only the Route Server's hold
   * timer notices).
   */
  stopMode: StopMode;
  /** Keep the work directory (configs, logs) after the run. */
  keepLogs: boolean;
  floatingPrefix: string;
  /** Upper bound for every wait in the scenario, ms. */
  timeoutMs: number;
  /** Print sidecar log lines as they come. */
  verbose: boolean;
  /** Failover lab: systems to compare (default: all for `all`, bgp-sidecar for one scenario). */
  systems?: LabSystemId[];
  /** Failover lab: runs per scenario and system (default: 3 for `all`, 1 for one scenario). */
  repeat?: number;
  /** Failover lab: JSON on stdout (timelines on stderr). */
  json: boolean;
}

export const defaultLabOptions: LabOptions = {
  scenario: 'all',
  holdTime: 3,
  stopMode: 'term',
  keepLogs: false,
  floatingPrefix: '172.16.1.1/32',
  timeoutMs: 60_000,
  verbose: false,
  json: false,
};

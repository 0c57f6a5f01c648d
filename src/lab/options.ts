/**
 * The lab's options and defaults, apart from the lab itself so the CLI can
 * describe `lab` without loading it (every other command starts faster).
 */

export const STOP_MODES = ['term', 'kill', 'freeze'] as const;
export type StopMode = (typeof STOP_MODES)[number];

export const SCENARIO_NAMES = ['failover'] as const;

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
}

export const defaultLabOptions: LabOptions = {
  scenario: 'failover',
  holdTime: 3,
  stopMode: 'term',
  keepLogs: false,
  floatingPrefix: '172.16.1.1/32',
  timeoutMs: 60_000,
  verbose: false,
};

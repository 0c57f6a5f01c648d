/** The lab's scenarios by name. Add one: a module exporting a Scenario, listed here. */
import type { ApplianceSpec } from '../topology.js';
import type { LabContext } from '../lab.js';
import { failover } from './failover.js';

export interface ScenarioResult {
  ok: boolean;
  /** One paragraph: what happened, with the measured figures. */
  summary: string;
  /** Named figures in milliseconds, for tests and docs. */
  figures: Record<string, number>;
}

export interface Scenario {
  name: string;
  describe: string;
  /** The appliances this scenario needs (active first). */
  appliances: ApplianceSpec[];
  run(ctx: LabContext): Promise<ScenarioResult>;
}

export const scenarios: Record<string, Scenario> = {
  [failover.name]: failover,
};
// SCENARIO_NAMES in ../options.ts lists the same names for the CLI (checked by test/interop/lab-cli.test.ts).

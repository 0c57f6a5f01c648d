/**
 * `bgp-sidecar rs-status --config FILE [--json]`: this appliance's Route
 * Server peers as Route Server sees them (BGP, BFD) and, for each floating
 * prefix, which next hop Route Server put in the FIB: us or another.
 */
import { rsStatus, type RsStatusDeps } from '../../../aws/rs-status.js';
import { configOption } from '../../options.js';
import type { CliCommand } from '../../types.js';
import { cliLogger, loadForAws } from '../fallback/shared.js';

export interface RsStatusArgs {
  config: string;
  json?: boolean;
  'log-level'?: string;
}

/** Factory: tests pass client overrides (fake endpoint). */
export function makeRsStatusCommand(deps: Partial<Pick<RsStatusDeps, 'overrides' | 'identity'>> = {}): CliCommand<RsStatusArgs> {
  return {
    command: 'rs-status',
    describe: "show what VPC Route Server decided: this appliance's peers (BGP/BFD) and who holds each floating prefix in the FIB",
    options: {
      config: { ...configOption, demandOption: true },
      json: { type: 'boolean', default: false, describe: 'print JSON' },
    },
    examples: [['$0 rs-status -c /etc/bgp-sidecar/config.yaml', 'peers and FIB next hops as Route Server reports them']],
    async handler(args, io) {
      const cfg = await loadForAws(args.config);
      const logger = cliLogger(io, args['log-level'] ?? 'warn');
      const s = await rsStatus({ aws: cfg.aws, prefixes: cfg.prefixes }, { logger, ...deps });
      io.stdout(args.json ? `${JSON.stringify(s, null, 2)}\n` : `${s.summary.join('\n')}\n`);
      // Exit 3 when a floating prefix is not in the FIB at all: scripts can alert on it.
      return s.prefixes.some((p) => !p.inFib) ? 3 : 0;
    },
  };
}

export const rsStatusCommand = makeRsStatusCommand();

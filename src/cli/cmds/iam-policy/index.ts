/** `bgp-sidecar iam-policy --config FILE`: the least-privilege IAM policy for exactly what FILE configures. */
import { iamPolicyFor } from '../../../aws/iam-policy.js';
import { configOption } from '../../options.js';
import type { CliCommand } from '../../types.js';
import { loadForAws } from '../fallback/shared.js';

export interface IamPolicyArgs {
  config: string;
  'rs-status'?: boolean;
}

export function makeIamPolicyCommand(): CliCommand<IamPolicyArgs> {
  return {
    command: 'iam-policy',
    describe: 'print the least-privilege IAM policy (JSON) for the AWS features the configuration uses',
    options: {
      config: { ...configOption, demandOption: true },
      'rs-status': { type: 'boolean', default: true, describe: 'include the Route Server reads of rs-status/status (--no-rs-status to leave them out)' },
    },
    examples: [['$0 iam-policy -c /etc/bgp-sidecar/config.yaml > policy.json', 'policy for the instance role']],
    async handler(args, io) {
      const cfg = await loadForAws(args.config);
      io.stdout(`${JSON.stringify(iamPolicyFor(cfg, { rsStatus: args['rs-status'] !== false }), null, 2)}\n`);
      return 0;
    },
  };
}

export const iamPolicyCommand = makeIamPolicyCommand();

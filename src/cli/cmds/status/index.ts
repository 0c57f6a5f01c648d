/** `bgp-sidecar status [--json] [--socket PATH]`: sessions, announcements, checks and the verdict. */
import { controlRequest } from '../../../daemon/control-client.js';
import { socketOptions, socketPath } from '../../options.js';
import type { CliCommand } from '../../types.js';
import { formatStatus } from './format.js';

export interface StatusArgs {
  json?: boolean;
  socket?: string;
  config?: string;
}

export const status: CliCommand<StatusArgs> = {
  command: 'status',
  describe: 'show peers, announcements, checks and the verdict of the running daemon',
  options: {
    ...socketOptions,
    json: { type: 'boolean', describe: 'print the raw status as JSON', default: false },
  },
  async handler(args, io) {
    const result = await controlRequest(await socketPath(args, io.env), { cmd: 'status' });
    io.stdout(args.json ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result));
    return 0;
  },
};

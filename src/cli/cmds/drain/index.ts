/** `bgp-sidecar drain [--reason R]`: announce the maintenance route until `undrain`. */
import { controlRequest } from '../../../daemon/control-client.js';
import { socketOptions, socketPath } from '../../options.js';
import type { CliCommand } from '../../types.js';

export interface DrainArgs {
  reason?: string;
  socket?: string;
  config?: string;
}

export const drain: CliCommand<DrainArgs> = {
  command: 'drain',
  describe: 'move traffic away: announce the maintenance route (policy.maintenance) until undrain; survives reloads',
  options: {
    ...socketOptions,
    reason: { alias: 'r', type: 'string', describe: 'why (logged and shown by status)', requiresArg: true },
  },
  async handler(args, io) {
    const r = (await controlRequest(await socketPath(args, io.env), { cmd: 'drain', ...(args.reason ? { reason: args.reason } : {}) })) as {
      announcements?: { prefix: string; prepend: number }[];
    };
    const a = r.announcements ?? [];
    io.stdout(`drained${args.reason ? ` (${args.reason})` : ''}: ${a.length ? a.map((x) => `${x.prefix} prepend ${x.prepend}`).join(', ') : 'all prefixes withdrawn'}\n`);
    return 0;
  },
};

/** `bgp-sidecar undrain`: end a drain; the health verdict decides again. */
import { controlRequest } from '../../../daemon/control-client.js';
import { socketOptions, socketPath } from '../../options.js';
import type { CliCommand } from '../../types.js';

export const undrain: CliCommand<{ socket?: string; config?: string }> = {
  command: 'undrain',
  describe: 'end a drain: the health verdict decides the announcement again',
  options: { ...socketOptions },
  async handler(args, io) {
    const r = (await controlRequest(await socketPath(args, io.env), { cmd: 'undrain' })) as { announcements?: { prefix: string; prepend: number }[] };
    const a = r.announcements ?? [];
    io.stdout(`undrained: ${a.length ? a.map((x) => `${x.prefix} prepend ${x.prepend}`).join(', ') : 'nothing announced (health verdict)'}\n`);
    return 0;
  },
};

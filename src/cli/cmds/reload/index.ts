/** `bgp-sidecar reload`: re-read the configuration (same as SIGHUP), reporting errors. */
import { controlRequest } from '../../../daemon/control-client.js';
import { socketOptions, socketPath } from '../../options.js';
import { CliError, type CliCommand } from '../../types.js';

export const reload: CliCommand<{ socket?: string; config?: string }> = {
  command: 'reload',
  describe: 're-read the configuration; a bad one is rejected and the running one kept',
  options: { ...socketOptions },
  async handler(args, io) {
    let r: { warnings?: string[] };
    try {
      r = (await controlRequest(await socketPath(args, io.env), { cmd: 'reload' }, 60_000)) as { warnings?: string[] };
    } catch (e) {
      throw new CliError((e as Error).message.split('\n'));
    }
    for (const w of r.warnings ?? []) io.stderr(`warning: ${w}\n`);
    io.stdout('reloaded\n');
    return 0;
  },
};

/** Options several commands share, and how they turn into the core's own values. */
import type { Options } from 'yargs';
import { loadConfigFile } from '../config/load.js';
import { DEFAULT_CONTROL_SOCKET } from '../config/types.js';

export const configOption: Options = {
  alias: 'c',
  type: 'string',
  describe: 'configuration file (YAML or JSON)',
  requiresArg: true,
};

export const socketOptions: Record<string, Options> = {
  socket: {
    alias: 's',
    type: 'string',
    describe: `control socket of the daemon (default: control.socket of --config, else ${DEFAULT_CONTROL_SOCKET})`,
    requiresArg: true,
  },
  config: { ...configOption, describe: 'read the control socket path from this configuration file' },
};

/** The socket a client command talks to: --socket, else the config's control.socket, else the default. */
export async function socketPath(args: { socket?: string; config?: string }, env: NodeJS.ProcessEnv): Promise<string> {
  if (args.socket) return args.socket;
  if (args.config) return (await loadConfigFile(args.config)).config.control.socket;
  return env['BGP_SIDECAR_SOCKET'] || DEFAULT_CONTROL_SOCKET;
}

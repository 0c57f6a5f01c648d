/**
 * `bgp-sidecar run --config FILE [--log-level L]`: run the daemon in the foreground, JSON logs on stdout.
 * Exit status: 0 after a clean stop; 78 (EX_CONFIG) when the config cannot be loaded or validated,
 * one line per problem on stderr (systemd does not restart: RestartPreventExitStatus=78); 1 for any
 * other failure to start.
 */
import { LOG_LEVELS, type LogLevel } from '../../../config/types.js';
import { runDaemon, StartupError } from '../../../daemon/run.js';
import { configOption } from '../../options.js';
import { CliError, type CliCommand } from '../../types.js';
import { packageVersion } from '../../version.js';

export interface RunArgs {
  config: string;
  'log-level'?: string;
}

export const run: CliCommand<RunArgs> = {
  command: 'run',
  describe: 'run the daemon in the foreground (systemd: Type=notify), JSON logs on stdout',
  options: {
    config: { ...configOption, demandOption: true },
    'log-level': { alias: 'l', type: 'string', choices: [...LOG_LEVELS], describe: 'override log-level of the config file', requiresArg: true },
  },
  async handler(args, io) {
    try {
      const running = await runDaemon({
        configFile: args.config,
        ...(args['log-level'] ? { logLevel: args['log-level'] as LogLevel } : {}),
        version: packageVersion(),
        env: io.env,
        signals: true,
      });
      const code = await running.done;
      // Everything is stopped; a handle some component forgot to close must not keep a stopped service alive.
      setTimeout(() => process.exit(code), 1000).unref();
      return code;
    } catch (e) {
      if (e instanceof StartupError) throw new CliError(e.lines, e.exitCode);
      throw e;
    }
  },
};

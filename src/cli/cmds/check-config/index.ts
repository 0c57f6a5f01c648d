/** `bgp-sidecar check-config --config FILE [--json]`: validate and print the normalized configuration. */
import { stringify } from 'yaml';
import { loadConfigFile } from '../../../config/load.js';
import { ConfigError, formatProblem } from '../../../config/types.js';
import { CliError, type CliCommand } from '../../types.js';
import { configOption } from '../../options.js';

export interface CheckConfigArgs {
  config: string;
  json?: boolean;
  quiet?: boolean;
}

export const checkConfig: CliCommand<CheckConfigArgs> = {
  command: 'check-config',
  describe: 'validate a configuration file and print it normalized (defaults filled in)',
  options: {
    config: { ...configOption, demandOption: true },
    json: { type: 'boolean', describe: 'print JSON instead of YAML', default: false },
    quiet: { alias: 'q', type: 'boolean', describe: 'print nothing when valid (exit code only)', default: false },
  },
  examples: [['$0 check-config -c /etc/bgp-sidecar/config.yaml', 'validate the installed configuration']],
  async handler(args, io) {
    let loaded;
    try {
      loaded = await loadConfigFile(args.config);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.lines());
      throw e;
    }
    for (const w of loaded.warnings) io.stderr(`warning: ${formatProblem(w, args.config)}\n`);
    if (args.quiet) return 0;
    io.stdout(args.json ? `${JSON.stringify(loaded.config, null, 2)}\n` : stringify(loaded.config, { lineWidth: 0 }));
    return 0;
  },
};

/**
 * `bgp-sidecar check-config --config FILE [--json]`: validate and print the normalized
 * configuration in the file's own form (kebab-case keys, durations with units, every
 * default filled in), as YAML or, with --json, JSON. The output is itself a valid
 * configuration that loads back to the same normalized config.
 */
import { stringify } from 'yaml';
import { configDifferences, configToDocument } from '../../../config/document.js';
import { loadConfigFile, validateConfig } from '../../../config/load.js';
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
  describe: 'validate a configuration file and print it normalized (defaults filled in), in the config file format',
  options: {
    config: { ...configOption, demandOption: true },
    json: { type: 'boolean', describe: 'print JSON instead of YAML (also a valid config file)', default: false },
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
    const doc = configToDocument(loaded.config);
    // Never print something that would load back differently: say so if it would (a bug here, not in the file).
    const again = validateConfig(doc);
    const diff = again.config ? configDifferences(loaded.config, again.config) : again.errors.map((p) => formatProblem(p));
    if (diff.length) io.stderr(`warning: the printed configuration does not load back the same (bgp-sidecar bug; the file itself is valid): ${diff.slice(0, 10).join(', ')}\n`);
    io.stdout(args.json ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 }));
    return 0;
  },
};

/** `bgp-sidecar uninstall [--prefix DIR] [--purge] [--no-systemctl]` */
import { PATHS } from '../install/layout.js';
import { hostOps, type SystemOps } from '../install/system-ops.js';
import { uninstall } from '../install/uninstall.js';
import { CliError, type CliCommand } from '../../types.js';

export interface UninstallArgs {
  prefix?: string;
  purge?: boolean;
  systemctl?: boolean;
}

export function makeUninstallCommand(ops: SystemOps = hostOps): CliCommand<UninstallArgs> {
  return {
    command: 'uninstall',
    describe: `stop and remove the service; keeps ${PATHS.configDir} unless --purge`,
    options: {
      prefix: { type: 'string', requiresArg: true, describe: 'uninstall from this root instead of / (DESTDIR style)' },
      purge: { type: 'boolean', default: false, describe: `also remove ${PATHS.configDir}, unit overrides and the system user install created` },
      systemctl: { type: 'boolean', default: true, describe: 'stop/disable with systemctl (--no-systemctl to skip)' },
    },
    examples: [['$0 uninstall', 'remove the service, keep the configuration']],
    async handler(args, io) {
      const root = args.prefix ?? '/';
      if (!root.startsWith('/')) throw new CliError(`--prefix: expected an absolute directory, got ${JSON.stringify(root)}`);
      if (root === '/' && typeof process.getuid === 'function' && process.getuid() !== 0) {
        throw new CliError('uninstall removes files under /opt, /etc and /usr/local: run it as root (or use --prefix DIR)');
      }
      uninstall({ root, purge: args.purge === true, systemctl: args.systemctl !== false, ops, log: (l) => io.stdout(`${l}\n`) });
      return 0;
    },
  };
}

export const uninstallCommand = makeUninstallCommand();
export default uninstallCommand;

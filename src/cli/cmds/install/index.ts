/**
 * `bgp-sidecar install [--prefix DIR] [--no-user] [--no-systemctl] [--enable] [--now] [--capabilities LIST]`
 */
import { packageRoot } from '../../../daemon/sdnotify.js';
import { CliError, type CliCommand } from '../../types.js';
import { install, InstallError } from './install.js';
import { PATHS } from './layout.js';
import { MissingDependencyError } from './prod-deps.js';
import { hostOps, type SystemOps } from './system-ops.js';

export interface InstallArgs {
  prefix?: string;
  user?: boolean;
  systemctl?: boolean;
  enable?: boolean;
  now?: boolean;
  capabilities?: string;
  source?: string;
}

/** Factory so tests can inject the host operations and the source tree. */
export function makeInstallCommand(ops: SystemOps = hostOps): CliCommand<InstallArgs> {
  return {
    command: 'install',
    describe: `install the service: app in ${PATHS.app}, unit, config in ${PATHS.config} (kept if present), system user`,
    options: {
      prefix: { type: 'string', describe: 'install into this root instead of / (DESTDIR style: files only, no user, no systemctl)', requiresArg: true },
      user: { type: 'boolean', default: true, describe: 'create the bgp-sidecar system user when missing (--no-user to skip)' },
      systemctl: { type: 'boolean', default: true, describe: 'run systemctl daemon-reload (--no-systemctl to skip)' },
      enable: { type: 'boolean', default: false, describe: 'systemctl enable the service (start at boot)' },
      now: { type: 'boolean', default: false, describe: 'enable and start the service now' },
      capabilities: {
        type: 'string',
        requiresArg: true,
        describe: 'grant only these capabilities (drop-in): comma list of net-raw, net-admin, net-bind-service, or none',
      },
      source: { type: 'string', requiresArg: true, describe: 'built package to install from (default: the one running this command)' },
    },
    examples: [
      ['$0 install --now', 'install, create the user, enable and start'],
      ['$0 install --capabilities net-raw', 'no loopback management, no passive peers: only CAP_NET_RAW'],
      ['$0 install --prefix /tmp/image', 'write the files into an image tree'],
    ],
    async handler(args, io) {
      const root = args.prefix ?? '/';
      if (!root.startsWith('/')) throw new CliError(`--prefix: expected an absolute directory, got ${JSON.stringify(root)}`);
      if (root === '/' && typeof process.getuid === 'function' && process.getuid() !== 0) {
        throw new CliError('install writes /opt, /etc and /usr/local: run it as root (or use --prefix DIR)');
      }
      try {
        install({
          root,
          source: args.source ?? packageRoot(),
          nodePath: process.execPath,
          createUser: args.user !== false,
          systemctl: args.systemctl !== false,
          enable: args.enable === true,
          start: args.now === true,
          ...(args.capabilities !== undefined ? { capabilities: [args.capabilities] } : {}),
          ops,
          log: (line) => io.stdout(`${line}\n`),
        });
      } catch (e) {
        if (e instanceof InstallError || e instanceof MissingDependencyError) throw new CliError(e.message);
        throw e;
      }
      return 0;
    },
  };
}

export const installCommand = makeInstallCommand();
export default installCommand;

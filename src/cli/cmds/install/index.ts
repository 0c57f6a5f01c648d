/**
 * `bgp-sidecar install [--prefix DIR] [--no-user] [--no-systemctl] [--enable] [--now] [--capabilities LIST]`
 */
import { existsSync } from 'node:fs';
import { loadConfigFile } from '../../../config/load.js';
import { ConfigError } from '../../../config/types.js';
import { packageRoot } from '../../../daemon/sdnotify.js';
import { CliError, type CliCommand } from '../../types.js';
import { capabilityNeeds, requiredCapabilities } from './capabilities.js';
import { install, InstallError, KNOWN_CAPABILITIES } from './install.js';
import { PATHS, under } from './layout.js';
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
        describe: 'grant only these capabilities (drop-in): comma list of net-raw, net-admin, net-bind-service, sys-nice, none, or auto (what the existing config needs)',
      },
      source: { type: 'string', requiresArg: true, describe: 'built package to install from (default: the one running this command)' },
    },
    examples: [
      ['$0 install --now', 'install, create the user, enable and start'],
      ['$0 install --capabilities net-raw', 'no loopback management, no passive peers: only CAP_NET_RAW'],
      ['$0 install --capabilities auto', 'grant what /etc/bgp-sidecar/config.yaml needs (re-run after enabling features)'],
      ['$0 install --prefix /tmp/image', 'write the files into an image tree'],
    ],
    async handler(args, io) {
      const root = args.prefix ?? '/';
      if (!root.startsWith('/')) throw new CliError(`--prefix: expected an absolute directory, got ${JSON.stringify(root)}`);
      if (root === '/' && typeof process.getuid === 'function' && process.getuid() !== 0) {
        throw new CliError('install writes /opt, /etc and /usr/local: run it as root (or use --prefix DIR)');
      }
      const configPath = under(root, PATHS.config);
      let capabilities = args.capabilities;
      if (capabilities?.trim().toLowerCase() === 'auto') {
        if (!existsSync(configPath)) {
          throw new CliError(`--capabilities auto reads ${PATHS.config}, which does not exist yet: install, edit the config, then run install --capabilities auto`);
        }
        capabilities = (await neededBy(configPath)).join(',') || 'none';
        io.stdout(`--capabilities auto: ${capabilities} (from ${PATHS.config})\n`);
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
          ...(capabilities !== undefined ? { capabilities: [capabilities] } : {}),
          ops,
          log: (line) => io.stdout(`${line}\n`),
        });
      } catch (e) {
        if (e instanceof InstallError || e instanceof MissingDependencyError) throw new CliError(e.message);
        throw e;
      }
      if (capabilities === undefined && existsSync(configPath)) {
        // A hint, never a failure: the config may still be the template.
        try {
          const loaded = await loadConfigFile(configPath);
          const needs = capabilityNeeds(loaded.config);
          const unused = Object.keys(KNOWN_CAPABILITIES).filter((c) => !needs.some((n) => n.cap === c));
          for (const n of needs) io.stdout(`config needs ${n.cap}: ${n.path} (${n.why})\n`);
          if (unused.length && !existsSync(under(root, PATHS.capabilitiesDropin))) io.stdout(`the unit also grants ${unused.join(', ')}, unused by this config; \`install --capabilities auto\` drops them\n`);
        } catch {
          // an invalid config is reported by check-config and at start, not here
        }
      }
      return 0;
    },
  };
}

async function neededBy(configPath: string): Promise<string[]> {
  try {
    return requiredCapabilities((await loadConfigFile(configPath)).config);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError([`--capabilities auto: ${PATHS.config} is not valid:`, ...e.lines()]);
    throw e;
  }
}

export const installCommand = makeInstallCommand();
export default installCommand;

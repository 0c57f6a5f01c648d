/**
 * The CLI factory (Lodestar style): `createCli(io)` builds the yargs parser
 * with every command registered by name and description, its module loaded
 * only when it runs; `runCli(argv, io)` runs it and
 * returns the exit code. Tests call runCli in-process with a captured IO.
 * Expected errors (CliError, bad usage) print one clear line each, no stack.
 */
import yargs, { type Argv } from 'yargs';
import { CliError, type CliCommand, type CliIo } from './types.js';
import { packageVersion } from './version.js';

/**
 * A command as registered: its yargs command string and description, enough for
 * `--help` and for routing, and how to load the module that has its options and
 * handler. The module is imported only when its command runs (or shows its own
 * --help): `--version` and `run` do not pay for loading every other command (the
 * AWS SDK wrappers, the installer, zod for check-config ...). `command` and
 * `describe` must equal the module's (test/cli/cli-lazy.test.ts checks them).
 */
export interface CommandEntry {
  command: string;
  describe: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  load(): Promise<CliCommand<any>>;
}

export const commands: CommandEntry[] = [
  { command: 'run', describe: 'run the daemon in the foreground (systemd: Type=notify), JSON logs on stdout', load: async () => (await import('./cmds/run/index.js')).run },
  { command: 'check-config', describe: 'validate a configuration file and print it normalized (defaults filled in), in the config file format', load: async () => (await import('./cmds/check-config/index.js')).checkConfig },
  { command: 'status', describe: 'show peers, announcements, checks and the verdict of the running daemon', load: async () => (await import('./cmds/status/index.js')).status },
  { command: 'drain', describe: 'move traffic away: announce the maintenance route (policy.maintenance) until undrain; survives reloads', load: async () => (await import('./cmds/drain/index.js')).drain },
  { command: 'undrain', describe: 'end a drain: the health verdict decides the announcement again', load: async () => (await import('./cmds/undrain/index.js')).undrain },
  { command: 'reload', describe: 're-read the configuration; a bad one is rejected and the running one kept', load: async () => (await import('./cmds/reload/index.js')).reload },
  // Owned by other areas; registered here.
  { command: 'rs-status', describe: "show what VPC Route Server decided: this appliance's peers (BGP/BFD) and who holds each floating prefix in the FIB", load: async () => (await import('./cmds/rs-status/index.js')).rsStatusCommand },
  { command: 'iam-policy', describe: 'print the least-privilege IAM policy (JSON) for the AWS features the configuration uses', load: async () => (await import('./cmds/iam-policy/index.js')).iamPolicyCommand },
  { command: 'fallback <action>', describe: 'run an AWS fallback action by hand (route-tables, tgw-vpn, direct-connect) or plan all of them', load: async () => (await import('./cmds/fallback/index.js')).fallbackCommand },
  { command: 'install', describe: 'install the service: app in /opt/bgp-sidecar, unit, config in /etc/bgp-sidecar/config.yaml (kept if present), system user', load: async () => (await import('./cmds/install/index.js')).installCommand },
  { command: 'uninstall', describe: 'stop and remove the service; keeps /etc/bgp-sidecar unless --purge', load: async () => (await import('./cmds/uninstall/index.js')).uninstallCommand },
  { command: 'lab [scenario]', describe: 'Run the failover lab in network namespaces (root): scenarios x systems, lost probes and gaps (default: all)', load: async () => (await import('./cmds/lab/index.js')).labCommand },
];

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

interface Outcome {
  code?: number;
  error?: unknown;
}

export function createCli(io: CliIo = processIo, outcome: Outcome = {}, entries: readonly CommandEntry[] = commands): Argv {
  let y = yargs()
    .scriptName('bgp-sidecar')
    .usage('$0 <command> [options]\n\nBGP + BFD speaker that announces floating prefixes to VPC Route Server and follows local health.')
    .version(packageVersion())
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'a command is required (see --help)')
    .recommendCommands()
    .wrap(null)
    .exitProcess(false)
    .fail((msg, err) => {
      // Usage errors from yargs (msg) and errors thrown by handlers (err) end up here.
      throw err ?? new CliError(msg ?? 'invalid usage (see --help)', 2);
    });
  for (const entry of entries) {
    // yargs runs the builder only for the command being parsed (an async builder is awaited
    // by parseAsync), so only that command's module is imported; the handler reuses it.
    let loaded: Promise<CliCommand<never>> | undefined;
    const load = () => (loaded ??= entry.load());
    y = y.command(
      entry.command,
      entry.describe,
      async (b) => {
        const cmd = await load();
        let bb = b.options(cmd.options ?? {});
        for (const [ex, d] of cmd.examples ?? []) bb = bb.example(ex, d);
        return bb;
      },
      async (argv) => {
        const cmd = await load();
        const code = await cmd.handler(argv as never, io);
        outcome.code = typeof code === 'number' ? code : 0;
      },
    );
  }
  return y;
}

/** Run the CLI on argv (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo, entries: readonly CommandEntry[] = commands): Promise<number> {
  const outcome: Outcome = {};
  const cli = createCli(io, outcome, entries);
  let output = '';
  try {
    await cli.parseAsync(argv, {}, (_err, _args, out) => {
      output = out;
    });
  } catch (e) {
    if (output && !(e instanceof CliError)) io.stderr(`${output}\n`);
    return report(e, io);
  }
  if (output) io.stdout(`${output}\n`);
  return outcome.code ?? 0;
}

function report(e: unknown, io: CliIo): number {
  if (e instanceof CliError) {
    for (const l of e.lines) io.stderr(`bgp-sidecar: ${l}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  // An operational error (socket refused, file unreadable) is still one line; the stack only on request.
  io.stderr(`bgp-sidecar: ${err?.message?.split('\n').join('\nbgp-sidecar: ') ?? String(e)}\n`);
  if (io.env['BGP_SIDECAR_DEBUG']) io.stderr(`${err?.stack ?? ''}\n`);
  return 1;
}

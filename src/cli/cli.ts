/**
 * The CLI factory (Lodestar style): `createCli(io)` builds the yargs parser
 * with every command module registered; `runCli(argv, io)` runs it and
 * returns the exit code. Tests call runCli in-process with a captured IO.
 * Expected errors (CliError, bad usage) print one clear line each, no stack.
 */
import yargs, { type Argv } from 'yargs';
import { checkConfig } from './cmds/check-config/index.js';
import { drain } from './cmds/drain/index.js';
import { fallbackCommand } from './cmds/fallback/index.js';
import { iamPolicyCommand } from './cmds/iam-policy/index.js';
import installCommand from './cmds/install/index.js';
import labCommand from './cmds/lab/index.js';
import { reload } from './cmds/reload/index.js';
import { rsStatusCommand } from './cmds/rs-status/index.js';
import { run } from './cmds/run/index.js';
import { status } from './cmds/status/index.js';
import { undrain } from './cmds/undrain/index.js';
import uninstallCommand from './cmds/uninstall/index.js';
import { CliError, type CliCommand, type CliIo } from './types.js';
import { packageVersion } from './version.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CliCommand<any>[] = [
  run, checkConfig, status, drain, undrain, reload,
  // Owned by other areas; registered here.
  rsStatusCommand, iamPolicyCommand, fallbackCommand, installCommand, uninstallCommand, labCommand,
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

export function createCli(io: CliIo = processIo, outcome: Outcome = {}): Argv {
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
  for (const cmd of commands) {
    y = y.command(
      cmd.command,
      cmd.describe,
      (b) => {
        let bb = b.options(cmd.options ?? {});
        for (const [ex, d] of cmd.examples ?? []) bb = bb.example(ex, d);
        return bb;
      },
      async (argv) => {
        const code = await cmd.handler(argv as never, io);
        outcome.code = typeof code === 'number' ? code : 0;
      },
    );
  }
  return y;
}

/** Run the CLI on argv (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const outcome: Outcome = {};
  const cli = createCli(io, outcome);
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

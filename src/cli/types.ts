/**
 * What a CLI command module looks like (Lodestar style: one small module per
 * command under src/cli/cmds/<cmd>/index.ts). Commands get their options
 * already parsed and an injected IO, so tests run them in-process and the
 * core never sees yargs.
 */
import type { Options } from 'yargs';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** Options shared by every command. */
export interface GlobalArgs {
  'log-level'?: string;
}

export interface CliCommand<A = Record<string, unknown>> {
  /** yargs command string, e.g. "status" or "drain [reason]". */
  command: string;
  describe: string;
  options?: Record<string, Options>;
  examples?: [string, string][];
  /** Returns the exit code (default 0). Throw CliError for an expected failure. */
  handler(args: A & GlobalArgs, io: CliIo): Promise<number | void>;
}

/** An expected failure: printed as one line (or one line per entry), no stack. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly lines: string[];
  constructor(message: string | string[], exitCode = 1) {
    const lines = Array.isArray(message) ? message : [message];
    super(lines.join('\n'));
    this.name = 'CliError';
    this.lines = lines;
    this.exitCode = exitCode;
  }
}

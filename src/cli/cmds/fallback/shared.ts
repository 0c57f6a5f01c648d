/** Shared by the AWS commands (fallback, rs-status, iam-policy): config loading and a stderr logger. */
import { pino, type Logger } from 'pino';
import { loadConfigFile, type Config } from '../../../config/load.js';
import { ConfigError } from '../../../config/types.js';
import { CliError, type CliIo } from '../../types.js';

export async function loadForAws(file: string): Promise<Config> {
  try {
    return (await loadConfigFile(file)).config;
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.lines());
    throw e;
  }
}

/** JSON logs on stderr (every AWS change with its request id at info), results on stdout. */
export function cliLogger(io: CliIo, level: string | undefined): Logger {
  return pino(
    { level: level ?? 'info', base: undefined },
    { write: (line: string) => io.stderr(line) },
  );
}

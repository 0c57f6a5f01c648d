/**
 * Bounded command execution for the lab and the interop tests: every command
 * has a timeout, output is captured, failures carry the command line and stderr.
 */
import { execFile } from 'node:child_process';

export interface RunOptions {
  /** Kill the command after this many milliseconds (default 15 s). */
  timeoutMs?: number;
  /** Resolve instead of reject on a non-zero exit. */
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Max captured bytes per stream (default 256 MiB: `show route all` with 100k routes is large). */
  maxBuffer?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when killed by a signal. */
  code: number | null;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
    why: string,
  ) {
    super(`${command}: ${why}${stderr.trim() ? `: ${stderr.trim().slice(0, 2000)}` : ''}`);
    this.name = 'CommandError';
  }
}

export function quoteArgs(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeout = opts.timeoutMs ?? 15_000;
  const line = quoteArgs(cmd, args);
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        timeout,
        killSignal: 'SIGKILL',
        maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string };
        if (typeof e.code === 'string') {
          // spawn failure (ENOENT, EACCES): never "allowed".
          reject(new CommandError(line, null, stdout, stderr, `cannot start (${e.code})`));
          return;
        }
        const code = typeof e.code === 'number' ? e.code : null;
        if (e.killed || code === null) {
          reject(new CommandError(line, code, stdout, stderr, e.killed ? `timed out after ${timeout} ms` : `killed by ${e.signal ?? 'signal'}`));
          return;
        }
        if (opts.allowFail) resolve({ stdout, stderr, code });
        else reject(new CommandError(line, code, stdout, stderr, `exit ${code}`));
      },
    );
  });
}

/** Whether an executable is on PATH (or is an existing absolute path). */
export async function haveCommand(cmd: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v "$1" >/dev/null 2>&1`, 'sh', cmd], { allowFail: true, timeoutMs: 5000 });
  return r.code === 0;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is being waited for, for the timeout error. */
  what?: string;
}

/**
 * Poll `predicate` until it returns a truthy value (which is returned) or the
 * timeout passes. Exceptions from the predicate count as "not yet" (the last
 * one is reported in the timeout error), except errors with `fatal: true`
 * (a process the wait depends on exited), which end the wait at once.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, o: WaitOptions): Promise<NonNullable<T>> {
  const interval = o.intervalMs ?? 100;
  const deadline = Date.now() + o.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (err) {
      // A predicate may declare the wait hopeless (a process it depends on exited).
      if (err instanceof Error && (err as Error & { fatal?: boolean }).fatal) throw err;
      last = err;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `; last error: ${last.message}` : '';
      throw new Error(`timed out after ${o.timeoutMs} ms waiting for ${o.what ?? 'condition'}${why}`);
    }
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

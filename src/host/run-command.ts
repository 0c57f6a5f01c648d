/**
 * Run a command without a shell, in its own process group, with a hard deadline.
 * On timeout or abort the WHOLE group gets SIGKILL (a check script's children die with
 * it); after a normal exit, stragglers left in the group are killed too, so a health
 * check can never leak processes. stdout+stderr are kept up to `outputLimit` bytes.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Real-time deadline; the group is killed when it passes. */
  timeoutMs?: number;
  /** Abort kills the group as well (the health monitor's own deadline). */
  signal?: AbortSignal;
  /** Bytes of combined stdout+stderr to keep. */
  outputLimit?: number;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Could not be started (ENOENT, EACCES). */
  spawnError?: string;
  output: string;
  truncated: boolean;
  durationMs: number;
}

export function runCommand(command: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  const limit = o.outputLimit ?? 4096;
  const t0 = performance.now();
  return new Promise<RunResult>((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

    const child = spawn(command, [...args], {
      detached: true, // own process group: kill(-pid) reaches every descendant that stayed in it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: o.env ?? process.env,
    });
    const killGroup = () => {
      if (child.pid === undefined) return;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* ESRCH: already gone */ }
    };
    const onData = (b: Buffer) => {
      if (kept >= limit) { truncated = true; return; }
      const part = b.subarray(0, limit - kept);
      chunks.push(part);
      kept += part.length;
      if (part.length < b.length) truncated = true;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);

    const timer = o.timeoutMs !== undefined ? setTimeout(() => { timedOut = true; killGroup(); }, o.timeoutMs) : undefined;
    const onAbort = () => { timedOut = true; killGroup(); };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();

    const finish = (spawnError?: string) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      const r: RunResult = {
        code: exit?.code ?? null, signal: exit?.signal ?? null, timedOut,
        output: Buffer.concat(chunks).toString('utf8'), truncated, durationMs: performance.now() - t0,
      };
      if (spawnError !== undefined) r.spawnError = spawnError;
      resolve(r);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      // spawn failure (no 'exit' follows), or a failed kill (ignored)
      if (child.pid === undefined) finish(err.code ?? err.message);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      killGroup(); // stragglers holding our pipes would otherwise keep 'close' from firing
    });
    child.once('close', () => finish());
  });
}

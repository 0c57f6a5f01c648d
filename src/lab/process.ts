/**
 * A supervised long-running process (a BGP daemon, a sidecar) inside a
 * namespace: start, stop (SIGTERM then SIGKILL, bounded), pause (SIGSTOP,
 * freezes it so its peers' hold timers run out), resume, restart, and the
 * tail of its output for error messages and assertions.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Netns } from './netns.js';
import { sleep } from './run.js';

export interface ProcessSpec {
  /** Short label for messages: "bird", "gobgpd", "sidecar-a1". */
  name: string;
  netns: Netns;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Also append stdout+stderr here. */
  logFile?: string;
  /** Bytes of output kept in memory (default 256 KiB). */
  keepBytes?: number;
  /** Keep stdin open as a pipe (for write()); default: /dev/null. */
  stdin?: boolean;
  /** Called with every output line (stdout and stderr). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export class ProcessExitedError extends Error {
  /** Ends a waitFor() at once: waiting longer cannot help. */
  readonly fatal = true;
  constructor(name: string, code: number | null, sig: string | null, tail: string) {
    super(`${name} exited (${code !== null ? `code ${code}` : `signal ${sig}`}); last output:\n${tail}`);
    this.name = 'ProcessExitedError';
  }
}

export class ManagedProcess {
  private proc: ChildProcess | undefined;
  private out = '';
  private log: WriteStream | undefined;
  private exitPromise: Promise<void> | undefined;
  private paused = false;
  exitCode: number | null = null;
  exitSignal: string | null = null;

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Captured stdout+stderr (the last keepBytes). */
  output(): string {
    return this.out;
  }

  /** The last n lines of output. */
  tail(n = 30): string {
    return this.out.split('\n').slice(-n - 1).join('\n');
  }

  start(): void {
    if (this.running) throw new Error(`${this.spec.name} already running (pid ${this.pid})`);
    const s = this.spec;
    this.exitCode = null;
    this.exitSignal = null;
    this.paused = false;
    if (s.logFile && !this.log) this.log = createWriteStream(s.logFile, { flags: 'a' });
    const proc = s.netns.spawn(s.cmd, s.args, { env: s.env ?? process.env, cwd: s.cwd, stdio: [s.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = s.keepBytes ?? 256 * 1024;
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      proc[stream]?.setEncoding('utf8');
      proc[stream]?.on('data', (chunk: string) => {
        this.out += chunk;
        if (this.out.length > keep) this.out = this.out.slice(-keep);
        this.log?.write(chunk);
        if (s.onLine) {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const l of lines) s.onLine(l, stream);
        }
      });
    }
    this.exitPromise = new Promise((resolve) => {
      proc.once('exit', (code, sig) => {
        this.exitCode = code;
        this.exitSignal = sig;
        resolve();
      });
      proc.once('error', (err) => {
        this.out += `\nspawn error: ${err.message}\n`;
        resolve();
      });
    });
  }

  /** Write to the process's stdin (spec.stdin must be set). */
  write(text: string): void {
    const stdin = this.proc?.stdin;
    if (!stdin || !this.running) throw new Error(`${this.spec.name}: not running or no stdin pipe`);
    stdin.write(text);
  }

  /** Throws with the output tail when the process has exited (for readiness loops). */
  assertRunning(): void {
    if (!this.running && this.proc) throw new ProcessExitedError(this.spec.name, this.exitCode, this.exitSignal, this.tail());
  }

  /** Wait for exit, at most timeoutMs; true if it exited. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.proc || !this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const r = await Promise.race([this.exitPromise!.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return r;
  }

  /** Send a signal to the process group. */
  signal(sig: NodeJS.Signals): void {
    const pid = this.proc?.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves when the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    if (this.paused) this.resume();
    this.signal('SIGTERM');
    if (!(await this.waitExit(graceMs))) {
      this.signal('SIGKILL');
      await this.waitExit(2000);
    }
  }

  /** SIGKILL at once (a crash, as the peer sees it: the kernel resets/closes the socket). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.waitExit(3000);
  }

  /** Freeze the process (SIGSTOP): its TCP sessions stay open but it sends nothing. */
  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  async restart(graceMs = 3000, pauseMs = 0): Promise<void> {
    await this.stop(graceMs);
    if (pauseMs > 0) await sleep(pauseMs);
    this.start();
  }

  /** Close the log file (after the final stop). */
  close(): void {
    this.log?.end();
    this.log = undefined;
  }
}

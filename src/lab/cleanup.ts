/**
 * One process-wide registry of what the lab or a test created: network
 * namespaces, child processes, temporary directories. It is emptied on
 * teardown, on process exit and on SIGINT/SIGTERM, so a failed or interrupted
 * run leaves nothing behind (no namespace, no BGP daemon holding port 179).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './run.js';

type Entry =
  | { kind: 'process'; proc: ChildProcess; group: boolean }
  | { kind: 'netns'; name: string }
  | { kind: 'dir'; path: string }
  | { kind: 'hook'; fn: () => void };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(proc: ChildProcess, group: boolean, sig: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(group ? -proc.pid : proc.pid, sig);
  } catch {
    /* already gone */
  }
}

function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined || !alive(proc.pid);
}

/** Kill every process still inside a namespace, then delete it (synchronous, for exit paths). */
export function deleteNetnsSync(name: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000 });
  for (const p of (pids.stdout ?? '').split(/\s+/).filter(Boolean)) {
    const pid = Number(p);
    if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  spawnSync('ip', ['netns', 'del', name], { timeout: 5000 });
}

export class CleanupRegistry {
  private entries: Entry[] = [];
  private handlersInstalled = false;
  private running: Promise<void> | undefined;

  addProcess(proc: ChildProcess, group = true): void {
    this.install();
    this.entries.push({ kind: 'process', proc, group });
  }
  addNetns(name: string): void {
    this.install();
    this.entries.push({ kind: 'netns', name });
  }
  addDir(path: string): void {
    this.install();
    this.entries.push({ kind: 'dir', path });
  }
  /** A synchronous hook run on cleanup (before namespaces are deleted). */
  addHook(fn: () => void): void {
    this.install();
    this.entries.push({ kind: 'hook', fn });
  }
  forgetNetns(name: string): void {
    this.entries = this.entries.filter((e) => !(e.kind === 'netns' && e.name === name));
  }
  forgetProcess(proc: ChildProcess): void {
    this.entries = this.entries.filter((e) => !(e.kind === 'process' && e.proc === proc));
  }
  get size(): number {
    return this.entries.length;
  }

  /**
   * Graceful cleanup: SIGTERM (and SIGCONT, in case a test froze it) to every
   * process, up to `graceMs` for them to go, SIGKILL the rest, then delete
   * namespaces and directories. Newest entries first.
   */
  cleanup(graceMs = 2000): Promise<void> {
    this.running ??= this.doCleanup(graceMs).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async doCleanup(graceMs: number): Promise<void> {
    const entries = this.entries.reverse();
    this.entries = [];
    const procs = entries.filter((e): e is Extract<Entry, { kind: 'process' }> => e.kind === 'process');
    for (const p of procs) {
      signal(p.proc, p.group, 'SIGCONT');
      signal(p.proc, p.group, 'SIGTERM');
    }
    const deadline = Date.now() + graceMs;
    while (procs.some((p) => !exited(p.proc)) && Date.now() < deadline) await sleep(25);
    for (const p of procs) if (!exited(p.proc)) signal(p.proc, p.group, 'SIGKILL');
    this.finishSync(entries.filter((e) => e.kind !== 'process'));
  }

  /** Immediate cleanup for exit paths: SIGKILL everything, delete everything. */
  cleanupSync(): void {
    const entries = this.entries.reverse();
    this.entries = [];
    for (const e of entries) {
      if (e.kind === 'process') {
        signal(e.proc, e.group, 'SIGCONT');
        signal(e.proc, e.group, 'SIGKILL');
      }
    }
    this.finishSync(entries.filter((e) => e.kind !== 'process'));
  }

  private finishSync(entries: Entry[]): void {
    for (const e of entries) {
      try {
        if (e.kind === 'hook') e.fn();
        else if (e.kind === 'netns') deleteNetnsSync(e.name);
        else if (e.kind === 'dir') rmSync(e.path, { recursive: true, force: true });
      } catch {
        /* best effort: keep cleaning the rest */
      }
    }
  }

  private install(): void {
    if (this.handlersInstalled) return;
    this.handlersInstalled = true;
    process.on('exit', () => this.cleanupSync());
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(sig, () => {
        // Other listeners (the lab's Ctrl-C handler) may run an orderly stop
        // first; this one guarantees nothing outlives the process.
        if (process.listenerCount(sig) > 1) return;
        this.cleanupSync();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      });
    }
  }
}

/** The registry of this process. */
export const cleanup = new CleanupRegistry();

/** A fresh directory under the OS temp dir, removed on cleanup unless keep is set. */
export function tempDir(tag: string, o: { keep?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `bgpsc-${tag}-`));
  if (!o.keep) cleanup.addDir(dir);
  return dir;
}

/** What a lab run keeps of its Ctrl-C handler (see onInterrupt). */
export interface Interrupt {
  /** True once a signal arrived: the handler tears down, the run's own `finally` must not. */
  readonly interrupted: boolean;
  /** Removes the handlers (at the end of an uninterrupted run). */
  release(): void;
}

/**
 * Ctrl-C / SIGTERM during a lab run: the first signal says so on `stderr`,
 * runs the orderly `teardown` (stop watchers, daemons, delete namespaces)
 * and exits 130 (SIGINT) or 143 (SIGTERM). A second signal, or a teardown
 * that hangs past 8 s, leaves it to the registry's synchronous cleanup and
 * exits 130.
 */
export function onInterrupt(teardown: () => Promise<unknown>, stderr: (text: string) => void): Interrupt {
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      cleanup.cleanupSync();
      process.exit(130);
    }
    interrupted = true;
    stderr(`\nlab: ${sig}, cleaning up\n`);
    const force = setTimeout(() => {
      cleanup.cleanupSync();
      process.exit(130);
    }, 8000);
    force.unref();
    void teardown().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

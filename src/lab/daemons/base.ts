/** What every real BGP daemon handle offers, whatever the implementation. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../cleanup.js';
import type { Netns } from '../netns.js';
import type { ManagedProcess } from '../process.js';
import { waitFor, type WaitOptions } from '../run.js';

export interface DaemonHandle {
  /** "bird", "gobgpd", "frr", "exabgp" */
  readonly kind: string;
  readonly ns: Netns;
  /** Working directory with its config, sockets and logs. */
  readonly dir: string;
  /** The process that speaks BGP (the one paused and restarted). */
  readonly main: ManagedProcess;
  /** Orderly stop (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** SIGKILL: a crash as the peer sees it. */
  kill(): Promise<void>;
  /** SIGSTOP: the TCP session stays open, nothing is sent, the peer's hold timer runs. */
  pause(): void;
  resume(): void;
  /** Stop and start again with the same config; resolves when it answers queries again. */
  restart(): Promise<void>;
  /** Output of the daemon(s), for failure messages. */
  logs(): string;
}

export interface DaemonCommon {
  ns: Netns;
  /** Working directory; a fresh temporary one (removed on cleanup) when omitted. */
  dir?: string;
  /** How long to wait for the daemon to answer its control interface (default 10 s). */
  readyTimeoutMs?: number;
}

/**
 * A wait for a daemon's control interface: resolves once `answers()` is
 * true, fails at once if `main` exits meanwhile (it would never answer).
 */
export function readyWhen(main: ManagedProcess, answers: () => Promise<boolean>, o: WaitOptions): () => Promise<void> {
  return async () => {
    await waitFor(async () => {
      main.assertRunning();
      return answers();
    }, o);
  };
}

/**
 * The process controls of a daemon that is one process (BIRD, gobgpd):
 * signals go to `main`, a restart waits for `ready` again, logs are its output.
 */
export function singleProcessControls(
  main: ManagedProcess,
  ready: () => Promise<void>,
): Pick<DaemonHandle, 'stop' | 'kill' | 'pause' | 'resume' | 'restart' | 'logs'> {
  return {
    stop: () => main.stop(),
    kill: () => main.kill(),
    pause: () => main.pause(),
    resume: () => main.resume(),
    async restart() {
      await main.stop();
      main.start();
      await ready();
    },
    logs: () => main.output(),
  };
}

export function workDir(kind: string, dir?: string): string {
  const d = dir ?? tempDir(kind);
  // FRR drops to its own user and must read its config: world-traversable dir.
  chmodSync(d, 0o755);
  return d;
}

export function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o644 });
  chmodSync(path, 0o644);
  return path;
}

/** Canonical "AS path" as a list of numbers from a text like "65001 65001 {65002}" (sets flattened). */
export function parseAsPath(text: string): number[] {
  return (text.match(/\d+/g) ?? []).map(Number);
}

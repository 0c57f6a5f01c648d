/**
 * Our daemon as the benchmarks run it: the built CLI
 * (`node dist/src/cli/main.js run --config <file>`) inside a namespace, with a
 * config written from a plain object (kebab-case keys, as in the file), and
 * its status read through the control socket.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { controlRequest } from '../../src/daemon/control-client.js';
import { writeConfig } from '../../src/lab/daemons/base.js';
import type { Netns } from '../../src/lab/netns.js';
import type { ManagedProcess } from '../../src/lab/process.js';
import { sidecarProcess } from '../../src/lab/sidecar.js';

export interface BenchDaemon {
  proc: ManagedProcess;
  pid: number;
  controlSocket: string;
  /** The daemon's `status` result (control socket), bounded by timeoutMs. */
  status(timeoutMs?: number): Promise<DaemonStatus>;
  stop(): Promise<void>;
}

/** The part of the status the benchmarks read (shape from src/daemon/daemon.ts status()). */
export interface DaemonStatus {
  peers: {
    address: string;
    state: string;
    receivedPrefixes?: number;
    receivedCountOnly?: boolean;
    updatesReceived?: number;
    updatesSent?: number;
    bfd: { state: string } | null;
  }[];
}

/**
 * Write `config` (control socket and metrics filled in) and start the daemon.
 * `config` is the document as in the file: { 'local-asn': ..., peers: [...] }.
 */
export function startDaemon(o: { ns: Netns; dir: string; name: string; config: Record<string, unknown> }): BenchDaemon {
  const controlSocket = join(o.dir, `${o.name}.sock`);
  const doc = { ...o.config, control: { socket: controlSocket }, metrics: false };
  const configPath = writeConfig(o.dir, `${o.name}.yaml`, stringify(doc));
  const proc = sidecarProcess({ name: o.name, ns: o.ns, configPath, logFile: join(o.dir, `${o.name}.log`), keepBytes: 64 * 1024 });
  proc.start();
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`cannot start the daemon: ${proc.tail()}`);
  return {
    proc,
    pid,
    controlSocket,
    async status(timeoutMs = 10_000) {
      proc.assertRunning();
      return (await controlRequest(controlSocket, { cmd: 'status' }, timeoutMs)) as DaemonStatus;
    },
    stop: () => proc.stop(5000),
  };
}

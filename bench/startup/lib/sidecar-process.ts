/** Start the built CLI (`dist/src/cli/main.js run --config`) with a config aimed at loopback listeners. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarConfig } from '../../../src/lab/sidecar.js';

export const LOCAL_ASN = 65001;
export const PEER_ASN = 65000;

/** dist/src/cli/main.js next to this compiled file (dist/bench/startup/lib/). */
export function cliMain(): string {
  const here = fileURLToPath(import.meta.url);
  const main = join(here, '..', '..', '..', '..', 'src', 'cli', 'main.js');
  if (!here.endsWith('.js') || !existsSync(main)) throw new Error(`run the benchmark from dist (npm run bench:startup); ${main} not found`);
  return main;
}

export interface SidecarRun {
  proc: ChildProcess;
  dir: string;
  startedAt: number;
  output: () => string;
  stop(): Promise<void>;
}

/** Peers on loopback; each needs its own address (the config rejects duplicates): 127.0.0.1, 127.0.0.2 ... */
export function startSidecar(peers: { host: string; port: number }[], o: { prefixes?: string[]; logLevel?: string } = {}): SidecarRun {
  const dir = mkdtempSync(join(tmpdir(), 'bgpsc-bench-'));
  const config = join(dir, 'sidecar.yaml');
  writeFileSync(
    config,
    sidecarConfig({
      localAsn: LOCAL_ASN,
      routerId: '10.255.0.1',
      prefixes: o.prefixes ?? ['172.16.1.1/32'],
      peers: peers.map((p) => ({ address: p.host, port: p.port, asn: PEER_ASN, localAddress: '127.0.0.1', holdTime: 90 })),
      controlSocket: join(dir, 'control.sock'),
      logLevel: o.logLevel ?? 'warn',
    }),
  );
  let out = '';
  const startedAt = performance.now();
  const proc = spawn(process.execPath, [cliMain(), 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  proc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  return {
    proc,
    dir,
    startedAt,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Our sidecar as the lab and the interop tests run it: the real CLI
 * (`bgp-sidecar run --config <file>`) as a child process inside an appliance
 * namespace, with a config file written for it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Netns } from './netns.js';
import { ManagedProcess, type ProcessSpec } from './process.js';
import { writeConfig } from './daemons/base.js';

export interface SidecarPeer {
  address: string;
  asn: number;
  localAddress?: string;
  holdTime?: number;
  passive?: boolean;
  port?: number;
  /** Global IPv6 next hop for IPv6 prefixes over an IPv4 session. */
  ipv6NextHop?: string;
  /** BFD for this session (the failover lab): intervals in ms. */
  bfd?: { minTxMs: number; minRxMs: number; multiplier: number };
}

export interface SidecarConfigOptions {
  localAsn: number;
  routerId: string;
  prefixes: string[];
  prepend?: number;
  med?: number;
  communities?: string[];
  peers: SidecarPeer[];
  controlSocket: string;
  logLevel?: string;
  /** Extra top-level keys (kebab-case, as in the file), e.g. health/policy for later scenarios. */
  extra?: Record<string, unknown>;
}

/** The config file text (YAML, kebab-case keys as documented for `run --config`). */
export function sidecarConfig(o: SidecarConfigOptions): string {
  const doc: Record<string, unknown> = {
    'local-asn': o.localAsn,
    'router-id': o.routerId,
    prefixes: o.prefixes,
    announce: {
      prepend: o.prepend ?? 0,
      ...(o.med !== undefined ? { med: o.med } : {}),
      ...(o.communities?.length ? { communities: o.communities } : {}),
    },
    peers: o.peers.map((p) => ({
      address: p.address,
      asn: p.asn,
      ...(p.port !== undefined ? { port: p.port } : {}),
      ...(p.localAddress ? { 'local-address': p.localAddress } : {}),
      ...(p.holdTime !== undefined ? { 'hold-time': p.holdTime } : {}),
      ...(p.passive !== undefined ? { passive: p.passive } : {}),
      ...(p.ipv6NextHop ? { 'ipv6-next-hop': p.ipv6NextHop } : {}),
      ...(p.bfd ? { bfd: { 'min-tx-ms': p.bfd.minTxMs, 'min-rx-ms': p.bfd.minRxMs, multiplier: p.bfd.multiplier } } : {}),
    })),
    control: { socket: o.controlSocket },
    metrics: false,
    'log-level': o.logLevel ?? 'info',
    ...(o.extra ?? {}),
  };
  return stringify(doc);
}

/**
 * How to start the CLI: from dist (`node dist/src/cli/main.js`) when this
 * module runs compiled, from source through tsx when it runs as TypeScript
 * (tests). BGP_SIDECAR_CLI overrides (a path to main.js or main.ts).
 */
export function cliCommand(): { cmd: string; args: string[] } {
  const override = process.env.BGP_SIDECAR_CLI;
  const self = fileURLToPath(import.meta.url);
  const main = override ?? join(self, '..', '..', 'cli', self.endsWith('.ts') ? 'main.ts' : 'main.js');
  if (!existsSync(main)) throw new Error(`the CLI entry ${main} does not exist (build first: npx tsc -p .)`);
  if (main.endsWith('.ts')) return { cmd: process.execPath, args: ['--import', 'tsx', main] };
  return { cmd: process.execPath, args: [main] };
}

/**
 * Our daemon (`run --config <configPath>`) as a child process named
 * `sidecar-<name>` inside `ns`, its output appended to `logFile`. Used by the
 * lab, the failover lab and the benchmarks.
 */
export function sidecarProcess(o: {
  name: string;
  ns: Netns;
  configPath: string;
  logFile: string;
  onLine?: ProcessSpec['onLine'];
  keepBytes?: number;
}): ManagedProcess {
  const { cmd, args } = cliCommand();
  return new ManagedProcess({
    name: `sidecar-${o.name}`,
    netns: o.ns,
    cmd,
    args: [...args, 'run', '--config', o.configPath],
    logFile: o.logFile,
    ...(o.keepBytes !== undefined ? { keepBytes: o.keepBytes } : {}),
    ...(o.onLine ? { onLine: o.onLine } : {}),
  });
}

export interface SidecarOptions {
  name: string;
  ns: Netns;
  dir: string;
  config: SidecarConfigOptions;
  /** Called with every output line (the daemon logs JSON lines). */
  onLine?: (line: string) => void;
}

export interface SidecarHandle {
  readonly name: string;
  readonly proc: ManagedProcess;
  readonly configPath: string;
  readonly controlSocket: string;
  start(): void;
  /** SIGTERM: the daemon's orderly stop. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** Run another CLI command against this sidecar (status, drain...) inside its namespace. */
  cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }>;
}

export function createSidecar(o: SidecarOptions): SidecarHandle {
  const configPath = writeConfig(o.dir, `${o.name}.yaml`, sidecarConfig(o.config));
  const { cmd, args } = cliCommand();
  const proc = sidecarProcess({
    name: o.name,
    ns: o.ns,
    configPath,
    logFile: join(o.dir, `${o.name}.log`),
    ...(o.onLine ? { onLine: (l: string) => o.onLine?.(l) } : {}),
  });
  return {
    name: o.name,
    proc,
    configPath,
    controlSocket: o.config.controlSocket,
    start: () => proc.start(),
    stop: (graceMs = 5000) => proc.stop(graceMs),
    kill: () => proc.kill(),
    cli: (...a: string[]) => o.ns.exec(cmd, [...args, ...a], { allowFail: true, timeoutMs: 15_000 }),
  };
}

/**
 * GoBGP in a namespace: `gobgpd -f conf.toml --api-hosts 127.0.0.1:<port>`,
 * queried with `gobgp -u 127.0.0.1 -p <port>` (JSON output where it exists).
 */
import { join } from 'node:path';
import { ManagedProcess } from '../process.js';
import { run, type RunResult } from '../run.js';
import { readyWhen, singleProcessControls, workDir, writeConfig, type DaemonCommon, type DaemonHandle } from './base.js';

export interface GobgpNeighbor {
  address: string;
  asn: number;
  /** Hold time in seconds (keepalive = hold/3). Default 9. */
  holdTime?: number;
  passive?: boolean;
  localAddress?: string;
  families?: ('ipv4-unicast' | 'ipv6-unicast')[];
}

export interface GobgpConfigOptions {
  asn: number;
  routerId: string;
  /** BGP listen port; -1 to not listen. Default 179. */
  port?: number;
  neighbors: GobgpNeighbor[];
}

export function gobgpConfig(o: GobgpConfigOptions): string {
  const out: string[] = ['[global.config]', `  as = ${o.asn}`, `  router-id = "${o.routerId}"`, `  port = ${o.port ?? 179}`, ''];
  for (const n of o.neighbors) {
    const hold = n.holdTime ?? 9;
    out.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${n.address}"`, `    peer-as = ${n.asn}`);
    out.push('  [neighbors.timers.config]', `    hold-time = ${hold}`, `    keepalive-interval = ${Math.max(1, Math.floor(hold / 3))}`, '    connect-retry = 1');
    out.push('  [neighbors.transport.config]', `    passive-mode = ${n.passive ? 'true' : 'false'}`);
    if (n.localAddress) out.push(`    local-address = "${n.localAddress}"`);
    for (const f of n.families ?? ['ipv4-unicast', 'ipv6-unicast']) {
      out.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${f}"`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export interface GobgpPath {
  prefix: string;
  asPath: number[];
  nextHop?: string;
  med?: number;
  communities: string[];
  best: boolean;
  /** The peer the path came from. */
  neighbor?: string;
}

export interface GobgpOptions extends DaemonCommon {
  config: string;
  /** gRPC API port on 127.0.0.1 inside the namespace; default a random one in 50100..59999. */
  apiPort?: number;
}

export interface GobgpHandle extends DaemonHandle {
  readonly apiPort: number;
  gobgp(...args: string[]): Promise<RunResult>;
  /** "established", "active", "idle", ... (lower case), from `gobgp neighbor <addr>`. */
  neighborState(address: string): Promise<string>;
  /** Paths in the global RIB for a family. */
  rib(family?: 'ipv4' | 'ipv6'): Promise<GobgpPath[]>;
  /** Number of accepted paths from a neighbor. */
  receivedCount(address: string, family?: 'ipv4' | 'ipv6'): Promise<number>;
  /** `gobgp neighbor <addr> softresetin`: sends ROUTE-REFRESH. */
  softResetIn(address: string): Promise<void>;
  /** Originate routes: `gobgp global rib add <prefix>`. */
  addRoute(prefix: string, family?: 'ipv4' | 'ipv6'): Promise<void>;
}

interface RawPath {
  nlri?: { prefix?: string; prefix_len?: number };
  attrs?: { type: number; as_paths?: { type: number; asns: number[] }[]; nexthop?: string; metric?: number; communities?: number[]; mp_reach?: unknown }[];
  best?: boolean;
  'source-id'?: string;
  'neighbor-ip'?: string;
}

/** Parse `gobgp global rib -a ipv4 -j`: { "<prefix>": [path, ...] } */
export function parseGobgpRib(json: string): GobgpPath[] {
  const trimmed = json.trim();
  if (!trimmed) return [];
  const data = JSON.parse(trimmed) as Record<string, RawPath[]>;
  const out: GobgpPath[] = [];
  for (const [prefix, paths] of Object.entries(data)) {
    for (const p of paths) {
      const attrs = p.attrs ?? [];
      const asPath = attrs.find((a) => a.type === 2)?.as_paths?.flatMap((s) => s.asns) ?? [];
      const nh = attrs.find((a) => a.type === 3)?.nexthop ?? (attrs.find((a) => a.type === 14) as { nexthop?: string } | undefined)?.nexthop;
      const med = attrs.find((a) => a.type === 4)?.metric;
      const comms = attrs.find((a) => a.type === 8)?.communities ?? [];
      out.push({
        prefix,
        asPath,
        ...(nh ? { nextHop: nh } : {}),
        ...(med !== undefined ? { med } : {}),
        communities: comms.map((c) => `${Math.floor(c / 65536)}:${c % 65536}`),
        best: p.best === true,
        ...(p['neighbor-ip'] ? { neighbor: p['neighbor-ip'] } : {}),
      });
    }
  }
  return out;
}

export async function startGobgp(o: GobgpOptions): Promise<GobgpHandle> {
  const dir = workDir('gobgp', o.dir);
  const configPath = writeConfig(dir, 'gobgpd.toml', o.config);
  const apiPort = o.apiPort ?? 50100 + Math.floor(Math.random() * 9900);
  const ns = o.ns;
  const main = new ManagedProcess({
    name: `gobgpd@${ns.name}`,
    netns: ns,
    cmd: 'gobgpd',
    args: ['-f', configPath, '-t', 'toml', '--api-hosts', `127.0.0.1:${apiPort}`, '-p', '--pprof-disable', '-l', 'info'],
    logFile: join(dir, 'gobgpd.log'),
  });
  const gobgp = (...args: string[]) => ns.exec('gobgp', ['-u', '127.0.0.1', '-p', String(apiPort), ...args], { timeoutMs: 30_000 });
  const ready = readyWhen(
    main,
    async () => (await ns.exec('gobgp', ['-u', '127.0.0.1', '-p', String(apiPort), 'global'], { allowFail: true, timeoutMs: 3000 })).code === 0,
    { timeoutMs: o.readyTimeoutMs ?? 10_000, intervalMs: 150, what: `gobgpd in ${ns.name} to answer on port ${apiPort}` },
  );
  main.start();
  await ready();
  const handle: GobgpHandle = {
    kind: 'gobgpd',
    ns,
    dir,
    main,
    apiPort,
    gobgp,
    ...singleProcessControls(main, ready),
    async neighborState(address) {
      const r = await run('ip', ['netns', 'exec', ns.name, 'gobgp', '-u', '127.0.0.1', '-p', String(apiPort), 'neighbor', address], { allowFail: true, timeoutMs: 5000 });
      const m = /BGP state = (\w+)/.exec(r.stdout);
      return (m?.[1] ?? 'unknown').toLowerCase();
    },
    async rib(family = 'ipv4') {
      return parseGobgpRib((await gobgp('global', 'rib', '-a', family, '-j')).stdout);
    },
    async receivedCount(address, family = 'ipv4') {
      const out = (await gobgp('neighbor', address, 'adj-in', '-a', family, '-j')).stdout.trim();
      if (!out || out === 'null') return 0;
      return Object.keys(JSON.parse(out) as object).length;
    },
    async softResetIn(address) {
      await gobgp('neighbor', address, 'softresetin');
    },
    async addRoute(prefix, family = prefix.includes(':') ? 'ipv6' : 'ipv4') {
      await gobgp('global', 'rib', 'add', prefix, '-a', family);
    },
  };
  return handle;
}

/**
 * FRR (zebra + bgpd, optionally bfdd) in a namespace, as Debian packages it.
 *
 * What works with Debian's frr 8.4: each daemon started directly from
 * /usr/lib/frr with `-N <pathspace>` (sockets and pid files go to
 * /var/run/frr/<pathspace>/, so several FRR instances coexist), `-f <file>`,
 * `--log stdout`, and the default user frr:frr. Running as root (`-u root`)
 * fails: root is not in the frrvty group the vty sockets need. So the config
 * files must be readable by frr (the work dir is 0755, files 0644).
 * Queries: `vtysh -N <pathspace> -c '...'`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup } from '../cleanup.js';
import { ManagedProcess } from '../process.js';
import { run, waitFor, type RunResult } from '../run.js';
import { parseAsPath, workDir, writeConfig, type DaemonCommon, type DaemonHandle } from './base.js';

export const FRR_LIBEXEC = '/usr/lib/frr';

export interface FrrNeighbor {
  address: string;
  asn: number;
  holdTime?: number;
  passive?: boolean;
  families?: ('ipv4' | 'ipv6')[];
  bfd?: boolean;
  /** Source address for the session (`update-source`). */
  localAddress?: string;
}

export interface FrrBgpConfigOptions {
  asn: number;
  routerId: string;
  neighbors: FrrNeighbor[];
  /** Networks bgpd originates (`network X` with import-check off). */
  networks?: string[];
  extra?: string;
}

export function frrBgpConfig(o: FrrBgpConfigOptions): string {
  const l: string[] = ['frr defaults traditional', 'hostname frr', 'log stdout informational', '!', `router bgp ${o.asn}`, ` bgp router-id ${o.routerId}`];
  // RFC 8212 default (deny without policy) and nexthop checks would hide what peers send.
  l.push(' no bgp ebgp-requires-policy', ' no bgp network import-check', ' no bgp default ipv4-unicast');
  for (const n of o.neighbors) {
    const hold = n.holdTime ?? 9;
    l.push(` neighbor ${n.address} remote-as ${n.asn}`);
    l.push(` neighbor ${n.address} timers ${Math.max(1, Math.floor(hold / 3))} ${hold}`);
    l.push(` neighbor ${n.address} timers connect 1`);
    // eBGP MRAI is 30 s with "defaults traditional": updates would trickle in late.
    l.push(` neighbor ${n.address} advertisement-interval 0`);
    if (n.passive) l.push(` neighbor ${n.address} passive`);
    if (n.bfd) l.push(` neighbor ${n.address} bfd`);
    if (n.localAddress) l.push(` neighbor ${n.address} update-source ${n.localAddress}`);
  }
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const ns = o.neighbors.filter((n) => (n.families ?? ['ipv4', 'ipv6']).includes(fam));
    const nets = (o.networks ?? []).filter((p) => p.includes(':') === (fam === 'ipv6'));
    if (!ns.length && !nets.length) continue;
    l.push(` address-family ${fam} unicast`);
    for (const p of nets) l.push(`  network ${p}`);
    for (const n of ns) l.push(`  neighbor ${n.address} activate`);
    l.push(' exit-address-family');
  }
  l.push('!');
  if (o.extra) l.push(o.extra);
  return `${l.join('\n')}\n`;
}

export interface FrrOptions extends DaemonCommon {
  /** bgpd configuration. */
  bgpd: string;
  /** bfdd configuration; bfdd is started only when given. */
  bfdd?: string;
  /** Pathspace for -N; default derived from the namespace name. */
  pathspace?: string;
}

export interface FrrPath {
  asPath: number[];
  nextHop?: string;
  med?: number;
  communities: string[];
  best: boolean;
  peer?: string;
}

export interface FrrHandle extends DaemonHandle {
  readonly pathspace: string;
  readonly daemons: Map<string, ManagedProcess>;
  vtysh(...commands: string[]): Promise<RunResult>;
  /** vtysh command with `json`, parsed. */
  json<T = unknown>(command: string): Promise<T>;
  /** "Established", "Active", "Connect", "Idle", ... */
  neighborState(address: string): Promise<string>;
  /** Paths for a prefix from `show bgp <afi> unicast <prefix> json`. */
  paths(prefix: string): Promise<FrrPath[]>;
  /** Prefixes accepted from a neighbor. */
  receivedCount(address: string, family?: 'ipv4' | 'ipv6'): Promise<number>;
  /** `clear bgp <addr> soft in`: sends ROUTE-REFRESH (no soft-reconfiguration inbound is configured). */
  clearSoftIn(address: string): Promise<void>;
}

export async function startFrr(o: FrrOptions): Promise<FrrHandle> {
  const dir = workDir('frr', o.dir);
  const ns = o.ns;
  const pathspace = o.pathspace ?? ns.name;
  const runDir = `/var/run/frr/${pathspace}`;
  // /run is a tmpfs: without systemd's tmpfiles.d (containers, CI) /run/frr may
  // not exist after a reboot, and the daemons (running as frr) cannot create it.
  if (!existsSync('/var/run/frr')) {
    mkdirSync('/var/run/frr', { recursive: true, mode: 0o755 });
    await run('chown', ['frr:frr', '/var/run/frr']);
  }
  cleanup.addDir(runDir);
  const files: Record<string, string> = {
    zebra: writeConfig(dir, 'zebra.conf', 'hostname zebra\nlog stdout informational\n'),
    bgpd: writeConfig(dir, 'bgpd.conf', o.bgpd),
  };
  if (o.bfdd !== undefined) files.bfdd = writeConfig(dir, 'bfdd.conf', o.bfdd);
  const daemons = new Map<string, ManagedProcess>();
  const mk = (d: string) =>
    new ManagedProcess({
      name: `${d}@${ns.name}`,
      netns: ns,
      cmd: join(FRR_LIBEXEC, d),
      // -P 0: no TCP vty; the unix socket under the pathspace is enough for vtysh.
      args: ['-N', pathspace, '-f', files[d]!, '--log', 'stdout', '-P', '0'],
      logFile: join(dir, `${d}.log`),
      cwd: dir,
    });
  const vtysh = (...commands: string[]) =>
    ns.exec('vtysh', ['-N', pathspace, ...commands.flatMap((c) => ['-c', c])], { timeoutMs: 30_000 });
  const sockReady = (d: string) =>
    waitFor(
      () => {
        daemons.get(d)?.assertRunning();
        return existsSync(join(runDir, `${d}.vty`));
      },
      { timeoutMs: o.readyTimeoutMs ?? 10_000, intervalMs: 100, what: `FRR ${d} vty socket in ${runDir}` },
    );
  const bgpReady = () =>
    waitFor(
      async () => {
        daemons.get('bgpd')?.assertRunning();
        const r = await ns.exec('vtysh', ['-N', pathspace, '-c', 'show bgp summary json'], { allowFail: true, timeoutMs: 5000 });
        return r.code === 0 && r.stdout.trim().startsWith('{');
      },
      { timeoutMs: o.readyTimeoutMs ?? 10_000, intervalMs: 150, what: `FRR bgpd in ${ns.name} to answer vtysh` },
    );
  // zebra first (bgpd and bfdd connect to its zserv socket).
  for (const d of ['zebra', 'bfdd', 'bgpd']) {
    if (!files[d]) continue;
    const p = mk(d);
    daemons.set(d, p);
    p.start();
    await sockReady(d);
  }
  await bgpReady();
  const main = daemons.get('bgpd')!;
  const handle: FrrHandle = {
    kind: 'frr',
    ns,
    dir,
    main,
    pathspace,
    daemons,
    vtysh,
    async stop() {
      for (const d of ['bgpd', 'bfdd', 'zebra']) await daemons.get(d)?.stop();
    },
    async kill() {
      await main.kill();
    },
    pause: () => main.pause(),
    resume: () => main.resume(),
    async restart() {
      await main.stop();
      main.start();
      await sockReady('bgpd');
      await bgpReady();
    },
    logs: () => [...daemons.entries()].map(([d, p]) => `--- ${d}\n${p.tail(60)}`).join('\n'),
    async json<T>(command: string): Promise<T> {
      const r = await vtysh(`${command} json`);
      return JSON.parse(r.stdout) as T;
    },
    async neighborState(address) {
      const r = await run('ip', ['netns', 'exec', ns.name, 'vtysh', '-N', pathspace, '-c', `show bgp neighbors ${address} json`], { allowFail: true, timeoutMs: 5000 });
      try {
        const j = JSON.parse(r.stdout) as Record<string, { bgpState?: string }>;
        return j[address]?.bgpState ?? 'unknown';
      } catch {
        return 'unknown';
      }
    },
    async paths(prefix) {
      const afi = prefix.includes(':') ? 'ipv6' : 'ipv4';
      const j = await handle.json<{ paths?: RawFrrPath[] }>(`show bgp ${afi} unicast ${prefix}`);
      return (j.paths ?? []).map((p) => ({
        asPath: parseAsPath(p.aspath?.string ?? ''),
        ...(p.nexthops?.[0]?.ip ? { nextHop: p.nexthops[0].ip } : {}),
        ...(p.metric !== undefined ? { med: p.metric } : {}),
        communities: (p.community?.string ?? '').split(/\s+/).filter(Boolean),
        best: p.bestpath?.overall === true,
        ...(p.peer?.peerId ? { peer: p.peer.peerId } : {}),
      }));
    },
    async receivedCount(address, family = 'ipv4') {
      const j = await handle.json<Record<string, { peers?: Record<string, { pfxRcd?: number }> }>>(`show bgp ${family} unicast summary`);
      const sum = j[`${family}Unicast`] ?? (j as unknown as { peers?: Record<string, { pfxRcd?: number }> });
      return sum.peers?.[address]?.pfxRcd ?? 0;
    },
    async clearSoftIn(address) {
      await vtysh(`clear bgp ${address} soft in`);
    },
  };
  return handle;
}

interface RawFrrPath {
  aspath?: { string?: string };
  nexthops?: { ip?: string }[];
  metric?: number;
  community?: { string?: string };
  bestpath?: { overall?: boolean };
  peer?: { peerId?: string };
}

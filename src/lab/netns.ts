/**
 * Linux network namespaces for the lab and the interop tests: unique short
 * names, veth pairs created directly inside the namespaces (no name clash in
 * the root namespace), IPv4/IPv6 addresses (IPv6 with `nodad`, usable at once),
 * lo up, commands and long-running processes inside a namespace.
 * Everything created is registered with the cleanup registry.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cleanup, deleteNetnsSync } from './cleanup.js';
import { run, type RunOptions, type RunResult } from './run.js';

/** Prefix of every namespace we create; `ip netns list | grep bgpsc-` finds leftovers. */
export const NETNS_PREFIX = 'bgpsc-';

/**
 * A unique, short namespace name: `bgpsc-<tag>-<6 hex>`, tag cut to 6 chars.
 * Names are files in /run/netns; they are kept short anyway so they can also
 * be used to derive interface names.
 */
export function uniqueNetnsName(tag: string): string {
  const t = tag.replace(/[^a-z0-9]/gi, '').slice(0, 6).toLowerCase() || 'ns';
  return `${NETNS_PREFIX}${t}-${randomBytes(3).toString('hex')}`;
}

function isV6(cidr: string): boolean {
  return cidr.includes(':');
}

export class Netns {
  private deleted = false;

  private constructor(readonly name: string) {}

  /** Create a namespace with lo up and IPv6 enabled. `name` is used as is when given (lab), else derived from tag. */
  static async create(tag: string, o: { exactName?: string } = {}): Promise<Netns> {
    const name = o.exactName ?? uniqueNetnsName(tag);
    await run('ip', ['netns', 'add', name]);
    cleanup.addNetns(name);
    const ns = new Netns(name);
    await ns.ip(['link', 'set', 'lo', 'up']);
    // Namespaces inherit default sysctls; make sure IPv6 is on and forwarding is
    // available (the "vpc" router forwards between appliances and clients).
    await ns.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.default.disable_ipv6=0'], { allowFail: true });
    return ns;
  }

  /** `ip -n <ns> <args>` */
  ip(args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    return run('ip', ['-n', this.name, ...args], o);
  }

  /** Run a command inside the namespace and wait for it (bounded by o.timeoutMs, default 15 s). */
  exec(cmd: string, args: readonly string[] = [], o: RunOptions = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], o);
  }

  /**
   * Start a long-running process inside the namespace, in its own process
   * group (so signals reach its children), registered for cleanup.
   * `ip netns exec` execs the command in place: the pid is the command's.
   */
  spawn(cmd: string, args: readonly string[] = [], o: SpawnOptions = {}): ChildProcess {
    const proc = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...o,
      detached: true,
    });
    cleanup.addProcess(proc, true);
    proc.once('exit', () => cleanup.forgetProcess(proc));
    return proc;
  }

  /** Add an address; IPv6 addresses get `nodad` so they are usable at once. */
  async addAddress(ifname: string, cidr: string): Promise<void> {
    await this.ip(['addr', 'add', cidr, 'dev', ifname, ...(isV6(cidr) ? ['nodad'] : [])]);
  }

  async linkUp(ifname: string): Promise<void> {
    await this.ip(['link', 'set', ifname, 'up']);
  }

  /** Enable IPv4 and IPv6 forwarding inside the namespace. */
  async enableForwarding(): Promise<void> {
    await this.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  }

  /** `ip route show <dst>` (or `ip -6`), trimmed; empty string when there is no route. */
  async routeShow(dst: string, o: { table?: string; proto?: string; timeoutMs?: number } = {}): Promise<string> {
    const args = [...(isV6(dst) ? ['-6'] : []), 'route', 'show', dst];
    if (o.table) args.push('table', o.table);
    if (o.proto) args.push('proto', o.proto);
    return (await this.ip(args, o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {})).stdout.trim();
  }

  /** Pids of every process inside the namespace. */
  async pids(): Promise<number[]> {
    const r = await run('ip', ['netns', 'pids', this.name], { allowFail: true });
    return r.stdout.split(/\s+/).filter(Boolean).map(Number);
  }

  /** Kill whatever still runs inside and delete the namespace (and its veth ends). */
  destroy(): void {
    if (this.deleted) return;
    this.deleted = true;
    cleanup.forgetNetns(this.name);
    deleteNetnsSync(this.name);
  }
}

export interface VethEnd {
  ns: Netns;
  ifname: string;
  /** Addresses to add, e.g. ["10.255.1.1/24", "fd00:255:1::1/64"]. */
  addrs?: string[];
}

/**
 * A veth pair between two namespaces, created directly inside them (so the
 * same interface name can be reused in every namespace), addresses added,
 * both ends up. Interface names must be at most 15 characters.
 */
export async function veth(a: VethEnd, b: VethEnd): Promise<void> {
  for (const e of [a, b]) {
    if (e.ifname.length > 15 || !/^[\w.-]+$/.test(e.ifname)) throw new Error(`bad interface name ${JSON.stringify(e.ifname)}: at most 15 chars of [A-Za-z0-9_.-]`);
  }
  await a.ns.ip(['link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns.name]);
  for (const e of [a, b]) {
    for (const cidr of e.addrs ?? []) await e.ns.addAddress(e.ifname, cidr);
    await e.ns.linkUp(e.ifname);
  }
}

/** Namespaces named with our prefix (leftovers from a crashed run show up here). */
export async function listOurNetns(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => l.split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

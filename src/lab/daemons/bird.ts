/**
 * BIRD 2 in a namespace: `bird -f -c conf -s sock`, queried with `birdc -s sock`.
 * In the lab it plays the VPC Route Server: one BGP protocol per appliance,
 * passive (the endpoint never initiates), best path exported to the
 * namespace's kernel table (the "VPC route table").
 */
import { join } from 'node:path';
import type { Netns } from '../netns.js';
import { ManagedProcess } from '../process.js';
import { run, type RunResult } from '../run.js';
import { parseAsPath, readyWhen, singleProcessControls, workDir, writeConfig, type DaemonCommon, type DaemonHandle } from './base.js';

export interface BirdPeer {
  /** Protocol name in BIRD (letters, digits, underscore). */
  name: string;
  address: string;
  asn: number;
  /** Our (BIRD's) address for this session. */
  localAddress?: string;
  /** Hold time in seconds (keepalive = hold/3). Default 9. */
  holdTime?: number;
  /** Never connect out, like a VPC Route Server endpoint. Default true. */
  passive?: boolean;
  /** Families to negotiate; default both ipv4 and ipv6. */
  families?: ('ipv4' | 'ipv6')[];
  /** Routes BIRD announces to this peer: "all" or "none" (default none, like Route Server). */
  export?: 'all' | 'none';
  /** BFD on this session (issue 7); default off. */
  bfd?: boolean;
}

export interface BirdConfigOptions {
  routerId: string;
  localAsn: number;
  peers: BirdPeer[];
  /** Export the best paths into the namespace kernel table (default true). */
  kernelExport?: boolean;
  /** Static routes BIRD originates (for "peer sends us routes" tests), e.g. ["10.99.0.0/24"]. */
  staticV4?: string[];
  staticV6?: string[];
  /** Extra text appended verbatim. */
  extra?: string;
}

/** A BIRD 2 config for a route-server-like node with short, test-friendly timers. */
export function birdConfig(o: BirdConfigOptions): string {
  const kernel = o.kernelExport ?? true;
  const lines: string[] = [
    `router id ${o.routerId};`,
    'log stderr all;',
    'protocol device { scan time 10; }',
    'protocol direct { disabled; }',
  ];
  if (kernel) {
    // The kernel table of the namespace stands in for the VPC route table.
    lines.push('protocol kernel kernel4 { ipv4 { export all; import none; }; learn off; scan time 10; }');
    lines.push('protocol kernel kernel6 { ipv6 { export all; import none; }; learn off; scan time 10; }');
  }
  if (o.staticV4?.length) lines.push(`protocol static static4 { ipv4; ${o.staticV4.map((p) => `route ${p} blackhole;`).join(' ')} }`);
  if (o.staticV6?.length) lines.push(`protocol static static6 { ipv6; ${o.staticV6.map((p) => `route ${p} blackhole;`).join(' ')} }`);
  for (const p of o.peers) {
    if (!/^\w+$/.test(p.name)) throw new Error(`BIRD protocol name ${JSON.stringify(p.name)}: letters, digits, _ only`);
    const hold = p.holdTime ?? 9;
    const fams = p.families ?? ['ipv4', 'ipv6'];
    const exp = p.export ?? 'none';
    lines.push(`protocol bgp ${p.name} {`);
    lines.push(`  local ${p.localAddress ? `${p.localAddress} ` : ''}as ${o.localAsn};`);
    lines.push(`  neighbor ${p.address} as ${p.asn};`);
    if (p.passive ?? true) lines.push('  passive on;');
    lines.push(`  hold time ${hold}; keepalive time ${Math.max(1, Math.floor(hold / 3))};`);
    // Defaults are 5 s connect delay, 120 s connect retry, 60..300 s error wait:
    // far too slow for tests that restart peers.
    lines.push('  connect delay time 1; connect retry time 2; error wait time 1, 4; error forget time 10;');
    lines.push('  enable route refresh on;');
    if (p.bfd) lines.push('  bfd on;');
    for (const f of fams) {
      // IPv6 NLRI over the IPv4 session carry a global IPv6 next hop on the shared link.
      lines.push(`  ${f} { import all; export ${exp}; };`);
    }
    lines.push('}');
  }
  if (o.peers.some((p) => p.bfd)) lines.push('protocol bfd { }');
  if (o.extra) lines.push(o.extra);
  return `${lines.join('\n')}\n`;
}

export interface BirdProtocol {
  name: string;
  proto: string;
  table: string;
  state: string;
  since: string;
  /** "Established", "Active", "Connect", "Idle" ... */
  info: string;
}

export interface BirdRoute {
  prefix: string;
  /** Protocol the route came from. */
  protocol: string;
  /** Whether BIRD marked it as the best (`*`). */
  best: boolean;
  asPath: number[];
  nextHop?: string;
  med?: number;
  communities: string[];
  largeCommunities: string[];
  /** The route's block of `show route all` output. */
  raw: string;
}

export interface BirdOptions extends DaemonCommon {
  config: string;
}

export interface BirdHandle extends DaemonHandle {
  readonly socket: string;
  readonly configPath: string;
  birdc(...args: string[]): Promise<RunResult>;
  protocols(): Promise<BirdProtocol[]>;
  /** BGP state of one protocol ("Established" when up). */
  protocolInfo(name: string): Promise<string>;
  /** Routes for a prefix (all paths, best first), from `show route <prefix> all`. */
  routes(prefix: string, o?: { table?: string }): Promise<BirdRoute[]>;
  /** The best path for a prefix, or undefined. */
  best(prefix: string): Promise<BirdRoute | undefined>;
  /** Number of routes imported from a protocol (`show route protocol X count`). */
  routeCount(protocol: string): Promise<number>;
  /** Ask the peer to resend (ROUTE-REFRESH): `birdc reload in <protocol>`. */
  reloadIn(protocol: string): Promise<void>;
  /** Replace the config and `birdc configure`. */
  reconfigure(config: string): Promise<void>;
}

/** Split `show route ... all` output into per-route blocks and parse the BGP attributes. */
export function parseBirdRoutes(text: string): BirdRoute[] {
  const routes: BirdRoute[] = [];
  let prefix = '';
  let cur: BirdRoute | undefined;
  for (const line of text.split('\n')) {
    if (/^(BIRD .* ready\.|Table \S+:|\s*$)/.test(line)) continue;
    // Route head: "<prefix>   unicast [proto time] * (100) [AS65001i]" or a continuation
    // "                     unicast [proto2 time] (100) [AS...]" (same prefix, other path).
    const head = /^(\S+)?\s+(?:unicast|blackhole|unreachable|prohibit)\s+\[(\S+)[^\]]*\]\s*(\*)?/.exec(line);
    if (head && (head[1] !== undefined || /^\s+\w/.test(line))) {
      if (head[1]) prefix = head[1];
      cur = { prefix, protocol: head[2] ?? '', best: head[3] === '*', asPath: [], communities: [], largeCommunities: [], raw: line };
      routes.push(cur);
      continue;
    }
    if (!cur) continue;
    cur.raw += `\n${line}`;
    const via = /^\s+via (\S+) on /.exec(line);
    if (via) cur.nextHop = via[1];
    const attr = /^\s+BGP\.(\w+):\s*(.*)$/.exec(line);
    if (!attr) continue;
    const [, key, value = ''] = attr;
    if (key === 'as_path') cur.asPath = parseAsPath(value);
    else if (key === 'next_hop' && !cur.nextHop) cur.nextHop = value.split(/\s+/)[0];
    else if (key === 'med') cur.med = Number(value);
    else if (key === 'community') cur.communities = [...value.matchAll(/\((\d+),(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
    else if (key === 'large_community') cur.largeCommunities = [...value.matchAll(/\((\d+), (\d+), (\d+)\)/g)].map((m) => `${m[1]}:${m[2]}:${m[3]}`);
  }
  return routes;
}

export function parseBirdProtocols(text: string): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  for (const line of text.split('\n')) {
    if (/^(BIRD|Name\s)/.test(line) || !line.trim()) continue;
    // Columns: Name Proto Table State Since Info; Since is "11:10:01.835" or "2026-11-21 11:10:01".
    const tok = line.trim().split(/\s+/);
    if (tok.length < 5) continue;
    const [name = '', proto = '', table = '', state = ''] = tok;
    let since = tok[4] ?? '';
    let rest = tok.slice(5);
    if (/^\d{4}-\d\d-\d\d$/.test(since) && rest[0] && /^\d\d:\d\d/.test(rest[0])) {
      since = `${since} ${rest[0]}`;
      rest = rest.slice(1);
    }
    out.push({ name, proto, table, state, since, info: rest.join(' ') });
  }
  return out;
}

export async function startBird(o: BirdOptions): Promise<BirdHandle> {
  const dir = workDir('bird', o.dir);
  const configPath = writeConfig(dir, 'bird.conf', o.config);
  const socket = join(dir, 'bird.ctl');
  const ns: Netns = o.ns;
  // Validate first: a config error is reported as such, not as "did not start".
  const check = await ns.exec('bird', ['-p', '-c', configPath], { allowFail: true });
  if (check.code !== 0) throw new Error(`BIRD config ${configPath} rejected: ${(check.stderr || check.stdout).trim()}`);
  const main = new ManagedProcess({
    name: `bird@${ns.name}`,
    netns: ns,
    cmd: 'bird',
    args: ['-f', '-c', configPath, '-s', socket, '-P', join(dir, 'bird.pid')],
    logFile: join(dir, 'bird.log'),
  });
  const birdc = (...args: string[]) => run('birdc', ['-s', socket, ...args], { timeoutMs: 30_000 });
  const ready = readyWhen(
    main,
    async () => (await run('birdc', ['-s', socket, 'show', 'status'], { allowFail: true, timeoutMs: 3000 })).stdout.includes('Daemon is up'),
    { timeoutMs: o.readyTimeoutMs ?? 10_000, intervalMs: 100, what: `BIRD in ${ns.name} to answer on ${socket}` },
  );
  main.start();
  await ready();
  const handle: BirdHandle = {
    kind: 'bird',
    ns,
    dir,
    main,
    socket,
    configPath,
    birdc,
    ...singleProcessControls(main, ready),
    async protocols() {
      return parseBirdProtocols((await birdc('show', 'protocols')).stdout);
    },
    async protocolInfo(name) {
      const p = (await handle.protocols()).find((x) => x.name === name);
      if (!p) throw new Error(`BIRD has no protocol ${name}`);
      return p.info.split(/\s+/)[0] ?? '';
    },
    async routes(prefix, ro = {}) {
      // "show route <prefix>" is an exact-prefix match ("for <addr>" would be longest match).
      const args = ['-s', socket, 'show', 'route', prefix, ...(ro.table ? ['table', ro.table] : []), 'all'];
      const r = await run('birdc', args, { allowFail: true, timeoutMs: 30_000 });
      // birdc exits 1 with "Network not found" when there is no route: that is an answer.
      if (r.code !== 0 && !/Network not found/.test(r.stdout)) throw new Error(`birdc ${args.slice(2).join(' ')}: exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`);
      const out = r.stdout;
      return parseBirdRoutes(out).filter((r) => r.prefix === prefix);
    },
    async best(prefix) {
      return (await handle.routes(prefix)).find((r) => r.best);
    },
    async routeCount(protocol) {
      const out = (await birdc('show', 'route', 'protocol', protocol, 'count')).stdout;
      const m = /(\d+) of (\d+) routes/.exec(out) ?? /(\d+) routes/.exec(out);
      return m ? Number(m[1]) : 0;
    },
    async reloadIn(protocol) {
      const r = await birdc('reload', 'in', protocol);
      if (!/reload|Reload/.test(r.stdout)) throw new Error(`birdc reload in ${protocol}: ${r.stdout.trim()}`);
    },
    async reconfigure(config) {
      writeConfig(dir, 'bird.conf', config);
      const r = await birdc('configure');
      if (!/Reconfigur|Reconfiguration in progress|Reconfigured/.test(r.stdout)) throw new Error(`birdc configure: ${r.stdout.trim()}`);
    },
  };
  return handle;
}

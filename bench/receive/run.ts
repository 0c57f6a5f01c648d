/**
 * Receiving a full IPv4 table (issue 7): one BIRD sender announces N prefixes
 * (default 1,000,000) to three receivers, one after the other, in the same
 * run and over the same link:
 *   - our daemon (`node dist/src/cli/main.js run --config`, no max-prefixes;
 *     src/speaker/adj-rib-in.ts keeps every IPv4 prefix as a numeric key and
 *     attributes for the first 10,000 only),
 *   - BIRD 2 (import all into its table, no kernel protocol),
 *   - GoBGP (global RIB).
 * For each: time from process start and from Established until its count of
 * received prefixes reaches N (ours: status `receivedPrefixes`; BIRD:
 * `show protocols all` "imported"; GoBGP: `global rib summary` paths), polled
 * every 100 ms (GoBGP: every 1 s, as each query runs the `gobgp` CLI, a Go
 * program that costs the 2-CPU machine real CPU). "Established" is the sender's: the Since time (ms) of its BGP
 * protocol toward that receiver, so it is the same clock for all three.
 * Peak memory is VmHWM of the receiving process; CPU is utime+stime of the
 * receiver from its start to the full count, and of the sender over the same
 * time (is the sender the limit?).
 *
 * The table: /24s from 16.0.0.0 up, generated into the sender's config as
 * static routes; every --per-path consecutive prefixes share one large
 * community (65000:k:1), so the sender packs them into one UPDATE group, as a
 * real table has many distinct attribute sets (1 = one UPDATE per prefix;
 * N = a single attribute set, about 1,000 prefixes per UPDATE).
 *
 *   npm run bench:receive                        # 1,000,000 prefixes
 *   node dist/bench/receive/run.js --prefixes 100000 --per-path 4
 */
import { join } from 'node:path';
import { cleanup, tempDir } from '../../src/lab/cleanup.js';
import { startBird, type BirdHandle } from '../../src/lab/daemons/bird.js';
import { gobgpConfig, startGobgp, type GobgpHandle } from '../../src/lab/daemons/gobgp.js';
import { writeConfig } from '../../src/lab/daemons/base.js';
import { Netns, veth } from '../../src/lab/netns.js';
import { ManagedProcess } from '../../src/lab/process.js';
import { haveCommand, run, sleep, waitFor } from '../../src/lab/run.js';
import { checkFlags, intFlag } from '../lib/args.js';
import { startDaemon, type BenchDaemon } from '../lib/daemon.js';
import { printMachine } from '../lib/machine-info.js';
import { cpuSeconds, memory, mib, processTree } from '../lib/proc-stats.js';

const USAGE =
  'usage: node dist/bench/receive/run.js [--prefixes 1..2000000 (default 1000000)] [--per-path 1..2000000 (default 4)] [--timeout-s 10..3600 (default 900, per receiver)] [--only ours|bird|gobgp]';
const argv = process.argv.slice(2);
checkFlags(argv, ['prefixes', 'per-path', 'timeout-s', 'only'], USAGE);
const N = intFlag(argv, 'prefixes', 1_000_000, 1, 2_000_000, USAGE);
const perPath = intFlag(argv, 'per-path', 4, 1, 2_000_000, USAGE);
const timeoutS = intFlag(argv, 'timeout-s', 900, 10, 3600, USAGE);
const oi = argv.indexOf('--only');
const only = oi >= 0 ? argv[oi + 1] : undefined;
if (only !== undefined && !['ours', 'bird', 'gobgp'].includes(only)) {
  console.error(USAGE);
  process.exit(2);
}

const SENDER_ASN = 65000;
const RECEIVER_ASN = 65001;
const SENDER = '10.78.0.1';
const RX = { ours: '10.78.0.2', bird: '10.78.0.3', gobgp: '10.78.0.4' } as const;
/** Stop waiting when the count has not moved for this long. */
const STALL_MS = 120_000;

function senderConfig(): string {
  const l = [`router id ${SENDER};`, 'log stderr { warning, error, fatal };', 'protocol device { scan time 10; }', 'protocol static table1 {', '  ipv4;'];
  const base = 16 * 2 ** 24;
  for (let i = 0; i < N; i++) {
    const a = base + i * 256;
    const net = `${Math.floor(a / 2 ** 24)}.${Math.floor(a / 2 ** 16) % 256}.${Math.floor(a / 256) % 256}.0/24`;
    l.push(perPath >= N ? `  route ${net} blackhole;` : `  route ${net} blackhole { bgp_large_community.add((${SENDER_ASN}, ${Math.floor(i / perPath)}, 1)); };`);
  }
  l.push('}');
  for (const [name, addr] of Object.entries(RX)) {
    l.push(
      `protocol bgp to_${name} {`,
      `  local ${SENDER} as ${SENDER_ASN}; neighbor ${addr} as ${RECEIVER_ASN};`,
      '  passive on; hold time 90; keepalive time 30; error wait time 1, 4;',
      '  ipv4 { import none; export all; };',
      '}',
    );
  }
  return `${l.join('\n')}\n`;
}

const importedOf = (text: string): number => Number(/Routes:\s+(\d+) imported/.exec(text)?.[1] ?? 0);

/** The sender BIRD, started by hand: its config check and table load take longer than the lab's defaults allow. */
interface Sender {
  proc: ManagedProcess;
  birdc: (...a: string[]) => Promise<string>;
}

/** Wall time (Date.now() scale) a `HH:MM:SS.mmm` Since column of `birdc show protocols` stands for (local time, today). */
export function birdSinceToWall(since: string, now = Date.now()): number | undefined {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?$/.exec(since);
  if (!m) return undefined;
  const d = new Date(now);
  d.setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number((m[4] ?? '0').padEnd(3, '0')));
  // Just after midnight, a time of "late yesterday" reads as later than now.
  return d.getTime() > now + 60_000 ? d.getTime() - 86_400_000 : d.getTime();
}

/** When the sender's session toward `name` last became Established (wall ms), if it is up. */
async function senderEstablishedAt(sender: Sender, name: string): Promise<number | undefined> {
  const out = await sender.birdc('show', 'protocols', `to_${name}`);
  const line = out.split('\n').find((l) => l.startsWith(`to_${name} `));
  const tok = line?.trim().split(/\s+/) ?? [];
  // Name Proto Table State Since Info...
  if (tok[3] !== 'up' || !tok.slice(5).join(' ').startsWith('Established')) return undefined;
  return birdSinceToWall(tok[4] ?? '');
}

async function startSender(ns: Netns, dir: string): Promise<Sender> {
  const path = writeConfig(dir, 'sender.conf', senderConfig());
  const sock = join(dir, 'sender.ctl');
  const proc = new ManagedProcess({ name: 'bird-sender', netns: ns, cmd: 'bird', args: ['-f', '-c', path, '-s', sock, '-P', join(dir, 'sender.pid')], logFile: join(dir, 'sender.log') });
  proc.start();
  const birdc = async (...a: string[]) => (await run('birdc', ['-s', sock, ...a], { allowFail: true, timeoutMs: 30_000 })).stdout;
  await waitFor(
    async () => {
      proc.assertRunning();
      return importedOf(await birdc('show', 'protocols', 'all', 'table1')) >= N;
    },
    { timeoutMs: 600_000, intervalMs: 500, what: `the sender BIRD to load ${N} static routes` },
  );
  return { proc, birdc };
}

interface Probe {
  name: string;
  pid: () => number | undefined;
  alive: () => void;
  /** Session Established, and how many prefixes are in the receiver's table. */
  poll: () => Promise<{ established: boolean; count: number }>;
  /** Extra figures after the load (UPDATE count...). */
  extra?: () => Promise<string>;
  /** Poll interval once Established, ms (a query costs the receiver, and the CLI costs the machine). */
  intervalMs: number;
}

interface Measured {
  name: string;
  /** Date.now() when the count was first seen at N. */
  doneWall: number;
  fromStartS: number;
  fromEstablishedS: number;
  hwmKiB: number;
  rssAfterKiB: number;
  /** utime+stime of the receiver (process tree) from its start to the full count. */
  cpuS: number;
  /** utime+stime of the sender BIRD over the same time. */
  senderCpuS: number;
  extra: string;
}

const treeCpu = (pid: number): number => processTree(pid).reduce((a, p) => a + cpuSeconds(p), 0);

async function measure(p: Probe, startedAt: number, senderPid: number): Promise<Measured> {
  const deadline = startedAt + timeoutS * 1000;
  const sender0 = cpuSeconds(senderPid);
  let establishedAt: number | undefined;
  let count = 0;
  let lastMoveAt = performance.now();
  for (;;) {
    p.alive();
    const now = performance.now();
    if (now > deadline) throw new Error(`${p.name}: ${count} of ${N} prefixes after ${timeoutS} s`);
    if (now - lastMoveAt > STALL_MS) throw new Error(`${p.name}: stuck at ${count} of ${N} prefixes for ${STALL_MS / 1000} s`);
    let st: { established: boolean; count: number };
    try {
      st = await p.poll();
    } catch {
      // A busy receiver may not answer a query in time; that is what is measured, keep polling.
      await sleep(200);
      continue;
    }
    const at = performance.now();
    if (st.established && establishedAt === undefined) establishedAt = at;
    if (st.count !== count) lastMoveAt = at;
    count = st.count;
    if (count >= N && establishedAt !== undefined) {
      const pid = p.pid();
      const hwm = pid !== undefined ? memory(pid).hwm : NaN;
      const cpuS = pid !== undefined ? treeCpu(pid) : NaN;
      const senderCpuS = cpuSeconds(senderPid) - sender0;
      await sleep(2000);
      const rss = pid !== undefined ? memory(pid).rss : NaN;
      return {
        name: p.name,
        doneWall: Date.now() - (performance.now() - at),
        fromStartS: (at - startedAt) / 1000,
        fromEstablishedS: (at - establishedAt) / 1000,
        hwmKiB: hwm,
        rssAfterKiB: rss,
        cpuS,
        senderCpuS,
        extra: p.extra ? await p.extra() : '',
      };
    }
    await sleep(establishedAt === undefined ? 50 : p.intervalMs);
  }
}

/** measure(), then "from Established" taken from the sender's clock (the receiver is still up). */
async function measureWithSender(sender: Sender, key: string, p: Probe, startedAt: number): Promise<Measured> {
  const m = await measure(p, startedAt, sender.proc.pid!);
  const est = await senderEstablishedAt(sender, key);
  if (est === undefined) throw new Error(`${p.name}: the sender's session is not Established after the load (it flapped?)`);
  return { ...m, fromEstablishedS: (m.doneWall - est) / 1000 };
}

async function receiveOurs(ns: Netns, dir: string, sender: Sender): Promise<Measured> {
  const startedAt = performance.now();
  let d: BenchDaemon | undefined;
  try {
    d = startDaemon({
      ns,
      dir,
      name: 'rx',
      config: {
        'local-asn': RECEIVER_ASN,
        'router-id': RX.ours,
        prefixes: ['172.16.1.1/32'],
        peers: [{ address: SENDER, asn: SENDER_ASN, 'local-address': RX.ours, 'hold-time': 90 }],
        'log-level': 'info',
      },
    });
    const daemon = d;
    const peer = async () => {
      const p = (await daemon.status(5000)).peers[0];
      if (!p) throw new Error('no peer in status');
      return p;
    };
    return await measureWithSender(sender, 'ours',
      {
        name: 'bgp-sidecar',
        intervalMs: 100,
        pid: () => daemon.pid,
        alive: () => daemon.proc.assertRunning(),
        poll: async () => {
          const p = await peer();
          return { established: p.state.toLowerCase() === 'established', count: p.receivedPrefixes ?? 0 };
        },
        extra: async () => {
          const p = await peer();
          return `${p.updatesReceived ?? '?'} UPDATEs received${p.receivedCountOnly ? ', count only (past the key limit)' : ''}`;
        },
      },
      startedAt,
    );
  } finally {
    await d?.stop();
  }
}

async function receiveBird(ns: Netns, sender: Sender): Promise<Measured> {
  const startedAt = performance.now();
  let bird: BirdHandle | undefined;
  try {
    bird = await startBird({
      ns,
      readyTimeoutMs: 30_000,
      config: [
        `router id ${RX.bird};`,
        'log stderr { warning, error, fatal };',
        'protocol device { scan time 10; }',
        'protocol bgp from_snd {',
        `  local ${RX.bird} as ${RECEIVER_ASN}; neighbor ${SENDER} as ${SENDER_ASN};`,
        '  hold time 90; keepalive time 30; connect delay time 1; connect retry time 2;',
        '  ipv4 { import all; export none; };',
        '}',
        '',
      ].join('\n'),
    });
    const b = bird;
    return await measureWithSender(sender, 'bird',
      {
        name: 'BIRD 2',
        intervalMs: 100,
        pid: () => b.main.pid,
        alive: () => b.main.assertRunning(),
        poll: async () => {
          const out = (await b.birdc('show', 'protocols', 'all', 'from_snd')).stdout;
          return { established: /BGP state:\s+Established/.test(out), count: importedOf(out) };
        },
      },
      startedAt,
    );
  } finally {
    await bird?.stop();
  }
}

async function receiveGobgp(ns: Netns, sender: Sender): Promise<Measured> {
  const startedAt = performance.now();
  let g: GobgpHandle | undefined;
  try {
    g = await startGobgp({
      ns,
      readyTimeoutMs: 30_000,
      config: gobgpConfig({
        asn: RECEIVER_ASN,
        routerId: RX.gobgp,
        port: -1,
        neighbors: [{ address: SENDER, asn: SENDER_ASN, holdTime: 90, localAddress: RX.gobgp, families: ['ipv4-unicast'] }],
      }),
    });
    const h = g;
    let up = false;
    return await measureWithSender(sender, 'gobgp',
      {
        name: 'GoBGP',
        intervalMs: 1000,
        pid: () => h.main.pid,
        alive: () => h.main.assertRunning(),
        poll: async () => {
          // Once Established, only the RIB count is queried (one CLI run per poll).
          if (!up) up = (await h.neighborState(SENDER)) === 'established';
          if (!up) return { established: false, count: 0 };
          const summary = await h.gobgp('global', 'rib', 'summary', '-a', 'ipv4');
          return { established: true, count: Number(/Path: (\d+)/.exec(summary.stdout)?.[1] ?? 0) };
        },
      },
      startedAt,
    );
  } finally {
    await g?.stop();
  }
}

for (const c of ['ip', 'bird', 'birdc', 'gobgpd', 'gobgp']) {
  if (!(await haveCommand(c))) {
    console.error(`bench:receive needs ${c} (apt-get install iproute2 bird2 gobgpd)`);
    process.exit(2);
  }
}
if (process.getuid?.() !== 0) {
  console.error('bench:receive needs root (network namespaces)');
  process.exit(2);
}

printMachine('machine (start)');
console.log(`bench:receive: ${N} IPv4 /24 prefixes from one BIRD sender, ${perPath} prefixes per attribute set, receivers one after the other`);
const results: Measured[] = [];
const failures: string[] = [];
try {
  const dir = tempDir('bench-rx');
  const snd = await Netns.create('rxsnd');
  const rcv = await Netns.create('rxrcv');
  await veth({ ns: snd, ifname: 's0', addrs: [`${SENDER}/24`] }, { ns: rcv, ifname: 'r0', addrs: Object.values(RX).map((a) => `${a}/24`) });
  const t0 = performance.now();
  const sender = await startSender(snd, dir);
  console.log(`sender: ${N} routes loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s, BIRD RSS ${mib(memory(sender.proc.pid!).rss)} MiB`);
  const runs: [string, (s: Sender) => Promise<Measured>][] = [
    ['ours', (s) => receiveOurs(rcv, dir, s)],
    ['bird', (s) => receiveBird(rcv, s)],
    ['gobgp', (s) => receiveGobgp(rcv, s)],
  ];
  for (const [key, fn] of runs) {
    if (only && only !== key) continue;
    let r: Measured;
    try {
      r = await fn(sender);
    } catch (e) {
      // One receiver failing (timeout, stall, crash) is a result too; the others still run.
      console.log(`${key.padEnd(12)} did not finish: ${(e as Error).message.split('\n')[0]}`);
      failures.push(`${key}: ${(e as Error).message.split('\n')[0]}`);
      await sleep(1000);
      continue;
    }
    results.push(r);
    console.log(
      `${r.name.padEnd(12)} all ${N} received ${r.fromEstablishedS.toFixed(1).padStart(6)} s after Established (${r.fromStartS.toFixed(1)} s after process start)   ` +
        `peak RSS (VmHWM) ${mib(r.hwmKiB).padStart(7)} MiB   RSS 2 s later ${mib(r.rssAfterKiB)} MiB   ` +
        `CPU ${r.cpuS.toFixed(1)} s (sender ${r.senderCpuS.toFixed(1)} s = ${((r.senderCpuS / r.fromStartS) * 100).toFixed(0)} % of a core)${r.extra ? `   ${r.extra}` : ''}`,
    );
    // Let the sender notice the session is gone before the next receiver.
    await sleep(1000);
  }
} finally {
  await cleanup.cleanup();
}
console.log('');
console.log('receiver      from Established   from start   peak RSS      receiver CPU   sender CPU');
for (const r of results) {
  console.log(
    `${r.name.padEnd(12)}  ${`${r.fromEstablishedS.toFixed(1)} s`.padStart(16)}   ${`${r.fromStartS.toFixed(1)} s`.padStart(10)}   ${mib(r.hwmKiB).padStart(7)} MiB   ` +
      `${`${r.cpuS.toFixed(1)} s`.padStart(12)}   ${`${r.senderCpuS.toFixed(1)} s`.padStart(10)}`,
  );
}
for (const f of failures) console.log(`did not finish: ${f}`);
printMachine('machine (end)');
if (failures.length) process.exitCode = 1;

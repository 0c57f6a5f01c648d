/**
 * Idle cost of the daemon with real BGP + BFD sessions (issue 7):
 *   - 2 peers, BGP only (baseline)
 *   - 2 peers, BFD 300 ms x 3
 *   - 20 peers, BFD 100 ms x 3
 * Our daemon (`node dist/src/cli/main.js run --config`) runs in one network
 * namespace, BIRD plays the route server in another: one BIRD holds every BGP
 * protocol and BFD session, on 20 addresses of one veth (10.77.0.101..120);
 * our side has 20 addresses too (10.77.0.1..20), one per session: with one
 * address on our side, BIRD 2.0.12 closed every session after the first
 * (it matches an incoming connection by its remote address, whatever
 * `local` says). Once every session is Established and every BFD session Up, and after a settle time, CPU is utime+stime over the
 * window of the daemon process and of its BFD worker (a forked child process,
 * src/io/bfd-manager.ts), each and summed; RSS (VmRSS of /proc/<pid>/status)
 * likewise. BIRD's CPU in the same window is printed too.
 * The daemon is not queried during the window (a status call costs CPU); the
 * state-change times of every session are compared before and after instead,
 * so a flap during the window fails the run.
 *
 *   npm run bench:peers-cpu                      # 30 s windows
 *   node dist/bench/peers-cpu/run.js --seconds 10
 */
import { Netns, veth } from '../../src/lab/netns.js';
import { cleanup, tempDir } from '../../src/lab/cleanup.js';
import { startBird, type BirdHandle } from '../../src/lab/daemons/bird.js';
import { haveCommand, sleep, waitFor } from '../../src/lab/run.js';
import { checkFlags, intFlag } from '../lib/args.js';
import { startDaemon, type BenchDaemon, type DaemonStatus } from '../lib/daemon.js';
import { printMachine } from '../lib/machine-info.js';
import { mib, sampleTree, cpuSeconds, type TreeSample } from '../lib/proc-stats.js';

const USAGE = 'usage: node dist/bench/peers-cpu/run.js [--seconds 5..600 (default 30)] [--settle 0..120 (default 5)]';
const argv = process.argv.slice(2);
checkFlags(argv, ['seconds', 'settle'], USAGE);
const seconds = intFlag(argv, 'seconds', 30, 5, 600, USAGE);
const settle = intFlag(argv, 'settle', 5, 0, 120, USAGE);

const OUR_ASN = 65001;
const RS_ASN = 65000;
const ourAddr = (i: number) => `10.77.0.${1 + i}`;
const rsAddr = (i: number) => `10.77.0.${101 + i}`;

interface Scenario {
  name: string;
  peers: number;
  bfd?: { intervalMs: number; multiplier: number };
}

const SCENARIOS: Scenario[] = [
  { name: '2 peers, no BFD', peers: 2 },
  { name: '2 peers, BFD 300 ms x 3', peers: 2, bfd: { intervalMs: 300, multiplier: 3 } },
  { name: '20 peers, BFD 100 ms x 3', peers: 20, bfd: { intervalMs: 100, multiplier: 3 } },
];

function birdConf(s: Scenario): string {
  const l = [`router id ${rsAddr(0)};`, 'log stderr { warning, error, fatal };', 'protocol device { scan time 10; }'];
  if (s.bfd) {
    l.push(`protocol bfd { interface "*" { min rx interval ${s.bfd.intervalMs} ms; min tx interval ${s.bfd.intervalMs} ms; multiplier ${s.bfd.multiplier}; }; }`);
  }
  for (let i = 0; i < s.peers; i++) {
    l.push(
      `protocol bgp p${i} {`,
      `  local ${rsAddr(i)} as ${RS_ASN}; neighbor ${ourAddr(i)} as ${OUR_ASN};`,
      // Like a VPC Route Server endpoint: never connects, sends no routes.
      '  passive on; hold time 90; keepalive time 30; connect delay time 1; error wait time 1, 4;',
      `  bfd ${s.bfd ? 'on' : 'off'};`,
      '  ipv4 { import all; export none; };',
      '}',
    );
  }
  return `${l.join('\n')}\n`;
}

function daemonConfig(s: Scenario): Record<string, unknown> {
  return {
    'local-asn': OUR_ASN,
    'router-id': ourAddr(0),
    prefixes: ['172.16.1.1/32'],
    peers: Array.from({ length: s.peers }, (_, i) => ({
      address: rsAddr(i),
      asn: RS_ASN,
      'local-address': ourAddr(i),
      'hold-time': 90,
      ...(s.bfd ? { bfd: { 'min-tx-ms': s.bfd.intervalMs, 'min-rx-ms': s.bfd.intervalMs, multiplier: s.bfd.multiplier } } : {}),
    })),
    'log-level': 'info',
  };
}

/** Every session's state and state-change time; equal before and after the window = no flap. */
function fingerprint(st: DaemonStatus): string {
  return JSON.stringify(st.peers.map((p) => [p.address, p.state, (p as { since?: string }).since, p.bfd ? [p.bfd.state, (p.bfd as { since?: string }).since] : null]));
}

function allUp(st: DaemonStatus, s: Scenario): boolean {
  return st.peers.length === s.peers && st.peers.every((p) => p.state.toLowerCase() === 'established' && (!s.bfd || p.bfd?.state === 'up'));
}

/** `birdc show bfd sessions`: count per (state, tx interval, detection timeout), e.g. "20 Up 0.100/0.300 s". */
async function birdBfdSummary(bird: BirdHandle): Promise<string> {
  const out = (await bird.birdc('show', 'bfd', 'sessions')).stdout;
  const counts = new Map<string, number>();
  for (const line of out.split('\n')) {
    const tok = line.trim().split(/\s+/);
    // IP address, Interface, State, Since, Interval, Timeout
    if (tok.length < 6 || !/^\d+\.\d+\.\d+\.\d+$/.test(tok[0] ?? '')) continue;
    const k = `${tok[2]} ${tok[tok.length - 2]}/${tok[tok.length - 1]} s`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no BFD sessions in BIRD';
}

interface Result {
  scenario: Scenario;
  /** BIRD's view of the BFD sessions: "n x interval/timeout" (checks the negotiated rate). */
  birdBfd: string;
  sample: TreeSample;
  birdCpuPct: number;
  upAfterMs: number;
}

async function runScenario(s: Scenario): Promise<Result> {
  const dir = tempDir('bench-cpu');
  const us = await Netns.create('cpuus');
  const rs = await Netns.create('cpurs');
  let bird: BirdHandle | undefined;
  let d: BenchDaemon | undefined;
  try {
    await veth({ ns: us, ifname: 'us0', addrs: Array.from({ length: s.peers }, (_, i) => `${ourAddr(i)}/24`) }, { ns: rs, ifname: 'rs0', addrs: Array.from({ length: s.peers }, (_, i) => `${rsAddr(i)}/24`) });
    bird = await startBird({ ns: rs, config: birdConf(s) });
    const t0 = performance.now();
    d = startDaemon({ ns: us, dir, name: 'cpu', config: daemonConfig(s) });
    const daemon = d;
    await waitFor(async () => allUp(await daemon.status(5000), s), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: `${s.name}: every session Established${s.bfd ? ' and BFD Up' : ''}`,
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n--- daemon:\n${daemon.proc.tail(20)}\n--- bird:\n${bird?.logs().slice(-2000)}`);
    });
    const upAfterMs = performance.now() - t0;
    await sleep(settle * 1000);
    const before = fingerprint(await daemon.status());
    const birdPid = bird.main.pid;
    const b0 = birdPid !== undefined ? cpuSeconds(birdPid) : 0;
    const w0 = performance.now();
    const sample = await sampleTree(daemon.pid, seconds, () => daemon.proc.assertRunning());
    const birdCpuPct = birdPid !== undefined ? ((cpuSeconds(birdPid) - b0) / ((performance.now() - w0) / 1000)) * 100 : NaN;
    const after = await daemon.status();
    if (!allUp(after, s) || fingerprint(after) !== before) {
      throw new Error(`${s.name}: a session changed state during the window:\nbefore ${before}\nafter  ${fingerprint(after)}`);
    }
    return { scenario: s, birdBfd: s.bfd ? await birdBfdSummary(bird) : '', sample, birdCpuPct, upAfterMs };
  } finally {
    await d?.stop();
    await bird?.stop();
    us.destroy();
    rs.destroy();
  }
}

for (const c of ['ip', 'bird', 'birdc', 'getconf']) {
  if (!(await haveCommand(c))) {
    console.error(`bench:peers-cpu needs ${c} (apt-get install iproute2 bird2)`);
    process.exit(2);
  }
}
if (process.getuid?.() !== 0) {
  console.error('bench:peers-cpu needs root (network namespaces)');
  process.exit(2);
}

printMachine('machine (start)');
console.log(`bench:peers-cpu: daemon idle with real sessions to BIRD (one BIRD, all sessions); window ${seconds} s after ${settle} s settle`);
const results: Result[] = [];
try {
  for (const s of SCENARIOS) {
    const r = await runScenario(s);
    results.push(r);
    const pct = (x: number) => `${x.toFixed(2).padStart(5)} %`;
    const [main, ...rest] = r.sample.processes;
    const parts = [main ? `main ${pct(main.percentOfOneCore)} / ${mib(main.memory.rss)} MiB` : ''];
    for (const p of rest) parts.push(`${/bfd-worker/.test(p.command) ? 'bfd-worker' : `pid ${p.pid}`} ${pct(p.percentOfOneCore)} / ${mib(p.memory.rss)} MiB`);
    console.log(
      `${s.name.padEnd(25)} CPU ${pct(r.sample.percentOfOneCore)} of one core, RSS ${mib(r.sample.rssKiB).padStart(6)} MiB  ` +
        `(${parts.join('; ')})  BIRD CPU ${pct(r.birdCpuPct)}  all up ${(r.upAfterMs / 1000).toFixed(1)} s after start` +
        (r.birdBfd ? `  BIRD BFD: ${r.birdBfd} (interval/timeout)` : ''),
    );
  }
} finally {
  await cleanup.cleanup();
}
printMachine('machine (end)');

/**
 * BFD under load: our BFD and FRR's bfdd, peered with each other at 50 ms x 3 across a veth,
 * with both CPU cores saturated by busy-loop processes and our main thread stalled for 500 ms
 * every few seconds. Counts false Down events on both sides and prints the distribution of the
 * actual transmit intervals of each side, measured on the wire (tshark on each side's egress).
 *
 *   node --import tsx bench/bfd/run.ts [--duration 10m] [--interval-ms 50] [--mult 3]
 *        [--stall-ms 500] [--stall-every-ms 3000] [--hogs 2] [--rt 10] [--json out.json]
 *
 * Needs root, ip, tshark, FRR (zebra, bfdd, bgpd).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { cleanup, waitFor, sleep, Netns, veth, missingPrerequisites } from '../../test/lib/netns.js';
import { startFrr, FRR_LIBEXEC, type FrrHandle } from '../../test/lib/daemons.js';
import { startOurBfd } from '../../test/bfd/lib/ours.js';

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}: use e.g. 90s, 10m`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'ms' ? 1 : 1000);
}

const DURATION_MS = duration(flag('duration', '10m'));
const INTERVAL = Number(flag('interval-ms', '50'));
const MULT = Number(flag('mult', '3'));
const STALL_MS = Number(flag('stall-ms', '500'));
const STALL_EVERY = Number(flag('stall-every-ms', '3000'));
const HOGS = Number(flag('hogs', String(cpus().length)));
const JSON_OUT = flag('json', '');
/** SCHED_FIFO priority for our worker (BfdManager workerRealtime, default 10); 0 = SCHED_OTHER (nice -10 only). */
const RT = Number(flag('rt', '10'));
process.env.BFD_NODE_RT = String(RT);
const OURS = '10.81.0.1', PEER = '10.81.0.2';

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Figures {
  packets: number;
  min: number; p1: number; p50: number; p99: number; p999: number; max: number; mean: number;
  buckets: Record<string, number>;
  gapsOverDetection: number;
}

function figures(times: number[], detectMs: number): Figures {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  const s = [...gaps].sort((a, b) => a - b);
  const edges = [0, 0.75 * INTERVAL - 0.5, INTERVAL + 0.5, 1.5 * INTERVAL, 2 * INTERVAL, detectMs, Infinity];
  const buckets: Record<string, number> = {};
  for (let i = 0; i < edges.length - 1; i++) {
    const lo = edges[i]!, hi = edges[i + 1]!;
    buckets[`${lo.toFixed(1)}-${hi === Infinity ? 'inf' : hi.toFixed(1)} ms`] = s.filter((g) => g >= lo && g < hi).length;
  }
  return {
    packets: times.length,
    min: s[0] ?? NaN, p1: pct(s, 1), p50: pct(s, 50), p99: pct(s, 99), p999: pct(s, 99.9), max: s.at(-1) ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
    buckets,
    gapsOverDetection: s.filter((g) => g >= detectMs).length,
  };
}

async function main(): Promise<void> {
  const why = await missingPrerequisites(['tshark', `${FRR_LIBEXEC}/bfdd`, `${FRR_LIBEXEC}/zebra`]);
  if (why) throw new Error(`cannot run: ${why}`);
  const a = await Netns.create('bbo');
  const b = await Netns.create('bbp');
  await veth({ ns: a, ifname: 'bfd0', addrs: [`${OURS}/24`] }, { ns: b, ifname: 'bfd0', addrs: [`${PEER}/24`] });
  const frr: FrrHandle = await startFrr({
    ns: b,
    bgpd: `hostname bgpd\nrouter bgp 65002\n bgp router-id ${PEER}\n!\n`,
    bfdd: `hostname bfdd\nlog stdout informational\n!\nbfd\n peer ${OURS} local-address ${PEER} interface bfd0\n  receive-interval ${INTERVAL}\n  transmit-interval ${INTERVAL}\n  detect-multiplier ${MULT}\n !\n!\n`,
  });
  const ours = startOurBfd(a);
  await ours.add('frr', { peer: PEER, local: OURS, multihop: false, minTxMs: INTERVAL, minRxMs: INTERVAL, multiplier: MULT, passive: false });
  await waitFor(async () => (await ours.status('frr'))?.state === 'up' && (await ours.status('frr'))?.negotiatedTxMs === INTERVAL, { timeoutMs: 30_000, what: 'session Up' });
  await sleep(1000);
  const frrDownsBefore = await frrDowns(frr);
  const oursBefore = (await ours.status('frr'))!.counters.downTransitions;
  const eventsBefore = ours.events.length;

  // Wire capture on each side's own egress (timestamped when the packet leaves the sender, so
  // the receiver's softirq delays under load do not distort the sender's intervals).
  const times: Record<string, number[]> = { [OURS]: [], [PEER]: [] };
  const wire: Record<string, Array<{ t: number; sta: number; diag: number }>> = { [OURS]: [], [PEER]: [] };
  const caps = [
    { ns: a, src: OURS },
    { ns: b, src: PEER },
  ].map(({ ns, src }) => {
    const cap = spawn('ip', ['netns', 'exec', ns.name, 'tshark', '-i', 'bfd0', '-l', '-Q', '-n', '-f', `udp dst port 3784 and src host ${src}`, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'bfd.sta', '-e', 'bfd.diag'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.addProcess(cap, false);
    let buf = '';
    cap.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        const [ts, from, sta, diag] = l.trim().split(/\s+/);
        if (ts && from && times[from]) {
          times[from]!.push(Number(ts) * 1000);
          wire[from]!.push({ t: Number(ts) * 1000, sta: Number(sta), diag: Number(diag) });
        }
      }
    });
    return cap;
  });
  await sleep(2000); // tshark start-up

  // CPU hogs on every core.
  const hogs = Array.from({ length: HOGS }, () => {
    const p = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    cleanup.addProcess(p, false);
    return p;
  });
  const t0 = Date.now();
  const loadBefore = loadavg()[0]!;
  let stalls = 0;
  console.log(`running ${DURATION_MS / 1000}s: ${INTERVAL} ms x ${MULT}, ${HOGS} CPU hogs, main-thread stall ${STALL_MS} ms every ${STALL_EVERY} ms`);
  while (Date.now() - t0 < DURATION_MS) {
    await sleep(STALL_EVERY);
    await ours.block(STALL_MS);
    stalls++;
    if (stalls % 20 === 0) console.log(`  ${Math.round((Date.now() - t0) / 1000)} s, ${stalls} stalls, our downs ${(ours.events.slice(eventsBefore).filter((e) => e.state === 'down')).length}`);
  }
  for (const h of hogs) h.kill('SIGKILL');
  await sleep(1500);
  for (const c of caps) c.kill('SIGTERM');
  await sleep(500);

  const oursAfter = (await ours.status('frr'))!;
  const frrDownsAfter = await frrDowns(frr);
  const detect = INTERVAL * MULT;
  const result = {
    command: `node --import tsx bench/bfd/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadBefore.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end (other work on the box adds to the hogs)`,
    durationS: Math.round((Date.now() - t0) / 1000),
    config: { intervalMs: INTERVAL, mult: MULT, hogs: HOGS, stallMs: STALL_MS, stallEveryMs: STALL_EVERY, stalls, workerFifo: RT },
    ours: {
      workerLoopDelay: (await ours.counters()).loopDelay,
      falseDowns: oursAfter.counters.downTransitions - oursBefore,
      downEvents: ours.events.slice(eventsBefore).filter((e) => e.state === 'down').length,
      txIntervals: figures(times[OURS]!, detect),
    },
    frr: {
      falseDowns: frrDownsAfter - frrDownsBefore,
      txIntervals: figures(times[PEER]!, detect),
    },
  };
  print(result);
  const blame = attribute(wire, detect);
  console.log('\nDown transitions seen on the wire (t = last Up packet, from the start of the capture):');
  for (const d of blame) console.log(`  t=${d.atS.toFixed(1)}s ${d.side.padEnd(11)} diag ${d.diag}  other side's longest tx gap up to then: ${d.peerGapMs.toFixed(0)} ms -> ${d.cause}`);
  const first = blame.filter((d) => d.diag !== 3);
  const byOurs = first.filter((d) => (d.side === 'bgp-sidecar' && d.cause.includes('fired')) || (d.side === 'FRR bfdd' && d.cause.includes('went silent'))).length;
  console.log(`Down episodes caused by bgp-sidecar (silent sender or early/late detection): ${byOurs}; by FRR bfdd: ${first.length - byOurs}`);
  Object.assign(result, { downs: blame });
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2));
  await ours.close();
  await frr.stop();
  await cleanup.cleanup(2000);
}

/**
 * Who caused each Down. A side that detects a failure stops its fast packets at once but sends
 * its first Down packet only at the slow rate (up to 1.33 s later), so the reference is the
 * side's LAST Up packet: detection happened within one interval after it. If the other side's
 * packets had a gap of about a detection time ending there, the other side went silent (its
 * sender was starved, or the whole machine stalled); otherwise the detecting side fired while
 * packets were still arriving (its own receive path or timer ran late).
 */
function attribute(wire: Record<string, Array<{ t: number; sta: number; diag: number }>>, detect: number) {
  const names: Record<string, string> = { [OURS]: 'bgp-sidecar', [PEER]: 'FRR bfdd' };
  const start = Math.min(wire[OURS]![0]?.t ?? Infinity, wire[PEER]![0]?.t ?? Infinity);
  const out: Array<{ atS: number; side: string; diag: number; peerGapMs: number; cause: string }> = [];
  for (const [me, other] of [[OURS, PEER], [PEER, OURS]] as const) {
    const pk = wire[me]!;
    for (let i = 1; i < pk.length; i++) {
      if (pk[i - 1]!.sta !== 3 || pk[i]!.sta === 3) continue;
      const ref = pk[i - 1]!.t + INTERVAL; // detection happened by about here
      const o = wire[other]!.filter((x) => x.t >= ref - 1000 && x.t <= ref).map((x) => x.t);
      let gap = 0;
      for (let k = 1; k < o.length; k++) gap = Math.max(gap, o[k]! - o[k - 1]!);
      gap = Math.max(gap, ref - (o.at(-1) ?? ref - 1000));
      const diag = pk[i]!.diag;
      const cause =
        diag === 3 ? 'follows the other side (neighbor signaled down)' : gap >= detect * 0.9 ? `${names[other]} went silent first` : `${names[me]} fired while packets still arrived`;
      out.push({ atS: (pk[i - 1]!.t - start) / 1000, side: names[me]!, diag, peerGapMs: gap, cause });
    }
  }
  return out.sort((a, b) => a.atS - b.atS);
}

async function frrDowns(frr: FrrHandle): Promise<number> {
  const r = await frr.vtysh(`show bfd peer ${OURS} counters json`);
  return (JSON.parse(r.stdout) as { 'session-down'?: number })['session-down'] ?? 0;
}

function print(r: { durationS: number; config: Record<string, number>; ours: { falseDowns: number; downEvents: number; txIntervals: Figures }; frr: { falseDowns: number; txIntervals: Figures }; command: string; machine: string }): void {
  const o = r.ours.txIntervals, f = r.frr.txIntervals;
  const row = (name: string, a: number | string, b: number | string) => console.log(`${name.padEnd(28)}${String(a).padStart(14)}${String(b).padStart(14)}`);
  const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  console.log(`\n${r.command}\n${r.machine}; ${r.durationS} s; config ${JSON.stringify(r.config)}\n`);
  row('', 'bgp-sidecar', 'FRR bfdd');
  row('false Down events', r.ours.falseDowns, r.frr.falseDowns);
  row('packets sent (on the wire)', o.packets, f.packets);
  row('tx interval min (ms)', ms(o.min), ms(f.min));
  row('tx interval p1', ms(o.p1), ms(f.p1));
  row('tx interval p50', ms(o.p50), ms(f.p50));
  row('tx interval mean', ms(o.mean), ms(f.mean));
  row('tx interval p99', ms(o.p99), ms(f.p99));
  row('tx interval p99.9', ms(o.p999), ms(f.p999));
  row('tx interval max', ms(o.max), ms(f.max));
  row(`gaps >= detection time`, o.gapsOverDetection, f.gapsOverDetection);
  for (const k of Object.keys(o.buckets)) row(`  ${k}`, o.buckets[k]!, f.buckets[k] ?? 0);
  const ld = (r.ours as { workerLoopDelay?: { p99Ms: number; maxMs: number } }).workerLoopDelay;
  if (ld) console.log(`\nour worker's event-loop delay: p99 ${ld.p99Ms.toFixed(1)} ms, max ${ld.maxMs.toFixed(1)} ms`);
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  await cleanup.cleanup(2000);
  process.exit(1);
});

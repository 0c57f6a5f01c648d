/**
 * Idle memory: `bgp-sidecar run --config` (from dist) with two peers (two
 * codec-based listeners on loopback) and one floating prefix; once both
 * sessions have their UPDATE, wait, then read VmRSS / VmHWM from
 * /proc/<pid>/status.
 *
 *   npm run bench:rss               # 10 s idle
 *   node dist/bench/rss/run.js 30   # 30 s idle
 */
import { readFileSync } from 'node:fs';
import { startListener } from '../startup/lib/bgp-listener.js';
import { machine } from '../startup/lib/machine.js';
import { PEER_ASN, startSidecar } from '../startup/lib/sidecar-process.js';

const idleS = Number(process.argv[2] ?? 10);
if (!Number.isFinite(idleS) || idleS < 0 || idleS > 600) {
  console.error('usage: node dist/bench/rss/run.js [idle seconds 0..600]');
  process.exit(2);
}

function procStatus(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(Vm\w+|RssAnon|RssFile|Threads):\s+(\d+)/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

const a = await startListener({ asn: PEER_ASN, bgpId: '10.255.0.253', host: '127.0.0.1' });
const b = await startListener({ asn: PEER_ASN, bgpId: '10.255.0.254', host: '127.0.0.2' });
const sc = startSidecar([
  { host: '127.0.0.1', port: a.port },
  { host: '127.0.0.2', port: b.port },
]);
let timer: NodeJS.Timeout | undefined;
try {
  const exited = new Promise<never>((_, rej) => sc.proc.once('exit', (c) => rej(new Error(`sidecar exited (${c}):\n${sc.output()}`))));
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`sessions not up within 30 s:\n${sc.output()}`)), 30_000)));
  await Promise.race([Promise.all([a.firstUpdate, b.firstUpdate]), exited, timeout]);
  clearTimeout(timer);
  const up = procStatus(sc.proc.pid!);
  await new Promise((r) => setTimeout(r, idleS * 1000));
  if (sc.proc.exitCode !== null) throw new Error(`sidecar exited while idle:\n${sc.output()}`);
  const idle = procStatus(sc.proc.pid!);
  const mib = (kb: number | undefined) => (kb === undefined ? '?' : `${(kb / 1024).toFixed(1)} MiB`);
  console.log(`bench:rss: bgp-sidecar run, 2 peers established (loopback listeners), 1 prefix, log-level warn`);
  console.log(`  right after both UPDATEs: RSS ${mib(up.VmRSS)} (anon ${mib(up.RssAnon)}, file ${mib(up.RssFile)}), threads ${up.Threads}`);
  console.log(`  after ${idleS} s idle:        RSS ${mib(idle.VmRSS)} (anon ${mib(idle.RssAnon)}, file ${mib(idle.RssFile)}), peak (VmHWM) ${mib(idle.VmHWM)}, threads ${idle.Threads}`);
  console.log(`  sessions accepted by the listeners: ${a.sessions.length + b.sessions.length} (2 = no reconnects)`);
  console.log(`machine: ${machine()}`);
} finally {
  clearTimeout(timer);
  await sc.stop();
  await a.close();
  await b.close();
}

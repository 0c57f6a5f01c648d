/**
 * Prepend change of 10,000 announced prefixes (issue 7): how long from
 * speaker.set() until the last UPDATE carrying the new AS_PATH is on the
 * wire, and how many UPDATE messages it takes.
 *
 * The Speaker runs in this process (as in the daemon: one event loop), with
 * the daemon's logger (src/daemon/logger.ts, synchronous JSON) writing to
 * /dev/null at the given level, so log serialization is paid as in production.
 * The peer is a passive BGP sink on loopback in a worker thread
 * (bench/lib/update-sink.ts): it decodes every UPDATE with our codec, keeps
 * each prefix's AS_PATH length and timestamps the bytes that complete the
 * change, so decoding never competes with the speaker for the event loop.
 *
 * Rounds: initial announcement (prepend 0), then prepend 3 / 0 alternately,
 * then withdraw everything. Per round: wall time of the synchronous set()
 * call, its CPU time (process.cpuUsage(), less sensitive to other load on
 * the machine than wall time), time until the last prefix is on the wire,
 * UPDATE messages and bytes.
 *
 *   npm run bench:prepend
 *   node dist/bench/prepend/run.js --prefixes 10000 --rounds 20 --log-level info
 */
import { openSync } from 'node:fs';
import { pino } from 'pino';
import { createLogger } from '../../src/daemon/logger.js';
import { Speaker } from '../../src/speaker/speaker.js';
import type { Announcement } from '../../src/speaker/types.js';
import { checkFlags, intFlag } from '../lib/args.js';
import { printMachine } from '../lib/machine-info.js';
import { absNow, startUpdateSink, type SinkMet } from '../lib/update-sink.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];
const USAGE = `usage: node dist/bench/prepend/run.js [--prefixes 1..100000 (default 10000)] [--rounds 1..100 (default 20)] [--prepend 1..32 (default 3)] [--log-level ${LEVELS.join('|')} (default info)]`;
const argv = process.argv.slice(2);
checkFlags(argv, ['prefixes', 'rounds', 'prepend', 'log-level'], USAGE);
const N = intFlag(argv, 'prefixes', 10_000, 1, 100_000, USAGE);
const rounds = intFlag(argv, 'rounds', 20, 1, 100, USAGE);
const prependBy = intFlag(argv, 'prepend', 3, 1, 32, USAGE);
const li = argv.indexOf('--log-level');
const level = li >= 0 ? argv[li + 1] ?? '' : 'info';
if (!LEVELS.includes(level)) {
  console.error(`--log-level: expected one of ${LEVELS.join(', ')}`);
  console.error(USAGE);
  process.exit(2);
}

const LOCAL_ASN = 65001;
const PEER_ASN = 65000;
const ROUND_TIMEOUT_MS = 120_000;

/** N distinct /32s: 172.16.0.0, 172.16.0.1, ... (N <= 100,000 stays inside 172.16.0.0/14... 172.17.134.159). */
function prefixes(n: number): string[] {
  const base = (172 << 24) + (16 << 16);
  return Array.from({ length: n }, (_, i) => {
    const a = (base + i) >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/32`;
  });
}

const sink = await startUpdateSink({ asn: PEER_ASN, bgpId: '10.255.0.254' });
const logger = createLogger(level, pino.destination({ dest: openSync('/dev/null', 'w'), sync: true }));
const speaker = new Speaker({
  localAsn: LOCAL_ASN,
  routerId: '10.255.0.1',
  peers: [{ address: '127.0.0.1', port: sink.port, asn: PEER_ASN, localAddress: '127.0.0.1', holdTime: 90, connectRetryMs: { min: 100, max: 500 } }],
  logger,
});

interface Row {
  what: string;
  setMs: number;
  /** process.cpuUsage() (user+system, every thread) during the synchronous set() call. */
  setCpuMs: number;
  wireMs: number;
  updates: number;
  bytes: number;
  sentBySpeaker: number;
}

const rows: Row[] = [];
let hardTimer: NodeJS.Timeout | undefined;
try {
  // Whole run bounded: a hang must not keep the benchmark alive forever.
  hardTimer = setTimeout(() => {
    console.error('bench:prepend: no result within the overall bound; giving up');
    process.exit(1);
  }, ROUND_TIMEOUT_MS * (rounds + 3));
  hardTimer.unref();
  await speaker.start();
  let t: NodeJS.Timeout | undefined;
  await Promise.race([sink.opened, new Promise((_, rej) => (t = setTimeout(() => rej(new Error('no BGP session with the sink within 20 s')), 20_000)))]);
  clearTimeout(t);
  const list = prefixes(N);
  const sentCount = () => speaker.status()[0]?.updatesSent ?? 0;
  let last: SinkMet = { at: 0, updates: 0, bytes: 0 };
  // Session start: End-of-RIB (empty table) marks "established and synced"; wait for Established.
  for (let i = 0; i < 200 && speaker.status()[0]?.state !== 'Established'; i++) await new Promise((r) => setTimeout(r, 50));
  if (speaker.status()[0]?.state !== 'Established') throw new Error('session with the sink not Established within 10 s');
  await new Promise((r) => setTimeout(r, 200));
  last = await sink.expect({ kind: 'empty' }, 5000);

  const step = async (what: string, routes: Announcement[], cond: Parameters<typeof sink.expect>[0]) => {
    const sent0 = sentCount();
    const waiting = sink.expect(cond, ROUND_TIMEOUT_MS);
    // Let the expectation reach the worker before any byte is written.
    await new Promise((r) => setTimeout(r, 20));
    const c0 = process.cpuUsage();
    const t0 = absNow();
    speaker.set(routes);
    const t1 = absNow();
    const c = process.cpuUsage(c0);
    const met = await waiting;
    rows.push({ what, setMs: t1 - t0, setCpuMs: (c.user + c.system) / 1000, wireMs: met.at - t0, updates: met.updates - last.updates, bytes: met.bytes - last.bytes, sentBySpeaker: sentCount() - sent0 });
    last = met;
    // Quiet period between rounds (GC, logger) so rounds do not overlap.
    await new Promise((r) => setTimeout(r, 500));
  };

  await step(`announce ${N} (prepend 0)`, list.map((prefix) => ({ prefix, prepend: 0 })), { kind: 'path-length', length: 1, count: N });
  for (let r = 0; r < rounds; r++) {
    const p = r % 2 === 0 ? prependBy : 0;
    await step(`prepend ${r % 2 === 0 ? 0 : prependBy} -> ${p}`, list.map((prefix) => ({ prefix, prepend: p })), { kind: 'path-length', length: 1 + p, count: N });
  }
  await step(`withdraw ${N}`, [], { kind: 'empty' });
} finally {
  clearTimeout(hardTimer);
  await speaker.stop({ timeoutMs: 3000 }).catch(() => undefined);
  await sink.close();
}

printMachine();
console.log(`bench:prepend: ${N} /32 prefixes, one peer (UPDATE sink on loopback, worker thread), log level ${level} to /dev/null`);
console.log('step                       set() ms  set() CPU ms   set() -> last prefix on the wire ms   UPDATEs (sink / speaker)   bytes');
for (const r of rows) {
  console.log(
    `${r.what.padEnd(26)} ${r.setMs.toFixed(1).padStart(8)}  ${r.setCpuMs.toFixed(1).padStart(12)}   ${r.wireMs.toFixed(1).padStart(36)}   ${`${r.updates} / ${r.sentBySpeaker}`.padStart(24)}   ${r.bytes}`,
  );
}
const summary = (label: string, xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  if (!v.length) return;
  console.log(`${label}, ${v.length} rounds: min ${v[0]!.toFixed(1)} ms, median ${v[Math.floor((v.length - 1) / 2)]!.toFixed(1)} ms, max ${v[v.length - 1]!.toFixed(1)} ms`);
};
const changes = rows.filter((r) => r.what.startsWith('prepend'));
// The first change runs cold (not yet optimized by the JIT), as a daemon's rare prepend change does.
if (changes[0]) console.log(`first prepend change (cold): ${changes[0].wireMs.toFixed(1)} ms to the last prefix on the wire, set() CPU ${changes[0].setCpuMs.toFixed(1)} ms`);
summary('prepend change, set() -> last prefix on the wire', changes.map((r) => r.wireMs));
summary('prepend change, CPU of set()', changes.map((r) => r.setCpuMs));

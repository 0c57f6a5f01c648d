/**
 * Cost of speaker.set() itself (parse, export, Adj-RIB-Out diff, packing,
 * encoding, handing the bytes to the socket) for N prefixes that share their
 * attributes, as in a failover: every round flips the prepend of all of them
 * (0 <-> 3), then one no-op round (same routes again: nothing to send).
 * One Established peer on loopback (the test peer, answering the OPEN and
 * reading everything). The logger writes to /dev/null at the given level.
 *
 *   node_modules/.bin/tsc -p . && node dist/bench/speaker-set/run.js [--prefixes 10000] [--rounds 20] [--log-level info]
 */
import { openSync } from 'node:fs';
import { pino } from 'pino';
import { Speaker } from '../../src/speaker/speaker.js';
import { TestPeer } from '../../test/speaker/bgp-test-peer.js';
import { checkFlags, intFlag } from '../lib/args.js';
import { printMachine } from '../lib/machine-info.js';

const USAGE = 'usage: node dist/bench/speaker-set/run.js [--prefixes 1..100000 (default 10000)] [--rounds 2..200 (default 20)] [--log-level info|warn|silent]';
const argv = process.argv.slice(2);
checkFlags(argv, ['prefixes', 'rounds', 'log-level'], USAGE);
const N = intFlag(argv, 'prefixes', 10_000, 1, 100_000, USAGE);
const rounds = intFlag(argv, 'rounds', 20, 2, 200, USAGE);
const li = argv.indexOf('--log-level');
const level = li >= 0 ? argv[li + 1] ?? '' : 'info';
if (!['info', 'warn', 'silent'].includes(level)) {
  console.error(USAGE);
  process.exit(2);
}

const hard = setTimeout(() => {
  console.error('bench:speaker-set: no result within 120 s; giving up');
  process.exit(1);
}, 120_000);
hard.unref();

const peer = new TestPeer({ asn: 65002 });
const port = await peer.listen('127.0.0.1');
const logger = pino({ level }, pino.destination({ dest: openSync('/dev/null', 'w'), sync: true }));
const sp = new Speaker({ localAsn: 65001, routerId: '10.255.0.1', peers: [{ address: '127.0.0.1', asn: 65002, port }], logger });
try {
  await sp.start();
  await peer.established(10_000);
  await peer.until(() => sp.status()[0]?.state === 'Established', 10_000, 'Established');
  const list = Array.from({ length: N }, (_, i) => {
    const a = ((172 << 24) + (16 << 16) + i) >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/32`;
  });
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const routes = list.map((prefix) => ({ prefix, prepend: r % 2 === 0 ? 3 : 0, communities: ['65001:100'] }));
    const t0 = performance.now();
    sp.set(routes);
    times.push(performance.now() - t0);
    // Let the peer read and the GC run between rounds.
    await new Promise((res) => setTimeout(res, 200));
  }
  const same = list.map((prefix) => ({ prefix, prepend: (rounds - 1) % 2 === 0 ? 3 : 0, communities: ['65001:100'] }));
  const t0 = performance.now();
  const before = sp.status()[0]?.updatesSent ?? 0;
  sp.set(same);
  const noop = performance.now() - t0;
  const noopSent = (sp.status()[0]?.updatesSent ?? 0) - before;
  const changes = times.slice(1).sort((a, b) => a - b);
  const q = (f: number) => changes[Math.min(changes.length - 1, Math.floor(f * (changes.length - 1)))]!.toFixed(1);
  printMachine();
  console.log(`bench:speaker-set: ${N} /32 prefixes sharing attributes, ${rounds} rounds, log level ${level}`);
  console.log(`first set() (cold): ${times[0]!.toFixed(1)} ms`);
  console.log(`prepend flip set(), ${changes.length} rounds: min ${q(0)} ms, median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms`);
  console.log(`no-op set() (same routes): ${noop.toFixed(1)} ms, ${noopSent} UPDATEs sent`);
  console.log(`UPDATEs per flip: ${Math.round(((sp.status()[0]?.updatesSent ?? 0) - 1) / rounds)} (End-of-RIB excluded)`);
} finally {
  await sp.stop({ timeoutMs: 1_000 });
  await peer.close();
}

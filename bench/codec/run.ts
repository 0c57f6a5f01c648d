/**
 * Codec throughput on a one-million-prefix IPv4 table.
 *
 *   npm run bench:codec       (= tsc -p . && node dist/bench/codec/run.js: compiled
 *                              like the daemon runs; under tsx the figures are lower)
 *   options: --prefixes 1000000 --per-update 500 --runs 3
 *
 * "packed": prefixes grouped 500 to a shared attribute set, one UPDATE per group,
 * as real speakers pack a full table; "single": one prefix per UPDATE.
 * Encode = buildUpdates (attributes + NLRI to bytes); decode = BgpStreamParser
 * fed the whole stream in 64 KiB chunks (like socket reads), every prefix
 * turned into a { afi, addr, len } object with its text address.
 * Both wall-clock and process CPU-time rates are printed: on a shared machine
 * the CPU-time rate is the codec's own cost.
 */
import { cpus, loadavg } from 'node:os';
import { BgpStreamParser, buildUpdates, type AnnounceGroup, type CodecOptions, type PathAttributes, type Prefix } from '../../src/bgp/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = arg('prefixes', 1_000_000);
const PER = arg('per-update', 500);
const RUNS = arg('runs', 3);
const OPTS: CodecOptions = { fourOctetAs: true, extendedMessage: false };

// Deterministic pseudo-random numbers.
let s = 12345;
const rnd = (): number => {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return s;
};

/** A table shaped like the Internet's: mostly /24, then /22-/23, then shorter. */
function table(n: number): Prefix[] {
  const out: Prefix[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd() % 100;
    const len = r < 60 ? 24 : r < 70 ? 23 : r < 80 ? 22 : 16 + (rnd() % 6);
    const base = (0x01000000 + i * 256) >>> 0; // distinct /24 blocks from 1.0.0.0
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const a = (base & mask) >>> 0;
    out[i] = { afi: 1, addr: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, len };
  }
  return out;
}

function attributes(): PathAttributes {
  const hops = 2 + (rnd() % 5);
  const asns: number[] = [];
  for (let i = 0; i < hops; i++) asns.push(1 + (rnd() % 400000));
  const comms: number[] = [];
  for (let i = 0, k = 1 + (rnd() % 4); i < k; i++) comms.push(rnd());
  return { origin: 0, asPath: [{ type: 'sequence', asns }], nextHop: '192.0.2.1', med: rnd() % 1000, communities: comms };
}

function groups(prefixes: Prefix[], per: number): AnnounceGroup[] {
  const out: AnnounceGroup[] = [];
  for (let i = 0; i < prefixes.length; i += per) out.push({ attributes: attributes(), prefixes: prefixes.slice(i, i + per) });
  return out;
}

/** Wall time and this process's CPU time (the machine may be shared). */
function time<T>(fn: () => T): { ms: number; cpuMs: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, value };
}

function decodeStream(stream: Uint8Array): number {
  const p = new BgpStreamParser(OPTS);
  let prefixes = 0;
  const CHUNK = 65536;
  for (let o = 0; o < stream.length; o += CHUNK) {
    for (const item of p.push(stream.subarray(o, o + CHUNK))) {
      if (!item.ok) throw item.error;
      if (item.message.type === 'update') prefixes += item.message.nlri.length;
    }
  }
  return prefixes;
}

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);

const prefixes = table(N);
console.log(`codec bench: ${N} IPv4 prefixes, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

for (const [name, per] of [['packed', PER], ['single', 1]] as const) {
  const g = groups(prefixes, per);
  let best = { enc: Infinity, dec: Infinity, encCpu: Infinity, decCpu: Infinity };
  let messages = 0;
  let stream: Uint8Array = new Uint8Array(0);
  for (let r = 0; r < RUNS; r++) {
    // Each UPDATE is copied into one stream buffer as it is made (as a socket write
    // would take it) rather than kept: a million live messages would make the
    // measurement about the garbage collector.
    const e = time(() => {
      let buf = new Uint8Array(N * (per === 1 ? 96 : 8));
      let used = 0;
      let count = 0;
      for (const grp of g) {
        for (const m of buildUpdates({ announce: [grp], withdraw: [] }, OPTS)) {
          if (used + m.length > buf.length) {
            const next = new Uint8Array(buf.length * 2);
            next.set(buf.subarray(0, used));
            buf = next;
          }
          buf.set(m, used);
          used += m.length;
          count++;
        }
      }
      return { stream: buf.subarray(0, used), count };
    });
    stream = e.value.stream;
    messages = e.value.count;
    const d = time(() => decodeStream(stream));
    if (d.value !== N) throw new Error(`decoded ${d.value} prefixes, expected ${N}`);
    best = { enc: Math.min(best.enc, e.ms), dec: Math.min(best.dec, d.ms), encCpu: Math.min(best.encCpu, e.cpuMs), decCpu: Math.min(best.decCpu, d.cpuMs) };
  }
  const perMsg = (N / messages).toFixed(1);
  console.log(
    `${name.padEnd(6)} ${String(messages).padStart(8)} UPDATEs (${perMsg} prefixes each, ${(stream.length / 1e6).toFixed(1)} MB): ` +
      `encode ${fmt(N / (best.enc / 1000))} prefixes/s wall, ${fmt(N / (best.encCpu / 1000))}/s CPU (${best.enc.toFixed(0)} / ${best.encCpu.toFixed(0)} ms); ` +
      `decode ${fmt(N / (best.dec / 1000))} prefixes/s wall, ${fmt(N / (best.decCpu / 1000))}/s CPU (${best.dec.toFixed(0)} / ${best.decCpu.toFixed(0)} ms); best of ${RUNS}`,
  );
}

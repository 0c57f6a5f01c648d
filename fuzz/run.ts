/**
 * Fuzz run of the BGP stream parser (not part of `npm test`):
 *
 *   npm run fuzz -- [--count 1000000] [--seed 1]
 *   (node_modules/.bin/tsx fuzz/run.ts --count 1000000 --seed 1)
 *
 * Feeds random and mutated messages (from a corpus of real captures, hand-built
 * fixtures and fast-check generated valid messages) through BgpStreamParser with
 * random session options and random chunking. Every input must either decode or
 * give a typed BgpMessageError (never an internal decoder error); push() must
 * never throw; a decoded message must encode again and decode to itself; no input
 * may take longer than 250 ms. Failing inputs are written to fuzz/failures/.
 * Exits 1 on any failure.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { BgpMessageError, BgpStreamParser, encodeMessage, type BgpMessage, type CodecOptions } from '../src/bgp/index.js';
import { messageArb, optionsArb } from '../test/bgp/arbitraries.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COUNT = arg('count', 1_000_000);
const SEED = arg('seed', 1);
const SLOW_MS = 250;

// xorshift32: reproducible from --seed.
let state = SEED >>> 0 || 1;
function rnd(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state;
}
const below = (n: number): number => rnd() % n;

function hexFile(path: string): Uint8Array {
  const clean = readFileSync(path, 'utf8').split('\n').map((l) => l.replace(/#.*$/, '')).join('').replace(/\s+/g, '');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

// ---------------------------------------------------------------- corpus
const corpus: Uint8Array[] = [];
const fixtures = join(HERE, '..', 'test', 'fixtures', 'bgp');
for (const dir of ['real', 'hand']) {
  for (const f of readdirSync(join(fixtures, dir))) if (f.endsWith('.hex')) corpus.push(hexFile(join(fixtures, dir, f)));
}
const realCount = corpus.length;
const generated = fc.sample(optionsArb.chain((o) => fc.tuple(fc.constant(o), messageArb(o))), { numRuns: 3000, seed: SEED });
for (const [o, m] of generated) {
  try {
    corpus.push(encodeMessage(m, { ...o, extendedMessage: below(2) === 0 }));
  } catch {
    // too large for 4096 octets: skip
  }
}

const INTERESTING = [0, 1, 2, 3, 4, 0x0f, 0x10, 0x1f, 0x20, 0x21, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xe0, 0xfe, 0xff];

function fixHeader(b: Uint8Array): void {
  // Most of the time keep the marker and the length right, so the body parsers get exercised.
  if (b.length >= 19 && below(8) !== 0) b.fill(0xff, 0, 16);
  if (b.length >= 19 && below(4) !== 0) {
    b[16] = (b.length >> 8) & 0xff;
    b[17] = b.length & 0xff;
  }
}

function mutate(src: Uint8Array): Uint8Array {
  let b = src.slice();
  const rounds = 1 + below(4);
  for (let r = 0; r < rounds; r++) {
    const op = below(9);
    if (b.length === 0) b = Uint8Array.of(0xff);
    const at = below(b.length);
    switch (op) {
      case 0: b[at] = b[at]! ^ (1 << below(8)); break; // bit flip
      case 1: b[at] = INTERESTING[below(INTERESTING.length)]!; break;
      case 2: b[at] = below(256); break;
      case 3: b = b.slice(0, Math.max(0, b.length - 1 - below(Math.min(16, b.length)))); break; // truncate
      case 4: { // insert random octets
        const n = 1 + below(8);
        const ins = new Uint8Array(n).map(() => below(256));
        const out = new Uint8Array(b.length + n);
        out.set(b.subarray(0, at)); out.set(ins, at); out.set(b.subarray(at), at + n);
        b = out;
        break;
      }
      case 5: { // delete a run
        const n = 1 + below(Math.min(8, b.length));
        const out = new Uint8Array(b.length - Math.min(n, b.length - at));
        out.set(b.subarray(0, at)); out.set(b.subarray(at + n), at);
        b = out;
        break;
      }
      case 6: { // splice with another corpus entry
        const o = corpus[below(corpus.length)]!;
        const cut = below(o.length);
        const out = new Uint8Array(at + (o.length - cut));
        out.set(b.subarray(0, at)); out.set(o.subarray(cut), at);
        b = out;
        break;
      }
      case 7: { // 16-bit length-like field somewhere in the body set to something near
        if (b.length > 22) {
          const p = 19 + below(b.length - 20);
          const v = ((b[p]! << 8) | b[p + 1]!) + (below(9) - 4);
          b[p] = (v >> 8) & 0xff;
          b[p + 1] = v & 0xff;
        }
        break;
      }
      case 8: b[at] = (b[at]! + (below(2) === 0 ? 1 : 255)) & 0xff; break; // off by one
    }
  }
  fixHeader(b);
  return b;
}

function randomInput(): Uint8Array {
  const kind = below(20);
  if (kind === 0) return new Uint8Array(below(64)).map(() => below(256)); // pure noise
  if (kind === 1) { // valid header, noise body
    const n = 19 + below(200);
    const b = new Uint8Array(n).map(() => below(256));
    b.fill(0xff, 0, 16);
    b[16] = n >> 8; b[17] = n & 0xff; b[18] = 1 + below(5);
    return b;
  }
  if (kind === 2) { // several messages back to back, one mutated
    const parts = [corpus[below(corpus.length)]!, mutate(corpus[below(corpus.length)]!), corpus[below(corpus.length)]!];
    return Buffer.concat(parts);
  }
  return mutate(corpus[below(corpus.length)]!);
}

function randomOptions(): CodecOptions {
  const fams = (): Set<string> => new Set([...(below(4) === 0 ? ['1/1'] : []), ...(below(4) === 0 ? ['2/1'] : [])]);
  const recv = fams();
  return { fourOctetAs: below(2) === 0, extendedMessage: below(3) === 0, addPathReceive: recv, addPathSend: recv };
}

// ---------------------------------------------------------------- run
const failDir = join(HERE, 'failures');
let failures = 0;
const counts = { decoded: 0, errors: 0, withProblems: 0, messages: 0, inputs: 0, rfc6793Lossy: 0, slowOnce: 0 };
const errorKinds = new Map<string, number>();
let maxMs = 0;
let slowest: Uint8Array = new Uint8Array(0);

function fail(kind: string, input: Uint8Array, opts: CodecOptions, detail: unknown): void {
  failures++;
  if (failures <= 20) {
    mkdirSync(failDir, { recursive: true });
    const file = join(failDir, `${kind}-${SEED}-${counts.inputs}.json`);
    writeFileSync(file, JSON.stringify({ kind, hex: Buffer.from(input).toString('hex'), opts: { ...opts, addPathReceive: [...(opts.addPathReceive ?? [])] }, detail: String(detail instanceof Error ? detail.stack : JSON.stringify(detail)) }, null, 1));
    console.error(`FAIL ${kind} (input ${counts.inputs}) -> ${file}`);
  }
}

function same(a: BgpMessage, b: BgpMessage): boolean {
  return isDeepStrictEqual(a, b);
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < COUNT; i++) {
  counts.inputs++;
  const input = randomInput();
  const opts = randomOptions();
  const parser = new BgpStreamParser(opts);
  const s = performance.now();
  try {
    const chunked = below(4) === 0;
    let off = 0;
    while (off < input.length || off === 0) {
      const n = chunked ? 1 + below(40) : input.length;
      const items = parser.push(input.subarray(off, off + n));
      off += n;
      for (const it of items) {
        counts.messages++;
        if (!it.ok) {
          counts.errors++;
          if (!(it.error instanceof BgpMessageError) || (it.error as { cause?: unknown }).cause !== undefined) fail('internal-error', input, opts, it.error);
          const k = `${it.error.code}/${it.error.subcode}`;
          errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1);
          continue;
        }
        counts.decoded++;
        if (it.problems !== undefined) counts.withProblems++;
        // A decoded message must encode and decode back to itself.
        let again: Uint8Array;
        try {
          again = encodeMessage(it.message, opts);
        } catch (e) {
          if (e instanceof RangeError) continue; // e.g. an UPDATE that grew past the limit with AS4_PATH added
          fail('re-encode-threw', input, opts, e);
          continue;
        }
        // RFC 6793 4.2.3: towards an OLD speaker, a 2-octet AGGREGATOR AS makes the receiver
        // ignore AS4_PATH, so a path with 4-octet AS numbers cannot survive that trip.
        const m = it.message;
        if (!opts.fourOctetAs && m.type === 'update' && m.attributes.aggregator !== undefined &&
          m.attributes.aggregator.asn <= 0xffff && (m.attributes.asPath ?? []).some((x) => x.asns.some((a) => a > 0xffff))) {
          counts.rfc6793Lossy++;
          continue;
        }
        const back = new BgpStreamParser(opts).push(again);
        const b0 = back[0];
        if (back.length !== 1 || b0 === undefined || !b0.ok || !same(b0.message, it.message)) {
          fail('not-idempotent', input, opts, { first: it.message, second: b0 });
        }
      }
      if (parser.failed !== null) break;
      if (off >= input.length) break;
    }
  } catch (e) {
    fail('threw', input, opts, e);
  }
  const ms = performance.now() - s;
  if (ms > maxMs) {
    maxMs = ms;
    slowest = input;
  }
  if (ms > SLOW_MS) {
    // The machine may be busy (GC, other processes): only an input that is slow
    // again, three times in a row, is a hang.
    let again = Infinity;
    for (let k = 0; k < 3 && again > SLOW_MS; k++) {
      const r0 = performance.now();
      new BgpStreamParser(opts).push(input);
      again = performance.now() - r0;
    }
    if (again > SLOW_MS) fail('slow', input, opts, `${ms.toFixed(1)} ms, again ${again.toFixed(1)} ms`);
    else counts.slowOnce++;
  }
}
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;

const top = [...errorKinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k}:${v}`).join(' ');
console.log(`fuzz: ${counts.inputs} inputs (seed ${SEED}, corpus ${corpus.length}: ${realCount} fixtures + generated) in ${secs.toFixed(1)} s (${cpuSecs.toFixed(1)} s CPU)`);
console.log(`      ${counts.messages} parser results: ${counts.decoded} decoded (${counts.withProblems} with RFC 7606 problems), ${counts.errors} typed errors`);
console.log(`      errors by code/subcode: ${top}`);
console.log(`      re-encode check skipped for ${counts.rfc6793Lossy} UPDATEs whose path RFC 6793 4.2.3 cannot carry to an OLD speaker`);
// Time the slowest input again: a one-off pause (GC, JIT) is not the input's fault.
const r0 = performance.now();
new BgpStreamParser({ fourOctetAs: true, extendedMessage: true }).push(slowest);
const rerun = performance.now() - r0;
console.log(`      slowest input ${maxMs.toFixed(2)} ms (${slowest.length} octets; ${rerun.toFixed(2)} ms when run again; ${counts.slowOnce} inputs over ${SLOW_MS} ms once but not when rerun); failures: ${failures}`);
process.exit(failures === 0 ? 0 : 1);

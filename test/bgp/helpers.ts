/**
 * Test helpers: annotated hex fixtures and a deliberately dumb byte builder.
 * Expected bytes never come from the encoder under test.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bgp');

/** Hex text with `#` comments and any whitespace -> bytes. Throws on odd or non-hex text. */
export function hex(text: string): Uint8Array {
  const clean = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex fixture: ${clean.slice(0, 40)}...`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** Reads test/fixtures/bgp/<name> (annotated hex). */
export function fixture(name: string): Uint8Array {
  return hex(readFileSync(join(FIXTURES, name), 'utf8'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Dumb builder: a BGP message from a type and a body given as hex pieces (length counted here). */
export function msg(type: number, ...body: (string | Uint8Array)[]): Uint8Array {
  const parts = body.map((p) => (typeof p === 'string' ? hex(p) : p));
  const bodyLen = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(19 + bodyLen);
  out.fill(0xff, 0, 16);
  out[16] = (19 + bodyLen) >> 8;
  out[17] = (19 + bodyLen) & 0xff;
  out[18] = type;
  let o = 19;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Dumb builder: an UPDATE from withdrawn-routes hex, path-attributes hex and NLRI hex. */
export function update(withdrawn: string, attrs: string, nlri: string): Uint8Array {
  const w = hex(withdrawn);
  const a = hex(attrs);
  return msg(2, Uint8Array.of(w.length >> 8, w.length & 0xff), w, Uint8Array.of(a.length >> 8, a.length & 0xff), a, hex(nlri));
}

/** The declared header length of a fixture must equal its size (catches hand-counting mistakes). */
export function declaredLength(b: Uint8Array): number {
  return (b[16]! << 8) | b[17]!;
}

/**
 * Dumb UPDATE splitter for comparing encodings that differ only in attribute
 * order or the Extended Length bit: withdrawn and NLRI fields as hex, and the
 * attributes as sorted "type/flags-without-E/value" strings.
 */
export function updateShape(m: Uint8Array): { withdrawn: string; attributes: string[]; nlri: string } {
  const wl = (m[19]! << 8) | m[20]!;
  const withdrawn = toHex(m.subarray(21, 21 + wl));
  const al = (m[21 + wl]! << 8) | m[22 + wl]!;
  const a0 = 23 + wl;
  const attributes: string[] = [];
  let o = a0;
  while (o < a0 + al) {
    const flags = m[o]!;
    const ext = (flags & 0x10) !== 0;
    const len = ext ? (m[o + 2]! << 8) | m[o + 3]! : m[o + 2]!;
    const h = ext ? 4 : 3;
    attributes.push(`${m[o + 1]}/${(flags & 0xe0).toString(16)}/${toHex(m.subarray(o + h, o + h + len))}`);
    o += h + len;
  }
  return { withdrawn, attributes: attributes.sort(), nlri: toHex(m.subarray(a0 + al)) };
}

/** Dumb OPEN splitter: fixed fields, and every capability TLV (from any optional parameter), sorted. */
export function openShape(m: Uint8Array): { fixed: string; capabilities: string[] } {
  const fixed = toHex(m.subarray(19, 28));
  const caps: string[] = [];
  const end = 29 + m[28]!;
  let o = 29;
  while (o < end) {
    const type = m[o]!;
    const len = m[o + 1]!;
    if (type === 2) {
      let c = o + 2;
      while (c < o + 2 + len) {
        caps.push(toHex(m.subarray(c, c + 2 + m[c + 1]!)));
        c += 2 + m[c + 1]!;
      }
    }
    o += 2 + len;
  }
  return { fixed, capabilities: caps.sort() };
}

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

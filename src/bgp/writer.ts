/**
 * A growable big-endian byte writer. Lengths are reserved and patched after
 * the body is written (as pg-protocol's BufferWriter and MetalLB do), so a
 * message cannot disagree with its header.
 */
export class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.pos++] = (v >>> 24) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Reserves `size` octets (1 or 2) for a length; returns where to patch. */
  reserve(size: 1 | 2): number {
    this.ensure(size);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  patch8(at: number, v: number): void {
    this.buf[at] = v & 0xff;
  }

  patch16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return copyOut(this.buf, this.pos);
  }
}

/**
 * buf[0, len) copied out as a plain Uint8Array. Small results are views into a
 * shared 16 KiB slab (one ArrayBuffer per slab, not per message: at a million
 * UPDATEs that halves the encode time); they are plain Uint8Arrays, so their
 * slice() copies as usual (a pooled Buffer's slice() would not).
 */
export function copyOut(buf: Uint8Array, len: number): Uint8Array {
  if (len > SLAB_MAX_ITEM) return buf.slice(0, len);
  if (slabUsed + len > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, len);
  out.set(buf.subarray(0, len));
  slabUsed += (len + 7) & ~7;
  return out;
}

const SLAB_SIZE = 16384;
const SLAB_MAX_ITEM = 4096;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

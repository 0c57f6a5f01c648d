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
 * buf[0, len) copied into a Buffer from Node's shared pool (Buffer.allocUnsafe
 * takes small sizes from an 8 KiB slab): one off-heap allocation per slab
 * instead of one per message, which matters at a million UPDATEs.
 */
export function copyOut(buf: Uint8Array, len: number): Uint8Array {
  const out = Buffer.allocUnsafe(len);
  out.set(buf.subarray(0, len));
  return out;
}

/**
 * One BGP TCP connection: framing and decoding of what we read, encoding and
 * write-progress tracking (RFC 9687) of what we write, bounded close.
 * It knows nothing of BGP states; src/io/bgp-session.ts drives it from the FSM.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { BgpStreamParser, encodeMessage } from '../bgp/index.js';
import type { BgpMessage, CodecOptions } from '../bgp/types.js';
import type { DecodeFailure } from '../fsm/bgp-fsm-types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Direction } from '../fsm/bgp-collision.js';

export interface ConnectionEvents {
  message: [message: BgpMessage, problems: unknown[] | undefined];
  'decode-error': [error: DecodeFailure];
  'write-state': [pending: boolean, progress: boolean];
  /** More than MAX_WRITE_QUEUE_BYTES wait in user space: the peer does not read what we write. */
  overflow: [queued: number];
  close: [detail: string];
}

const NO_CODEC: CodecOptions = { fourOctetAs: false, extendedMessage: false };
/** Bound on how long a closing connection may take to flush a final NOTIFICATION. */
export const CLOSE_FLUSH_MS = 2_000;
/** Write progress is reported to the FSM at most this often (the send hold timer is minutes long). */
export const PROGRESS_REPORT_MS = 100;
/**
 * Bound on bytes queued in user space (beyond what the kernel took). The
 * RFC 9687 send hold timer bounds how long a peer may not read, not how much
 * piles up meanwhile: a peer that asks for ROUTE-REFRESH again and again
 * without reading would make us queue the whole table each time. A full
 * resend of 10,000 prefixes with distinct attributes is about 0.6 MB.
 */
export const MAX_WRITE_QUEUE_BYTES = 16 * 1024 * 1024;

/** "::ffff:10.0.0.1" -> "10.0.0.1": Node reports IPv4 peers of a dual-stack socket that way. */
export function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export class BgpConnection extends EventEmitter<ConnectionEvents> {
  private readonly parser: BgpStreamParser;
  private codec: CodecOptions = NO_CODEC;
  private buf: Uint8Array = new Uint8Array(0);
  private closed = false;
  private closeTimer: TimerHandle | null = null;
  /** Waiting for bytesDone to reach `mark` (or for the connection to go). */
  private flushWaiters: { mark: number; fn: () => void }[] = [];
  private readonly socketClosed: Promise<void>;
  /** Bytes whose write callback fired (handed to the kernel); callbacks fire in write order. */
  private bytesDone = 0;
  private overflowed = false;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly localPort: number;
  readonly remotePort: number;
  bytesSent = 0;
  private lastPending = false;
  private lastProgressReport = -Infinity;

  constructor(
    private readonly socket: net.Socket,
    readonly direction: Direction,
    private readonly clock: Clock,
    /** Bound on bytes queued in user space before 'overflow' (tests lower it). */
    private readonly maxQueuedBytes = MAX_WRITE_QUEUE_BYTES,
  ) {
    super();
    this.parser = new BgpStreamParser();
    this.localAddress = plainAddress(socket.localAddress);
    this.remoteAddress = plainAddress(socket.remoteAddress);
    this.localPort = socket.localPort ?? 0;
    this.remotePort = socket.remotePort ?? 0;
    // KEEPALIVEs are tiny and time-critical; never let Nagle hold them back.
    socket.setNoDelay(true);
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.finish(`socket error: ${err.message}`));
    socket.on('end', () => this.finish('connection closed by peer'));
    socket.on('close', () => this.finish('connection closed'));
    socket.on('drain', () => this.reportWrite(true));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Codec options negotiated from the OPENs; apply to the next message read or written. */
  setCodecOptions(o: CodecOptions): void {
    this.codec = o;
    this.parser.setOptions(o);
  }

  send(message: BgpMessage): void {
    this.write(encodeMessage(message, this.codec));
  }

  /** Write already encoded messages (UPDATEs from the speaker). */
  write(bytes: Uint8Array): void {
    if (this.closed || this.socket.destroyed) return;
    this.bytesSent += bytes.length;
    this.socket.write(bytes, (err) => {
      this.bytesDone += bytes.length;
      if (!err) this.reportWrite(true);
      this.checkFlushed();
    });
    this.reportWrite(false);
    const queued = this.socket.writableLength;
    if (queued > this.maxQueuedBytes && !this.overflowed) {
      this.overflowed = true;
      this.emit('overflow', queued);
    }
  }

  /** Bytes accepted by write() but not yet handed to the kernel. */
  get queuedBytes(): number {
    return this.closed ? 0 : this.bytesSent - this.bytesDone;
  }

  /** Resolves when everything written so far has been handed to the kernel (or the connection is gone). */
  flushed(): Promise<void> {
    return new Promise((resolve) => {
      this.whenWritten(resolve);
    });
  }

  /**
   * Call `fn` once every byte written before this call has been handed to
   * the kernel, or the connection is gone. Later writes do not delay it.
   * Returns a cancel function (a caller that gives up must not leave a waiter behind).
   */
  whenWritten(fn: () => void): () => void {
    const mark = this.bytesSent;
    if (this.closed || this.bytesDone >= mark) {
      fn();
      return () => undefined;
    }
    const w = { mark, fn };
    this.flushWaiters.push(w);
    return () => {
      const i = this.flushWaiters.indexOf(w);
      if (i >= 0) this.flushWaiters.splice(i, 1);
    };
  }

  /** Resolves when the socket is really gone (a flushing close is bounded by CLOSE_FLUSH_MS). */
  whenSocketClosed(): Promise<void> {
    if (this.socket.destroyed && !this.socket.connecting) return Promise.resolve();
    return this.socketClosed;
  }

  /**
   * Close. flush: let queued bytes (a NOTIFICATION) go first, bounded by
   * CLOSE_FLUSH_MS; otherwise destroy at once.
   */
  close(flush: boolean, detail = 'closed locally'): void {
    if (this.closed) return;
    if (!flush || this.socket.destroyed) {
      this.socket.destroy();
      this.finish(detail);
      return;
    }
    this.socket.end();
    this.closeTimer = this.clock.setTimer(CLOSE_FLUSH_MS, () => {
      this.socket.destroy();
      this.finish(detail);
    });
    // From here on nothing read is acted upon.
    this.socket.removeAllListeners('data');
    this.finishSoon(detail);
  }

  /** Destroy now, even while a flushing close() lingers: nothing more goes out, no timer stays behind. */
  destroy(detail = 'destroyed locally'): void {
    this.closeTimer?.cancel();
    this.closeTimer = null;
    this.socket.destroy();
    this.finish(detail);
  }

  private finishSoon(detail: string): void {
    // The owner sees the connection as gone at once; the socket lingers only to flush.
    if (this.closed) return;
    this.closed = true;
    this.releaseWaiters();
    this.emit('close', detail);
    this.socket.once('close', () => {
      this.closeTimer?.cancel();
      this.closeTimer = null;
    });
  }

  private finish(detail: string): void {
    if (this.closeTimer && this.socket.destroyed) {
      this.closeTimer.cancel();
      this.closeTimer = null;
    }
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.destroy();
    this.releaseWaiters();
    this.emit('close', detail);
  }

  private releaseWaiters(): void {
    const w = this.flushWaiters;
    this.flushWaiters = [];
    for (const x of w) x.fn();
  }

  private checkFlushed(): void {
    if (this.flushWaiters.length === 0) return;
    const due = this.flushWaiters.filter((w) => w.mark <= this.bytesDone);
    if (due.length === 0) return;
    this.flushWaiters = this.flushWaiters.filter((w) => w.mark > this.bytesDone);
    for (const w of due) w.fn();
  }

  /**
   * Tell the FSM about write progress (RFC 9687), coalesced: a change of
   * "bytes waiting" always, progress at most every PROGRESS_REPORT_MS (a
   * burst of thousands of write callbacks is one restart of the timer).
   */
  private reportWrite(progress: boolean): void {
    if (this.closed) return;
    const pending = this.socket.writableLength > 0;
    const now = this.clock.now();
    if (pending === this.lastPending && (!progress || now - this.lastProgressReport < PROGRESS_REPORT_MS)) return;
    this.lastPending = pending;
    if (progress) this.lastProgressReport = now;
    this.emit('write-state', pending, progress);
  }

  /**
   * Split the stream into whole messages ourselves and hand them to the
   * parser one by one, so that options negotiated by the OPEN just handled
   * apply to the very next message of the same TCP segment.
   */
  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let data: Uint8Array = chunk;
    if (this.buf.length > 0) {
      const merged = new Uint8Array(this.buf.length + chunk.length);
      merged.set(this.buf, 0);
      merged.set(chunk, this.buf.length);
      data = merged;
    }
    let off = 0;
    while (!this.closed && data.length - off >= 19) {
      const len = (data[off + 16]! << 8) | data[off + 17]!;
      // A length the header check will refuse: hand everything to the parser for the error.
      const take = len < 19 ? data.length - off : len;
      if (data.length - off < take) break;
      this.deliver(data.subarray(off, off + take));
      off += take;
    }
    this.buf = this.closed ? new Uint8Array(0) : data.slice(off);
  }

  private deliver(frame: Uint8Array): void {
    const items = this.parser.push(frame);
    for (const it of items) {
      if (this.closed) return;
      if (it.ok) {
        this.emit('message', it.message, it.problems as unknown[] | undefined);
      } else {
        const e = it.error;
        this.emit('decode-error', { code: e.code, subcode: e.subcode, data: e.data, message: e.message });
        return;
      }
    }
  }
}

export interface ConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
}

/** Start an outgoing connection; the caller bounds it with the FSM's ConnectRetryTimer and destroy(). */
export function connectTcp(o: ConnectOptions): net.Socket {
  return net.connect({
    host: o.host,
    port: o.port,
    ...(o.localAddress ? { localAddress: o.localAddress } : {}),
  });
}

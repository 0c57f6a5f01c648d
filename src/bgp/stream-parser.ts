/**
 * TCP framing for BGP (RFC 4271 4.1, 6.1): takes arbitrary chunks (partial,
 * merged, one octet at a time) and returns whole decoded messages.
 *
 * Options (4-octet AS, extended message, ADD-PATH) change what UPDATEs mean;
 * setOptions() applies to every octet not parsed yet. A legitimate peer cannot
 * put an UPDATE in the same chunk as its OPEN (it may only send UPDATEs once
 * it has our KEEPALIVE, which we send after reading its OPEN), so decoding
 * all complete messages of a chunk at once is safe.
 */
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MARKER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  RouteRefreshSubcode,
} from './constants.js';
import { BgpMessageError, EMPTY, u16, type UpdateProblem, copyBytes } from './errors.js';
import { DEFAULT_CODEC_OPTIONS, decodeBody, maxMessageLength } from './message.js';
import type { BgpMessage, CodecOptions } from './types.js';

// Local copies: imported bindings are slower to read in hot loops under some loaders.
const MT = MessageType;
const EC = ErrorCode;
const HS = HeaderSubcode;

export type ParsedItem =
  | { ok: true; message: BgpMessage; problems?: UpdateProblem[] }
  | { ok: false; error: BgpMessageError; fatal: true };

/** RFC 4271 6.1: the smallest length each message type can have. */
const MIN_LENGTH: Readonly<Record<number, number>> = {
  [MT.OPEN]: 29,
  [MT.UPDATE]: 23,
  [MT.NOTIFICATION]: 21,
  [MT.KEEPALIVE]: 19,
  [MT.ROUTE_REFRESH]: 19, // exact length checked once the whole message is in (RFC 7313 5)
};

const ERROR_CODE_BY_TYPE: Readonly<Record<number, number>> = {
  [MT.OPEN]: EC.OPEN_MESSAGE,
  [MT.UPDATE]: EC.UPDATE_MESSAGE,
  [MT.ROUTE_REFRESH]: EC.ROUTE_REFRESH,
};

export class BgpStreamParser {
  private opts: CodecOptions;
  /** Buffered octets not yet parsed: buf[start, end). */
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private failure: BgpMessageError | null = null;

  constructor(opts: Partial<CodecOptions> = {}) {
    this.opts = { ...DEFAULT_CODEC_OPTIONS, ...opts };
  }

  /** Applies negotiated options to everything parsed from now on. */
  setOptions(o: CodecOptions): void {
    this.opts = { ...o };
  }

  get options(): CodecOptions {
    return this.opts;
  }

  /** The fatal error that stopped this parser, if any. */
  get failed(): BgpMessageError | null {
    return this.failure;
  }

  /** Octets held waiting for the rest of a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Feeds one chunk; returns the messages it completed, in order. After a fatal
   * error (returned as the last item) the session must reset: later input is
   * ignored and push() returns [].
   */
  push(chunk: Uint8Array): ParsedItem[] {
    if (this.failure !== null) return [];
    const items: ParsedItem[] = [];
    let data: Uint8Array;
    let pos: number;
    let end: number;
    if (this.end === this.start) {
      // Nothing buffered: parse straight from the chunk.
      data = chunk;
      pos = 0;
      end = chunk.length;
    } else {
      this.append(chunk);
      data = this.buf;
      pos = this.start;
      end = this.end;
    }
    const max = maxMessageLength(this.opts);
    while (pos < end) {
      const avail = end - pos;
      // RFC 4271 6.1: the marker must be all ones; check octets as soon as they arrive.
      const markerSeen = avail < MARKER_LENGTH ? avail : MARKER_LENGTH;
      for (let i = 0; i < markerSeen; i++) {
        if (data[pos + i] !== 0xff) {
          return this.fail(items, new BgpMessageError(EC.MESSAGE_HEADER, HS.CONNECTION_NOT_SYNCHRONIZED, EMPTY,
            `marker octet ${i} is 0x${data[pos + i]!.toString(16)}, expected 0xff`));
        }
      }
      if (avail < HEADER_LENGTH) break;
      const len = (data[pos + 16]! << 8) | data[pos + 17]!;
      const type = data[pos + 18]!;
      // RFC 8654 4: OPEN stays within 4096 octets even with extended message.
      const limit = type === MT.OPEN ? MAX_MESSAGE_LENGTH : max;
      if (len < HEADER_LENGTH || len > limit) {
        return this.fail(items, new BgpMessageError(EC.MESSAGE_HEADER, HS.BAD_MESSAGE_LENGTH, u16(len),
          `length ${len} outside ${HEADER_LENGTH}..${limit}`));
      }
      const min = MIN_LENGTH[type];
      if (min === undefined) {
        return this.fail(items, new BgpMessageError(EC.MESSAGE_HEADER, HS.BAD_MESSAGE_TYPE, Uint8Array.of(type),
          `unknown message type ${type}`));
      }
      if (len < min || (type === MT.KEEPALIVE && len !== HEADER_LENGTH)) {
        return this.fail(items, new BgpMessageError(EC.MESSAGE_HEADER, HS.BAD_MESSAGE_LENGTH, u16(len),
          `length ${len} is wrong for message type ${type}`));
      }
      if (avail < len) break;
      if (type === MT.ROUTE_REFRESH && len !== 23) {
        // RFC 7313 5: ROUTE-REFRESH Message Error / Invalid Message Length, data = the whole message.
        return this.fail(items, new BgpMessageError(EC.ROUTE_REFRESH, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
          copyBytes(data, pos, pos + len), `ROUTE-REFRESH length ${len}, expected 23`));
      }
      let decoded;
      try {
        decoded = decodeBody(type, data, pos + HEADER_LENGTH, pos + len, this.opts);
      } catch (e) {
        if (e instanceof BgpMessageError) return this.fail(items, e);
        // A decoder bug must not take the daemon down: reset the session with the
        // type's error code, and keep the cause for the logs (the fuzz run counts these).
        const err = new BgpMessageError(ERROR_CODE_BY_TYPE[type] ?? EC.MESSAGE_HEADER, 0, EMPTY,
          `internal decoder error: ${e instanceof Error ? e.message : String(e)}`);
        (err as { cause?: unknown }).cause = e;
        return this.fail(items, err);
      }
      pos += len;
      if (decoded === null) continue;
      items.push(decoded.problems === undefined
        ? { ok: true, message: decoded.message }
        : { ok: true, message: decoded.message, problems: decoded.problems });
    }
    this.keep(data, pos, end);
    return items;
  }

  private fail(items: ParsedItem[], error: BgpMessageError): ParsedItem[] {
    this.failure = error;
    this.buf = new Uint8Array(0);
    this.start = this.end = 0;
    items.push({ ok: false, error, fatal: true });
    return items;
  }

  private append(chunk: Uint8Array): void {
    const have = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (have + chunk.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(have + chunk.length, this.buf.length * 2, 4096));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = have;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Keeps data[pos, end) for the next push (copied: the caller may reuse its chunk). */
  private keep(data: Uint8Array, pos: number, end: number): void {
    if (data === this.buf) {
      this.start = pos;
      if (pos === end) this.start = this.end = 0;
      return;
    }
    const rest = end - pos;
    if (rest === 0) {
      this.start = this.end = 0;
      return;
    }
    if (this.buf.length < rest) this.buf = new Uint8Array(Math.max(rest, 4096));
    this.buf.set(data.subarray(pos, end), 0);
    this.start = 0;
    this.end = rest;
  }
}

/**
 * Whole-message encoding and body decoding (RFC 4271 4.1 header). The stream
 * parser (stream-parser.ts) does the framing and calls decodeBody.
 */
import {
  ErrorCode,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
} from './constants.js';
import { BgpMessageError, type UpdateProblem, copyBytes } from './errors.js';
import { decodeOpen, writeOpen } from './open.js';
import { decodeUpdate } from './update-decode.js';
import { writeUpdate } from './update-encode.js';
import { Writer } from './writer.js';
import type { BgpMessage, CodecOptions, RouteRefreshMessage } from './types.js';

export const DEFAULT_CODEC_OPTIONS: CodecOptions = Object.freeze({ fourOctetAs: false, extendedMessage: false });

/** Reused by encodeMessage, which is synchronous and never re-entered (finish() copies). */
const SCRATCH = new Writer(4096);

export function maxMessageLength(opts: Pick<CodecOptions, 'extendedMessage'>): number {
  return opts.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

export const MESSAGE_TYPE_CODE: Readonly<Record<BgpMessage['type'], number>> = {
  open: MessageType.OPEN,
  update: MessageType.UPDATE,
  notification: MessageType.NOTIFICATION,
  keepalive: MessageType.KEEPALIVE,
  'route-refresh': MessageType.ROUTE_REFRESH,
};

/** Writes the 19-octet header with a length placeholder; returns where to patch it. */
export function writeHeader(w: Writer, type: number): number {
  w.ensure(HEADER_LENGTH);
  w.buf.fill(0xff, w.pos, w.pos + 16);
  w.pos += 16;
  const at = w.reserve(2);
  w.u8(type);
  return at;
}

/**
 * Encodes one message. Lengths are filled in after the body is written.
 * Throws RangeError when the message exceeds 4096 octets (65535 with RFC 8654
 * extended message; OPEN and KEEPALIVE are always limited to 4096, RFC 8654 4),
 * and TypeError for a model value that cannot be put on the wire.
 */
export function encodeMessage(msg: BgpMessage, opts: CodecOptions = DEFAULT_CODEC_OPTIONS): Uint8Array {
  const w = SCRATCH;
  w.pos = 0;
  const start = 0;
  const at = writeHeader(w, MESSAGE_TYPE_CODE[msg.type]);
  switch (msg.type) {
    case 'open':
      writeOpen(msg, w);
      break;
    case 'update':
      writeUpdate(msg, w, opts);
      break;
    case 'notification':
      if (!Number.isInteger(msg.code) || msg.code < 0 || msg.code > 255) throw new TypeError(`invalid error code ${msg.code}`);
      if (!Number.isInteger(msg.subcode) || msg.subcode < 0 || msg.subcode > 255) throw new TypeError(`invalid error subcode ${msg.subcode}`);
      w.u8(msg.code).u8(msg.subcode).bytes(msg.data);
      break;
    case 'keepalive':
      break;
    case 'route-refresh':
      // RFC 2918 3 / RFC 7313 3: AFI (2) Message Subtype (1) SAFI (1)
      w.u16(msg.afi).u8(msg.subtype).u8(msg.safi);
      break;
    default:
      throw new TypeError(`unknown message type ${String((msg as { type: unknown }).type)}`);
  }
  const len = w.pos - start;
  const max = msg.type === 'open' || msg.type === 'keepalive' ? MAX_MESSAGE_LENGTH : maxMessageLength(opts);
  if (len > max) throw new RangeError(`${msg.type} message is ${len} octets, more than the maximum ${max}`);
  w.patch16(at, len);
  return w.finish();
}

export interface DecodedBody {
  message: BgpMessage;
  problems: UpdateProblem[] | undefined;
}

/**
 * Decodes a message body buf[start, end) of the given type. The header checks
 * (marker, length bounds per type) are the stream parser's. Returns null for a
 * message that must be ignored (RFC 7313 5: ROUTE-REFRESH with an unknown subtype).
 */
export function decodeBody(type: number, buf: Uint8Array, start: number, end: number, opts: CodecOptions): DecodedBody | null {
  switch (type) {
    case MessageType.OPEN:
      return { message: decodeOpen(buf, start, end), problems: undefined };
    case MessageType.UPDATE: {
      const d = decodeUpdate(buf, start, end, opts);
      return { message: d.message, problems: d.problems.length > 0 ? d.problems : undefined };
    }
    case MessageType.NOTIFICATION:
      return {
        message: { type: 'notification', code: buf[start]!, subcode: buf[start + 1]!, data: copyBytes(buf, start + 2, end) },
        problems: undefined,
      };
    case MessageType.KEEPALIVE:
      return { message: { type: 'keepalive' }, problems: undefined };
    case MessageType.ROUTE_REFRESH: {
      const subtype = buf[start + 2]!;
      // RFC 7313 5: "When the BGP speaker receives a ROUTE-REFRESH message with a
      // Message Subtype field other than 0, 1, or 2, it MUST ignore the received message."
      if (subtype > 2) return null;
      const m: RouteRefreshMessage = {
        type: 'route-refresh',
        afi: (buf[start]! << 8) | buf[start + 1]!,
        subtype: subtype as 0 | 1 | 2,
        safi: buf[start + 3]!,
      };
      return { message: m, problems: undefined };
    }
    default:
      // The stream parser rejects other types before calling us.
      throw new BgpMessageError(ErrorCode.MESSAGE_HEADER, 3, Uint8Array.of(type), `unknown message type ${type}`);
  }
}

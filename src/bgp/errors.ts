/**
 * Typed decode/validation errors. Each one already names the NOTIFICATION
 * (code, subcode, data) that the session must send, as GoBGP's MessageError does.
 */
import { errorCodeName, errorSubcodeName } from './constants.js';
import type { NotificationMessage } from './types.js';

export class BgpMessageError extends Error {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  /** Path attribute type code at fault, when an UPDATE attribute caused it. */
  readonly attributeType: number | undefined;

  constructor(code: number, subcode: number, data: Uint8Array, reason: string, attributeType?: number) {
    super(`${errorCodeName(code)}/${errorSubcodeName(code, subcode)}: ${reason}`);
    this.name = 'BgpMessageError';
    this.code = code;
    this.subcode = subcode;
    this.data = data;
    this.attributeType = attributeType;
  }

  toNotification(): NotificationMessage {
    return { type: 'notification', code: this.code, subcode: this.subcode, data: this.data };
  }
}

/** RFC 7606 2: the three ways an UPDATE error is handled. */
export type UpdateErrorAction = 'treat-as-withdraw' | 'attribute-discard' | 'session-reset';

/** One problem found in an UPDATE (RFC 7606), reported alongside the adjusted message. */
export interface UpdateProblem {
  /** Path attribute type code at fault; 0 when the problem is not one attribute's (e.g. NLRI field). */
  typeCode: number;
  action: UpdateErrorAction;
  reason: string;
  /** RFC 4271 6.3 code/subcode/data this problem maps to (the NOTIFICATION for 'session-reset'). */
  code?: number;
  subcode?: number;
  data?: Uint8Array;
}

export const EMPTY = new Uint8Array(0);

export function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

/**
 * A plain Uint8Array copy of buf[start, end). (Buffer#slice does not copy, and a
 * decoded message must not keep the socket's buffer alive or see it reused.)
 */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(buf.subarray(start, end));
  return out;
}

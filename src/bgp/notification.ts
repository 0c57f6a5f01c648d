/**
 * NOTIFICATION (RFC 4271 4.5) helpers: human-readable descriptions for logs,
 * including the RFC 9003 shutdown communication, the RFC 4486 maximum-prefix
 * data and the RFC 8538 hard-reset wrapper.
 */
import { CeaseSubcode, ErrorCode, MAX_SHUTDOWN_COMMUNICATION, errorCodeName, errorSubcodeName } from './constants.js';
import type { NotificationMessage } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * RFC 9003 2: Cease Administrative Shutdown / Reset data: a length octet and
 * up to 255 octets of UTF-8. The text is cut on a character boundary, never
 * inside a multi-octet sequence.
 */
export function shutdownCommunication(text: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  let n = Math.min(bytes.length, MAX_SHUTDOWN_COMMUNICATION);
  // Step back over continuation octets (10xxxxxx) so a character is not split.
  if (n < bytes.length) {
    while (n > 0 && (bytes[n]! & 0xc0) === 0x80) n--;
  }
  const out = new Uint8Array(1 + n);
  out[0] = n;
  out.set(bytes.subarray(0, n), 1);
  return out;
}

/**
 * RFC 9003 2: reads the shutdown communication from Cease 2/4 data.
 * Returns undefined when there is none, or a description of why it is invalid.
 */
export function decodeShutdownCommunication(data: Uint8Array): { text: string } | { invalid: string } | undefined {
  if (data.length === 0) return undefined;
  const len = data[0]!;
  if (len === 0) return undefined;
  if (1 + len > data.length) return { invalid: `length ${len} exceeds the ${data.length - 1} octets present` };
  try {
    return { text: utf8.decode(data.subarray(1, 1 + len)) };
  } catch {
    return { invalid: 'not valid UTF-8' };
  }
}

function hex(data: Uint8Array, max = 32): string {
  let s = '';
  for (let i = 0; i < Math.min(data.length, max); i++) s += data[i]!.toString(16).padStart(2, '0');
  return data.length > max ? s + '...' : s;
}

/** Control characters are shown escaped so a peer cannot forge log lines. */
function printable(s: string): string {
  return JSON.stringify(s);
}

/** e.g. `Cease/Administrative Shutdown: "maintenance"`. */
export function describeNotification(n: NotificationMessage): string {
  const base = `${errorCodeName(n.code)}/${errorSubcodeName(n.code, n.subcode)}`;
  const data = n.data;
  if (n.code === ErrorCode.CEASE) {
    if (n.subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || n.subcode === CeaseSubcode.ADMINISTRATIVE_RESET) {
      const c = decodeShutdownCommunication(data);
      if (c === undefined) return base;
      if ('text' in c) return `${base}: ${printable(c.text)}`;
      return `${base} (invalid shutdown communication: ${c.invalid}; data ${hex(data)})`;
    }
    if (n.subcode === CeaseSubcode.MAXIMUM_PREFIXES_REACHED && data.length === 7) {
      // RFC 4486 4: AFI (2) SAFI (1) upper bound (4)
      const afi = (data[0]! << 8) | data[1]!;
      const bound = ((data[3]! << 24) | (data[4]! << 16) | (data[5]! << 8) | data[6]!) >>> 0;
      return `${base}: AFI ${afi} SAFI ${data[2]!} limit ${bound}`;
    }
    if (n.subcode === CeaseSubcode.HARD_RESET && data.length >= 2) {
      // RFC 8538 3: the data is the encapsulated NOTIFICATION: code (1), subcode (1), data.
      return `${base} (${describeNotification({ type: 'notification', code: data[0]!, subcode: data[1]!, data: data.subarray(2) })})`;
    }
  }
  if (n.code === ErrorCode.OPEN_MESSAGE && n.subcode === 1 && data.length === 2) {
    return `${base}: peer supports version ${(data[0]! << 8) | data[1]!}`;
  }
  if (data.length === 0) return base;
  return `${base} (data ${hex(data)})`;
}

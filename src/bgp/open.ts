/**
 * OPEN message body (RFC 4271 4.2) with optional parameters in the classic
 * form or the RFC 9072 extended form. Decoding checks only the syntax;
 * the semantics (version, AS, identifier, hold time) are validateOpen's job.
 */
import { readIpv4, writeIpv4 } from './address.js';
import { decodeCapabilities, writeCapability } from './capabilities.js';
import { ErrorCode, OPT_PARAM_CAPABILITIES, OPT_PARAM_EXTENDED_LENGTH, OpenSubcode } from './constants.js';
import { BgpMessageError, EMPTY, copyBytes } from './errors.js';
import type { Capability, OpenMessage } from './types.js';
import { Writer } from './writer.js';

function malformed(reason: string): BgpMessageError {
  return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSPECIFIC, EMPTY, reason);
}

/** Decodes the OPEN body in buf[start, end) (after the 19-octet header). */
export function decodeOpen(buf: Uint8Array, start: number, end: number): OpenMessage {
  // The stream parser has already enforced length >= 29 (RFC 4271 6.1), i.e. 10 body octets.
  const version = buf[start]!;
  const myAs = (buf[start + 1]! << 8) | buf[start + 2]!;
  const holdTime = (buf[start + 3]! << 8) | buf[start + 4]!;
  const bgpId = readIpv4(buf, start + 5);
  let optLen = buf[start + 9]!;
  let o = start + 10;
  let extended = false;
  // RFC 9072 2: Non-Ext OP Len 255 followed by Non-Ext OP Type 255 means the extended form.
  if (optLen === OPT_PARAM_EXTENDED_LENGTH && o < end && buf[o] === OPT_PARAM_EXTENDED_LENGTH) {
    if (o + 3 > end) throw malformed('extended optional parameters length truncated');
    extended = true;
    optLen = (buf[o + 1]! << 8) | buf[o + 2]!;
    o += 3;
  }
  if (o + optLen !== end) {
    throw malformed(`optional parameters length ${optLen} disagrees with the ${end - o} octets that follow`);
  }
  const capabilities: Capability[] = [];
  const otherParams: { type: number; value: Uint8Array }[] = [];
  const hdr = extended ? 3 : 2;
  while (o < end) {
    if (o + hdr > end) throw malformed('optional parameter header truncated');
    const type = buf[o]!;
    const len = extended ? (buf[o + 1]! << 8) | buf[o + 2]! : buf[o + 1]!;
    o += hdr;
    if (o + len > end) throw malformed(`optional parameter ${type} length ${len} overruns the OPEN`);
    if (type === OPT_PARAM_CAPABILITIES) decodeCapabilities(buf, o, o + len, capabilities);
    else otherParams.push({ type, value: copyBytes(buf, o, o + len) });
    o += len;
  }
  const open: OpenMessage = { type: 'open', version, myAs, holdTime, bgpId, capabilities };
  if (otherParams.length > 0) open.otherParams = otherParams;
  if (extended) open.extendedParams = true;
  return open;
}

/**
 * Writes the OPEN body. All capabilities go in one optional parameter (as BIRD
 * and FRR send them); the RFC 9072 extended form is used when asked for or
 * when the parameters do not fit 255 octets.
 */
export function writeOpen(m: OpenMessage, w: Writer): void {
  w.u8(m.version).u16(m.myAs).u16(m.holdTime);
  w.ensure(4);
  writeIpv4(m.bgpId, w.buf, w.pos);
  w.pos += 4;
  // Encode parameters first in the classic form to learn their size.
  const params: { type: number; value: Uint8Array }[] = [];
  if (m.capabilities.length > 0) {
    const cw = new Writer(64);
    for (const c of m.capabilities) writeCapability(c, cw);
    params.push({ type: OPT_PARAM_CAPABILITIES, value: cw.finish() });
  }
  for (const p of m.otherParams ?? []) params.push(p);
  let classic = 0;
  let fits = true;
  for (const p of params) {
    classic += 2 + p.value.length;
    if (p.value.length > 255) fits = false;
  }
  if (classic > 254) fits = false; // 255 would announce the extended form (RFC 9072 2)
  if (fits && !m.extendedParams) {
    w.u8(classic);
    for (const p of params) w.u8(p.type).u8(p.value.length).bytes(p.value);
    return;
  }
  w.u8(OPT_PARAM_EXTENDED_LENGTH).u8(OPT_PARAM_EXTENDED_LENGTH);
  const at = w.reserve(2);
  const start = w.pos;
  for (const p of params) w.u8(p.type).u16(p.value.length).bytes(p.value);
  w.patch16(at, w.pos - start);
}

/**
 * Capabilities (RFC 5492) carried in OPEN optional parameter 2: decoding,
 * encoding and lookup. Unknown capabilities are kept as raw bytes.
 */
import { CapabilityCode, ErrorCode, OpenSubcode } from './constants.js';
import { BgpMessageError, EMPTY, copyBytes } from './errors.js';
import type { Capability } from './types.js';
import type { Writer } from './writer.js';

function malformed(code: number, reason: string): BgpMessageError {
  // RFC 5492 does not name a subcode for a malformed capability; like GoBGP and
  // BIRD we answer OPEN Message Error with the Unspecific subcode (0).
  return new BgpMessageError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSPECIFIC, EMPTY, `capability ${code}: ${reason}`);
}

function expectLength(code: number, len: number, want: number): void {
  if (len !== want) throw malformed(code, `length ${len}, expected ${want}`);
}

/** Decodes the capability TLVs in buf[start, end). */
export function decodeCapabilities(buf: Uint8Array, start: number, end: number, out: Capability[]): void {
  let o = start;
  while (o < end) {
    if (o + 2 > end) throw malformed(buf[o]!, 'capability header truncated');
    const code = buf[o]!;
    const len = buf[o + 1]!;
    o += 2;
    if (o + len > end) throw malformed(code, `length ${len} overruns the optional parameter`);
    out.push(decodeCapability(code, buf, o, len));
    o += len;
  }
}

function rd16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function decodeCapability(code: number, b: Uint8Array, o: number, len: number): Capability {
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      // RFC 4760 8: AFI (2), Reserved (1), SAFI (1)
      expectLength(code, len, 4);
      return { code: 1, name: 'multiprotocol', afi: rd16(b, o), safi: b[o + 3]! };
    case CapabilityCode.ROUTE_REFRESH:
      expectLength(code, len, 0);
      return { code: 2, name: 'route-refresh' };
    case CapabilityCode.EXTENDED_MESSAGE:
      expectLength(code, len, 0);
      return { code: 6, name: 'extended-message' };
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      expectLength(code, len, 0);
      return { code: 70, name: 'enhanced-route-refresh' };
    case CapabilityCode.FOUR_OCTET_AS:
      // RFC 6793 3: the 4-octet AS number
      expectLength(code, len, 4);
      return { code: 65, name: 'four-octet-as', asn: ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0 };
    case CapabilityCode.GRACEFUL_RESTART: {
      // RFC 4724 3: Restart Flags (4 bits) Restart Time (12 bits), then AFI (2) SAFI (1) Flags (1) per family
      if (len < 2 || (len - 2) % 4 !== 0) throw malformed(code, `length ${len}, expected 2 + 4 per family`);
      const families: { afi: number; safi: number; forwardingPreserved: boolean }[] = [];
      for (let p = o + 2; p < o + len; p += 4) {
        families.push({ afi: rd16(b, p), safi: b[p + 2]!, forwardingPreserved: (b[p + 3]! & 0x80) !== 0 });
      }
      return { code: 64, name: 'graceful-restart', restartFlags: b[o]! >>> 4, restartTime: rd16(b, o) & 0x0fff, families };
    }
    case CapabilityCode.ADD_PATH: {
      // RFC 7911 4: AFI (2) SAFI (1) Send/Receive (1), repeated
      if (len === 0 || len % 4 !== 0) throw malformed(code, `length ${len}, expected a non-zero multiple of 4`);
      const families: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[] = [];
      for (let p = o; p < o + len; p += 4) {
        const sr = b[p + 3]!;
        // RFC 7911 4: any other Send/Receive value: treat the capability as not received.
        if (sr < 1 || sr > 3) return { code, name: 'unknown', value: copyBytes(b, o, o + len) };
        families.push({ afi: rd16(b, p), safi: b[p + 2]!, sendReceive: sr as 1 | 2 | 3 });
      }
      return { code: 69, name: 'add-path', families };
    }
    default:
      return { code, name: 'unknown', value: copyBytes(b, o, o + len) };
  }
}

/** Writes one capability TLV (code, length, value). */
export function writeCapability(c: Capability, w: Writer): void {
  w.u8(c.code);
  const at = w.reserve(1);
  const start = w.pos;
  switch (c.name) {
    case 'multiprotocol':
      w.u16(c.afi).u8(0).u8(c.safi);
      break;
    case 'route-refresh':
    case 'extended-message':
    case 'enhanced-route-refresh':
      break;
    case 'four-octet-as':
      w.u32(c.asn);
      break;
    case 'graceful-restart':
      w.u16(((c.restartFlags & 0x0f) << 12) | (c.restartTime & 0x0fff));
      for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingPreserved ? 0x80 : 0);
      break;
    case 'add-path':
      for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(f.sendReceive);
      break;
    case 'unknown':
      w.bytes(c.value ?? EMPTY);
      break;
  }
  const len = w.pos - start;
  if (len > 255) throw new RangeError(`capability ${c.code} is ${len} octets, more than 255`);
  w.patch8(at, len);
}

export function findCapability<N extends Capability['name']>(
  caps: readonly Capability[],
  name: N,
): Extract<Capability, { name: N }> | undefined {
  return caps.find((c) => c.name === name) as Extract<Capability, { name: N }> | undefined;
}

/**
 * The UPDATE builder: packs every prefix that shares attributes into as few
 * UPDATEs as fit the negotiated maximum size (RFC 4271 4.3 / RFC 8654),
 * IPv4 in the NLRI field, IPv6 in MP_REACH_NLRI (RFC 4760 3, RFC 2545 3).
 * Withdrawals: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH_NLRI.
 * Also End-of-RIB markers (RFC 4724 2).
 */
import { AttrType, HEADER_LENGTH, MessageType } from './constants.js';
import { maxMessageLength, writeHeader } from './message.js';
import { prefixWireLength, writePrefix } from './nlri.js';
import { familyKey } from './update-decode.js';
import { beginAttr, endAttr, writeAttributes, writeMpReachHead } from './update-encode.js';
import { Writer, copyOut } from './writer.js';
import { AFI_IPV4, AFI_IPV6, SAFI_UNICAST, type CodecOptions, type PathAttributes, type Prefix, type UpdateMessage } from './types.js';

// Local copies: imported bindings are slower to read in hot loops under some loaders.
const AT = AttrType;
const MT = MessageType;

export interface AnnounceGroup {
  /**
   * Attributes shared by every prefix of the group: ORIGIN, AS_PATH, NEXT_HOP
   * (required when the group has IPv4 prefixes), MED, communities, ...
   * Leave mpReach/mpUnreach out: the builder writes them.
   */
  attributes: PathAttributes;
  /** IPv4 and/or IPv6 unicast prefixes. */
  prefixes: Prefix[];
  /** IPv6 next hops, required when the group has IPv6 prefixes: [global] or [global, link-local]. */
  ipv6NextHops?: string[];
}

export interface BuildUpdatesInput {
  announce: AnnounceGroup[];
  withdraw: Prefix[];
}

/** 19 header + 2 Withdrawn Routes Length + 2 Total Path Attribute Length. */
const UPDATE_OVERHEAD = HEADER_LENGTH + 4;
/** Flags, type and a 2-octet length. */
const ATTR_HEADER_EXT = 4;

/** Reused between calls (the builder is synchronous and does not call out). */
const MESSAGE_SCRATCH = new Writer(65535 + 64);
const ATTR_SCRATCH = new Writer(4096);

/**
 * Encodes the UPDATEs for a set of announcements and withdrawals. Withdrawals
 * come first, then each group in order, so a prefix both withdrawn and
 * announced ends up announced. Throws TypeError for an unusable group (missing
 * next hop, bad prefix) and RangeError when the shared attributes alone leave
 * no room for a prefix.
 */
export function buildUpdates(input: BuildUpdatesInput, opts: CodecOptions): Uint8Array[] {
  const max = maxMessageLength(opts);
  const out: Uint8Array[] = [];
  const w = MESSAGE_SCRATCH;
  w.pos = 0;
  const addPath4 = opts.addPathSend?.has(familyKey(AFI_IPV4, SAFI_UNICAST)) ?? false;
  const addPath6 = opts.addPathSend?.has(familyKey(AFI_IPV6, SAFI_UNICAST)) ?? false;

  const w4: Prefix[] = [];
  const w6: Prefix[] = [];
  for (const p of input.withdraw) (p.afi === AFI_IPV6 ? w6 : w4).push(p);

  // IPv4 withdrawals: Withdrawn Routes field only.
  packPrefixes(w4, addPath4, max - UPDATE_OVERHEAD, (write) => {
    const at = writeHeader(w, MT.UPDATE);
    const wr = w.reserve(2);
    write();
    w.patch16(wr, w.pos - wr - 2);
    w.u16(0);
    w.patch16(at, w.pos);
  }, w, out);

  // IPv6 withdrawals: one MP_UNREACH_NLRI per UPDATE.
  packPrefixes(w6, addPath6, max - UPDATE_OVERHEAD - ATTR_HEADER_EXT - 3, (write) => {
    const at = writeHeader(w, MT.UPDATE);
    w.u16(0);
    const al = w.reserve(2);
    const mp = beginAttr(w, 0x80, AT.MP_UNREACH_NLRI);
    w.u16(AFI_IPV6).u8(SAFI_UNICAST);
    write();
    endAttr(w, mp);
    w.patch16(al, w.pos - al - 2);
    w.patch16(at, w.pos);
  }, w, out);

  for (const g of input.announce) {
    if (g.attributes.mpReach !== undefined || g.attributes.mpUnreach !== undefined) {
      throw new TypeError('buildUpdates: give IPv6 next hops as ipv6NextHops, not mpReach/mpUnreach in attributes');
    }
    const v4 = g.prefixes.filter((p) => p.afi === AFI_IPV4);
    const v6 = g.prefixes.filter((p) => p.afi === AFI_IPV6);
    if (v4.length > 0) {
      if (g.attributes.nextHop === undefined) throw new TypeError('buildUpdates: IPv4 prefixes need attributes.nextHop');
      const aw = ATTR_SCRATCH;
      aw.pos = 0;
      writeAttributes(g.attributes, aw, opts);
      const attrs = aw.finish();
      packPrefixes(v4, addPath4, max - UPDATE_OVERHEAD - attrs.length, (write) => {
        const at = writeHeader(w, MT.UPDATE);
        w.u16(0).u16(attrs.length).bytes(attrs);
        write();
        w.patch16(at, w.pos);
      }, w, out);
    }
    if (v6.length > 0) {
      const nextHops = g.ipv6NextHops;
      if (nextHops === undefined || nextHops.length === 0) throw new TypeError('buildUpdates: IPv6 prefixes need ipv6NextHops');
      // RFC 4760 3: an UPDATE whose only NLRI is in MP_REACH_NLRI should not carry NEXT_HOP.
      const attrs: PathAttributes = { ...g.attributes };
      delete attrs.nextHop;
      const bw = new Writer(256);
      writeAttributes(attrs, bw, opts, (t) => t < AT.MP_REACH_NLRI);
      const before = bw.finish();
      const fw = new Writer(256);
      writeAttributes(attrs, fw, opts, (t) => t > AT.MP_REACH_NLRI);
      const after = fw.finish();
      const hw = new Writer(64);
      writeMpReachHead(hw, AFI_IPV6, SAFI_UNICAST, nextHops);
      const head = hw.finish();
      const room = max - UPDATE_OVERHEAD - before.length - after.length - ATTR_HEADER_EXT - head.length;
      packPrefixes(v6, addPath6, room, (write) => {
        const at = writeHeader(w, MT.UPDATE);
        w.u16(0);
        const al = w.reserve(2);
        w.bytes(before);
        const mp = beginAttr(w, 0x80, AT.MP_REACH_NLRI);
        w.bytes(head);
        write();
        endAttr(w, mp);
        w.bytes(after);
        w.patch16(al, w.pos - al - 2);
        w.patch16(at, w.pos);
      }, w, out);
    }
  }
  return out;
}

/**
 * Splits `prefixes` into runs that fit `room` octets and emits one message per
 * run through `frame`, which writes everything around the prefixes and calls
 * write() where they go.
 */
function packPrefixes(
  prefixes: readonly Prefix[],
  addPath: boolean,
  room: number,
  frame: (write: () => void) => void,
  w: Writer,
  out: Uint8Array[],
): void {
  let i = 0;
  const n = prefixes.length;
  if (n === 0) return;
  while (i < n) {
    w.pos = 0;
    const first = i;
    frame(() => {
      let used = 0;
      while (i < n) {
        const p = prefixes[i]!;
        const len = prefixWireLength(p, addPath);
        if (used + len > room) break;
        w.pos = writePrefix(p, w.buf, w.pos, addPath);
        used += len;
        i++;
      }
    });
    if (i === first) throw new RangeError(`prefix ${prefixes[i]!.addr}/${prefixes[i]!.len} does not fit in an UPDATE`);
    out.push(copyOut(w.buf, w.pos));
  }
}

/** RFC 4724 2: the End-of-RIB marker: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise. */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === AFI_IPV4 && safi === SAFI_UNICAST) return { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  return { type: 'update', withdrawn: [], attributes: { mpUnreach: { afi, safi, withdrawn: [] } }, nlri: [] };
}

/**
 * The family an End-of-RIB marker is for, or null when the UPDATE is not one.
 * Check ParsedItem.problems first: an UPDATE emptied by treat-as-withdraw is not an End-of-RIB.
 */
export function endOfRibFamily(u: UpdateMessage): { afi: number; safi: number } | null {
  if (u.withdrawn.length !== 0 || u.nlri.length !== 0) return null;
  const keys = Object.keys(u.attributes).filter((k) => (u.attributes as Record<string, unknown>)[k] !== undefined);
  if (keys.length === 0) return { afi: AFI_IPV4, safi: SAFI_UNICAST };
  const un = u.attributes.mpUnreach;
  if (keys.length === 1 && un !== undefined && un.withdrawn.length === 0) return { afi: un.afi, safi: un.safi };
  return null;
}

export function isEndOfRib(u: UpdateMessage): boolean {
  return endOfRibFamily(u) !== null;
}

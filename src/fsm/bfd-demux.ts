/**
 * Session selection for received packets, RFC 5880 6.8.6 checks 7-9 and RFC 5881 3 / RFC 5883 3:
 * by Your Discriminator when it is nonzero, otherwise by the source (and destination) address
 * and the hop mode. Also allocates random, unique local discriminators (RFC 5880 6.8.1).
 */
import { BfdState, type DiscardReason } from '../bfd/constants.js';
import type { BfdControlPacket } from '../bfd/packet.js';

export interface PathKey {
  peer: string;
  /** Local address the session is bound to, when configured. */
  local?: string | undefined;
  multihop: boolean;
}

export type DemuxResult<S> = { ok: true; session: S } | { ok: false; reason: DiscardReason; session?: S };

interface Entry<S> {
  session: S;
  discr: number;
  path: PathKey;
}

export class BfdDemux<S> {
  private readonly byDiscr = new Map<number, Entry<S>>();
  private readonly byPath = new Map<string, Entry<S>>();

  /** `randomU32` must be a uniform 32-bit source (crypto in production, seeded in tests). */
  constructor(private readonly randomU32: () => number) {}

  /** RFC 5880 6.8.1: bfd.LocalDiscr is nonzero and unique; we draw it at random. */
  allocateDiscriminator(): number {
    for (let i = 0; i < 1000; i++) {
      const d = this.randomU32() >>> 0;
      if (d !== 0 && !this.byDiscr.has(d)) return d;
    }
    throw new Error('BFD: could not allocate a unique local discriminator');
  }

  add(discr: number, path: PathKey, session: S): void {
    if (discr === 0 || this.byDiscr.has(discr)) throw new RangeError(`BFD: discriminator ${discr} is zero or in use`);
    const k = pathKey(path);
    if (this.byPath.has(k)) throw new RangeError(`BFD: a session for ${k} exists`);
    const e = { session, discr, path: { ...path } };
    this.byDiscr.set(discr, e);
    this.byPath.set(k, e);
  }

  remove(discr: number): void {
    const e = this.byDiscr.get(discr);
    if (!e) return;
    this.byDiscr.delete(discr);
    this.byPath.delete(pathKey(e.path));
  }

  get size(): number {
    return this.byDiscr.size;
  }

  /** The session configured for a source, used to attribute transport-level discards. */
  bySource(src: { peer: string; local?: string | undefined; multihop: boolean }): S | undefined {
    const exact =
      this.byPath.get(pathKey({ peer: src.peer, local: src.local, multihop: src.multihop }))?.session ??
      this.byPath.get(pathKey({ peer: src.peer, multihop: src.multihop }))?.session;
    if (exact !== undefined || src.local !== undefined) return exact;
    // Our address unknown (no raw socket): the only session for this peer and hop mode, if one.
    let found: S | undefined;
    for (const e of this.byPath.values()) {
      if (e.path.peer !== src.peer || e.path.multihop !== src.multihop) continue;
      if (found !== undefined) return undefined; // ambiguous
      found = e.session;
    }
    return found;
  }

  /**
   * Select the session for a decoded packet. `src.local` is the destination address of the
   * received packet (our address), when known.
   */
  lookup(pkt: BfdControlPacket, src: { peer: string; local?: string | undefined; multihop: boolean }): DemuxResult<S> {
    if (pkt.yourDiscr !== 0) {
      // RFC 5880 6.8.6: "If the Your Discriminator field is nonzero, it MUST be used to select
      // the session with which this BFD packet is associated. If no session is found, the packet
      // MUST be discarded."
      const e = this.byDiscr.get(pkt.yourDiscr);
      if (!e) return { ok: false, reason: 'unknown-your-discriminator', session: this.bySource(src) };
      // RFC 5881 3 / RFC 5883: the hop mode is part of the session's identity.
      if (e.path.multihop !== src.multihop) return { ok: false, reason: 'wrong-hop-mode', session: e.session };
      return { ok: true, session: e.session };
    }
    // RFC 5880 6.8.6: "If the Your Discriminator field is zero and the State field is not Down or
    // AdminDown, the packet MUST be discarded."
    if (pkt.state !== BfdState.Down && pkt.state !== BfdState.AdminDown) {
      return { ok: false, reason: 'your-discriminator-zero-state', session: this.bySource(src) };
    }
    // RFC 5880 6.8.6: "If the Your Discriminator field is zero, the session MUST be selected based
    // on some combination of other fields, possibly including source addressing information";
    // RFC 5881 3: by source address (and interface) for single hop; RFC 5883 3: by address pair.
    const s = this.bySource(src);
    if (s === undefined) return { ok: false, reason: 'no-session' };
    return { ok: true, session: s };
  }
}

function pathKey(p: PathKey): string {
  return `${p.multihop ? 'multihop' : 'single'}|${p.peer}|${p.local ?? '*'}`;
}

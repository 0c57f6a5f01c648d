/**
 * RFC 4271 6.8 connection collision resolution, as a pure function.
 */

/** BGP Identifier (dotted quad) as an unsigned 32-bit integer, host byte order. */
export function bgpIdToNumber(id: string): number {
  const parts = id.split('.');
  if (parts.length !== 4) throw new Error(`not a BGP identifier: ${id}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) throw new Error(`not a BGP identifier: ${id}`);
    const v = Number(p);
    if (v > 255) throw new Error(`not a BGP identifier: ${id}`);
    n = n * 256 + v;
  }
  return n;
}

export type Direction = 'outgoing' | 'incoming';

/**
 * Which of two colliding connections to keep.
 * RFC 4271 6.8: "If the value of the local BGP Identifier is less than the
 * remote one, the local system closes the BGP connection that already exists
 * (the one that is already in the OpenConfirm state), and accepts the BGP
 * connection initiated by the remote system." Read together with the
 * comparison "as if they were host-ordered 4-octet unsigned integers", the
 * connection initiated by the speaker with the higher identifier survives.
 * RFC 6286 2.3: with equal identifiers (allowed between different ASes) the
 * speaker with the larger AS number wins.
 */
export function collisionSurvivor(localId: string, remoteId: string, localAsn: number, remoteAsn: number): Direction {
  const l = bgpIdToNumber(localId);
  const r = bgpIdToNumber(remoteId);
  if (l !== r) return l > r ? 'outgoing' : 'incoming';
  return localAsn > remoteAsn ? 'outgoing' : 'incoming';
}

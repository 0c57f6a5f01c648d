/**
 * How BFD state drives the BGP session (RFC 5882, RFC 9384). Pure rules, so the daemon's
 * wiring is a one-liner and the rules are tested here.
 */
import type { BfdStateName } from './constants.js';

/** RFC 9384: Cease (6) subcode 10, "BFD Down". */
export const CEASE = 6;
export const CEASE_BFD_DOWN = 10;

export interface BfdStateChange {
  state: BfdStateName;
  previous: BfdStateName;
  wasUp: boolean;
  remoteState: BfdStateName;
  diag: number;
  /** Set by the manager when the change was not seen on the wire (e.g. 'worker-exited'). */
  reason?: string;
}

/**
 * True when this change must tear the BGP session down at once with Cease/10: the BFD session
 * was Up and is now Down. Not when the peer said AdminDown: RFC 5882 3.2, an administratively
 * disabled BFD session on the other side is not a path failure. Our own AdminDown (remove,
 * stop) is not a failure either: the BGP side is being stopped or reconfigured by us.
 */
export function bfdChangeResetsBgp(ev: BfdStateChange): boolean {
  if (!ev.wasUp || ev.state !== 'down') return false;
  if (ev.remoteState === 'admin-down' && ev.reason === undefined) return false;
  return true;
}

/**
 * Whether BGP must be held down (not started / kept idle) because of BFD. A BFD session that
 * never came up holds BGP down only with `strict: true`; with strict, BGP runs only while BFD
 * is Up.
 */
export function bfdHoldsBgpDown(strict: boolean, bfd: { state: BfdStateName } | undefined): boolean {
  if (!strict) return false;
  return bfd?.state !== 'up';
}

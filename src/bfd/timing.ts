/**
 * BFD timing rules as pure functions, RFC 5880 sections 6.8.2-6.8.4 and 6.8.7.
 * Intervals on the wire are microseconds; timers run in milliseconds.
 */
import { BFD_SLOW_TX_MS } from './constants.js';

/**
 * RFC 5880 6.8.7: the transmit interval is the larger of bfd.DesiredMinTxInterval and
 * bfd.RemoteMinRxInterval (microseconds).
 */
export function negotiatedTxUs(desiredMinTxUs: number, remoteMinRxUs: number): number {
  return Math.max(desiredMinTxUs, remoteMinRxUs);
}

/**
 * RFC 5880 6.8.4 (Asynchronous mode): the Detection Time is the Detect Mult received from
 * the remote system multiplied by the agreed transmit interval of the remote system, the
 * greater of bfd.RequiredMinRxInterval and the last received Desired Min TX Interval.
 * Returns microseconds.
 */
export function detectionTimeUs(remoteDetectMult: number, requiredMinRxUs: number, remoteDesiredMinTxUs: number): number {
  return remoteDetectMult * Math.max(requiredMinRxUs, remoteDesiredMinTxUs);
}

/**
 * RFC 5880 6.8.7: the interval between transmitted packets is reduced by a random 0-25%
 * (so 75-100% of the negotiated interval), and by 10-25% (75-90%) when bfd.DetectMult is 1.
 * `random` returns a number in [0, 1).
 */
export function jitteredIntervalMs(intervalMs: number, detectMult: number, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 0.999999);
  const maxFraction = detectMult === 1 ? 0.9 : 1.0;
  return intervalMs * (0.75 + r * (maxFraction - 0.75));
}

/**
 * The slow interval advertised while not Up: RFC 5880 6.8.3 requires bfd.DesiredMinTxInterval
 * of at least one second; we advertise 1 s / 0.75 so that even after the 25% jitter reduction of
 * 6.8.7 no two periodic packets are less than one second apart, and what we advertise is what
 * we do (the peer's detection time is computed from it).
 */
export const SLOW_DESIRED_MIN_TX_US = Math.ceil((BFD_SLOW_TX_MS * 1000) / 0.75);

/**
 * RFC 5880 6.8.3: while the session is not Up, bfd.DesiredMinTxInterval MUST be at least one
 * second. Returns the value to advertise and use (microseconds).
 */
export function effectiveDesiredMinTxUs(configuredUs: number, up: boolean): number {
  return up ? configuredUs : Math.max(configuredUs, SLOW_DESIRED_MIN_TX_US);
}

export const msToUs = (ms: number): number => Math.round(ms * 1000);
export const usToMs = (us: number): number => us / 1000;

/**
 * The `announce` step of the route applier (src/host/apply.ts): hand the
 * desired routes to the speaker, then wait, bounded, until the UPDATEs are
 * written (speaker.flushed: handed to the kernel on every Established peer's
 * socket). Only after that does the applier remove the floating addresses of
 * withdrawn prefixes, so the address never disappears while the route that
 * attracts traffic to it is still announced (ExaBGP issue 993 removed it first).
 *
 * When the UPDATEs are not written within the bound (a peer that stops reading
 * its socket), we log a warning and let the applier remove the addresses
 * anyway. Why not keep them until the withdraw is out: the withdraw is already
 * queued in the session and cannot be taken back; a peer that reads nothing
 * for this long is torn down by our SendHoldTime (RFC 9687) or its hold timer
 * (RFC 4271 6.5), which withdraws our routes at its side anyway; and keeping
 * an address we own without bound would leave state nobody asked for and hold
 * up every later change (the applier is serialized), including announcing
 * again once healthy. The bound is what a stuck peer can cost: a few seconds
 * of traffic to an address this appliance no longer holds.
 */
import type { Logger } from 'pino';
import type { Announcement, SpeakerPort } from './ports.js';

/** Default bound on the wait for the UPDATEs to be written, ms. */
export const FLUSH_TIMEOUT_MS = 5000;
/** Extra time given to flushed() beyond its own bound before we stop waiting for it. */
const BACKSTOP_GRACE_MS = 1000;

export interface FlushingAnnounceOptions {
  logger: Logger;
  timeoutMs?: number;
}

/**
 * `announce` for RouteApplier: speaker.set(routes), then await speaker.flushed(bound).
 * A set() that throws rejects (the applier keeps the addresses and retries); a false
 * or failing flushed() is a warning and resolves.
 */
export function flushingAnnounce(
  speaker: () => Pick<SpeakerPort, 'set' | 'flushed'> | undefined,
  o: FlushingAnnounceOptions,
): (routes: Announcement[]) => Promise<void> {
  const timeoutMs = o.timeoutMs ?? FLUSH_TIMEOUT_MS;
  return async (routes) => {
    const s = speaker();
    if (!s) throw new Error('no speaker');
    s.set(routes);
    let written: boolean;
    let guard: NodeJS.Timeout | undefined;
    try {
      // flushed() is bounded by contract; this backstop keeps a broken one from wedging the
      // applier (and with it stop()): a real timer, since an injected clock may not advance.
      const backstop = new Promise<boolean>((r) => {
        guard = setTimeout(() => r(false), timeoutMs + BACKSTOP_GRACE_MS);
        guard.unref();
      });
      written = await Promise.race([s.flushed(timeoutMs), backstop]);
    } catch (e) {
      o.logger.warn({ event: 'flush-failed', err: (e as Error).message }, 'cannot wait for the UPDATEs to be written');
      written = false;
    }
    clearTimeout(guard);
    if (!written) {
      o.logger.warn(
        { event: 'updates-not-written', timeoutMs, announced: routes.map((r) => r.prefix) },
        'UPDATEs not written to every peer within the bound (a peer is not reading); floating addresses of withdrawn prefixes are removed anyway',
      );
    }
  };
}

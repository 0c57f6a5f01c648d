/**
 * Applies a set of announcements in the order that never blackholes:
 *   1. floating addresses for the prefixes to announce are put on the loopback;
 *   2. the announcements are handed to the speaker, and we wait until the UPDATEs
 *      (announces and withdraws) have been written;
 *   3. only then are the addresses of withdrawn prefixes removed.
 * A prefix whose address cannot be added is not announced (the appliance would attract
 * traffic for an address it does not hold); that is retried every `retryMs`.
 * Calls are serialized: the latest desired state always wins, none is applied twice.
 */
import pino, { type Logger } from 'pino';
import type { Announcement } from '../policy/types.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { LoopbackManager } from './loopback.js';

export interface RouteApplierOptions {
  /** Hand the announcements to the speaker; resolve once the resulting UPDATEs are written (or no peer is up). */
  announce: (routes: Announcement[]) => Promise<void> | void;
  loopback?: LoopbackManager;
  logger?: Logger;
  clock?: Clock;
  retryMs?: number;
}

export class RouteApplier {
  private readonly log: Logger;
  private readonly clock: Clock;
  private desired: Announcement[] = [];
  private applied: Announcement[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private retry: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly o: RouteApplierOptions) {
    this.log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'apply' });
    this.clock = o.clock ?? systemClock;
  }

  /** Desired announcements (policy `change`). Resolves when this state (or a later one) is applied. */
  apply(routes: readonly Announcement[]): Promise<void> {
    this.desired = routes.map((r) => ({ ...r }));
    return this.kick();
  }

  /** What was last handed to the speaker (minus prefixes whose address could not be added). */
  current(): Announcement[] {
    return this.applied.map((r) => ({ ...r }));
  }

  /** Withdraw everything, then remove the addresses we added. For shutdown. */
  async close(): Promise<void> {
    this.retry?.cancel();
    this.retry = undefined;
    await this.apply([]);
    this.closed = true;
    await this.o.loopback?.releaseAll();
  }

  private kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.step();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async step(): Promise<void> {
    if (this.closed) return;
    const want = this.desired;
    let failed: string[] = [];
    if (this.o.loopback && want.length > 0) {
      try {
        failed = await this.o.loopback.ensure(want.map((r) => r.prefix));
      } catch (err) {
        this.log.error({ event: 'loopback-error', error: String(err) }, 'loopback update failed');
        failed = want.map((r) => r.prefix);
      }
    }
    const routes = want.filter((r) => !failed.includes(r.prefix));
    if (failed.length > 0) {
      this.log.error({ event: 'not-announced', prefixes: failed }, 'floating address missing: prefix not announced, will retry');
      this.scheduleRetry();
    }
    const before = new Set(this.applied.map((r) => r.prefix));
    try {
      await this.o.announce(routes.map((r) => ({ ...r })));
    } catch (err) {
      // Unknown whether the withdraw went out: keep addresses, try again later.
      this.log.error({ event: 'announce-error', error: String(err) }, 'speaker did not take the announcements');
      this.scheduleRetry();
      return;
    }
    this.applied = routes;
    const now = new Set(routes.map((r) => r.prefix));
    const withdrawn = [...before].filter((p) => !now.has(p));
    if (this.o.loopback && withdrawn.length > 0) {
      try {
        await this.o.loopback.release(withdrawn);
      } catch (err) {
        this.log.error({ event: 'loopback-error', error: String(err) }, 'loopback release failed');
      }
    }
  }

  private scheduleRetry(): void {
    if (this.retry || this.closed) return;
    this.retry = this.clock.setTimer(this.o.retryMs ?? 5000, () => {
      this.retry = undefined;
      void this.kick();
    });
  }
}

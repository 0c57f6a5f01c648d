/**
 * systemd watchdog keep-alive (sd_watchdog_enabled(3), systemd.service(5)
 * WatchdogSec=). Pings WATCHDOG=1 at half the interval the unit asked for,
 * from a timer on the main event loop: if the loop blocks (a busy loop, a
 * synchronous call that never returns), the pings stop and systemd kills and
 * restarts the service (Restart=on-failure covers watchdog timeouts).
 *
 * Deliberately NOT a worker thread: a worker would keep pinging while the
 * loop that runs the BGP sessions is dead, which is the lie the watchdog is
 * there to catch.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Notifier, NotifyLogger } from './sdnotify.js';

export interface WatchdogOptions {
  notifier: Pick<Notifier, 'watchdog' | 'watchdogUsec'>;
  /** Ping period override in ms (default: watchdogUsec / 2). */
  periodMs?: number;
  /**
   * Optional liveness probe run before each ping. Return true to ping, or a
   * reason string to withhold the ping (systemd then restarts the service
   * once WatchdogSec passes without one). Use it for parts that can die
   * without blocking the loop, e.g. the BFD worker thread.
   */
  healthy?: () => true | string;
  /** Injected clock (tests). Default: real, unref'd timers that never keep the process alive. */
  clock?: Clock;
  logger?: NotifyLogger;
}

export interface WatchdogStatus {
  enabled: boolean;
  periodMs: number;
  pings: number;
  /** Largest delay of a tick past its due time, ms: how long the event loop was stalled. */
  maxLagMs: number;
  withheld: string | undefined;
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export class Watchdog {
  readonly enabled: boolean;
  readonly periodMs: number;
  private readonly clock: Clock;
  private timer: TimerHandle | undefined;
  private due = 0;
  private pings = 0;
  private maxLagMs = 0;
  private withheld: string | undefined;
  private running = false;

  constructor(private readonly opts: WatchdogOptions) {
    const usec = opts.notifier.watchdogUsec;
    this.enabled = usec !== undefined && usec > 0;
    // sd_watchdog_enabled(3): "daemons should ... send WATCHDOG=1 ... at half the interval".
    const half = usec === undefined ? 0 : Math.floor(usec / 2000);
    this.periodMs = Math.max(1, opts.periodMs ?? half);
    this.clock = opts.clock ?? realClock;
  }

  /** Sends a first ping at once, then one per period. No-op when systemd armed no watchdog. */
  start(): void {
    if (!this.enabled || this.running) return;
    this.running = true;
    this.opts.logger?.debug({ periodMs: this.periodMs }, 'watchdog started');
    this.due = this.clock.now();
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  status(): WatchdogStatus {
    return { enabled: this.enabled, periodMs: this.periodMs, pings: this.pings, maxLagMs: this.maxLagMs, withheld: this.withheld };
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.clock.now();
    const lag = Math.max(0, now - this.due);
    if (lag > this.maxLagMs) this.maxLagMs = lag;
    if (lag > this.periodMs / 2) {
      // The loop was blocked for a large part of the budget: worth a line even if we recover.
      this.opts.logger?.warn({ lagMs: Math.round(lag), periodMs: this.periodMs }, 'event loop stalled');
    }
    let verdict: true | string = true;
    try {
      verdict = this.opts.healthy ? this.opts.healthy() : true;
    } catch (err) {
      verdict = `liveness probe threw: ${(err as Error).message}`;
    }
    if (verdict === true) {
      if (this.withheld !== undefined) this.opts.logger?.warn({ was: this.withheld }, 'watchdog pings resumed');
      this.withheld = undefined;
      if (this.opts.notifier.watchdog()) this.pings++;
    } else if (this.withheld !== verdict) {
      this.withheld = verdict;
      this.opts.logger?.error({ reason: verdict }, 'watchdog ping withheld; systemd will restart the service');
    }
    this.due = now + this.periodMs;
    this.timer = this.clock.setTimer(this.periodMs, () => this.tick());
  }
}

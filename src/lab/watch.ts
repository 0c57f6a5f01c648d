/**
 * Observers for the lab: the route the "VPC" installs for the floating IP
 * (the vpc namespace's kernel table, fed by BIRD's kernel protocol) and the
 * state of BIRD's BGP sessions. Each change is marked on the timeline.
 */
import type { BirdHandle } from './daemons/bird.js';
import type { Netns } from './netns.js';
import type { Timeline } from './timeline.js';
import type { Appliance } from './topology.js';

export interface RouteState {
  /** `ip route show <ip>` output, '' when there is no route. */
  text: string;
  /** Next hop address, if any. */
  via?: string;
  /** Appliance the next hop belongs to. */
  appliance?: string;
}

export function parseRoute(text: string, appliances: Appliance[]): RouteState {
  const via = /\bvia (\S+)/.exec(text)?.[1];
  const appliance = appliances.find((a) => a.address === via)?.name;
  return { text, ...(via ? { via } : {}), ...(appliance ? { appliance } : {}) };
}

/** Polls with a fixed interval until stopped; one poll at a time (no pile-up). */
abstract class Poller {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  constructor(private readonly intervalMs: number) {}
  protected abstract poll(): Promise<void>;
  start(): void {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.poll();
      } catch {
        /* namespace going away during shutdown */
      }
      if (!this.stopped) this.timer = setTimeout(loop, this.intervalMs);
    };
    void loop();
  }
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

export class RouteWatcher extends Poller {
  current: RouteState = { text: '' };
  private first = true;
  constructor(
    private readonly vpc: Netns,
    private readonly ip: string,
    private readonly appliances: Appliance[],
    private readonly tl: Timeline,
    private readonly bird?: BirdHandle,
    intervalMs = 50,
  ) {
    super(intervalMs);
  }
  protected async poll(): Promise<void> {
    const text = await this.vpc.routeShow(this.ip, { timeoutMs: 2000 });
    if (text === this.current.text && !this.first) return;
    this.first = false;
    const state = parseRoute(text, this.appliances);
    const where = state.appliance ? ` -> appliance ${state.appliance}` : '';
    // Mark first (the time is when the kernel route was seen), then publish the
    // state, so waiters that react to `current` print after this line.
    this.tl.mark('route', `VPC route: ${text || `(no route to ${this.ip})`}${where}`, { via: state.via, appliance: state.appliance });
    this.current = state;
    const best = this.bird ? await this.bird.best(`${this.ip}/32`).catch(() => undefined) : undefined;
    if (best) this.tl.say(`                            Route Server best path: from ${best.protocol}, AS path ${best.asPath.join(' ')}, next hop ${best.nextHop ?? '?'}`);
  }
}

export class SessionWatcher extends Poller {
  readonly states = new Map<string, string>();
  constructor(
    private readonly bird: BirdHandle,
    private readonly names: string[],
    private readonly tl: Timeline,
    intervalMs = 100,
  ) {
    super(intervalMs);
  }
  protected async poll(): Promise<void> {
    const protos = await this.bird.protocols();
    for (const n of this.names) {
      const p = protos.find((x) => x.name === n);
      const state = p ? (p.info.split(/\s+/)[0] || p.state) : 'missing';
      if (this.states.get(n) !== state) {
        const prev = this.states.get(n);
        this.states.set(n, state);
        // BIRD's info column: "Established", or "Idle  BGP Error: Hold timer expired".
        const detail = p?.info.replace(/^\S+\s*/, '').trim();
        this.tl.mark('session', `Route Server session ${n}: ${prev ? `${prev} -> ` : ''}${state}${detail ? ` (${detail})` : ''}`, { protocol: n, state });
      }
    }
  }
}

/**
 * What the failover lab watches, each change marked on the timeline:
 * - the VPC route for the floating IP: `ip monitor route` in the vpc
 *   namespace (event-driven: the time is when the kernel changed the route),
 * - the Route Server's sessions (birdc, polled every 100 ms),
 * - the prober's lines (who answers, gaps).
 */
import { ManagedProcess } from '../process.js';
import type { Timeline } from '../timeline.js';
import type { LabTopology } from './topology.js';

export interface VpcRoute {
  text: string;
  via?: string;
  appliance?: string;
}

export interface RouteChange {
  t: number;
  from?: string;
  to?: string;
}

export class VpcRouteWatcher {
  current: VpcRoute = { text: '' };
  readonly changes: RouteChange[] = [];
  private mon: ManagedProcess | undefined;

  constructor(
    private readonly topo: LabTopology,
    private readonly tl: Timeline,
  ) {}

  async start(): Promise<void> {
    this.mon = new ManagedProcess({
      name: 'ip-monitor',
      netns: this.topo.vpc,
      cmd: 'ip',
      args: ['-4', 'monitor', 'route'],
      onLine: (l) => this.onLine(l),
    });
    this.mon.start();
    // The route as it is now (the monitor only reports changes).
    const text = await this.topo.vpc.routeShow(this.topo.floatingIp);
    if (text && !this.current.text) this.set(text, false);
  }

  private onLine(line: string): void {
    const deleted = line.startsWith('Deleted ');
    const body = deleted ? line.slice(8) : line;
    if (!body.startsWith(`${this.topo.floatingIp} `)) return;
    this.set(deleted ? '' : body.trim(), true);
  }

  private set(text: string, mark: boolean): void {
    const via = /\bvia (\S+)/.exec(text)?.[1];
    const appliance = this.topo.applianceOf(via);
    const prev = this.current.appliance;
    this.current = { text, ...(via ? { via } : {}), ...(appliance ? { appliance } : {}) };
    if (prev !== appliance) this.changes.push({ t: this.tl.now(), ...(prev ? { from: prev } : {}), ...(appliance ? { to: appliance } : {}) });
    if (mark) this.tl.mark('route', `VPC route: ${text || `(no route to ${this.topo.floatingIp})`}${appliance ? ` -> ${appliance}` : ''}`);
  }

  /** Changes of the appliance the VPC sends the floating IP to, from time t (ignoring "no route" in between). */
  movesSince(t: number): number {
    let n = 0;
    let last: string | undefined;
    for (const c of this.changes) {
      if (c.t < t) {
        last = c.to ?? last;
        continue;
      }
      if (c.to && c.to !== last) {
        if (last !== undefined) n++;
        last = c.to;
      }
    }
    return n;
  }

  async stop(): Promise<void> {
    await this.mon?.stop(1000);
    this.mon?.close();
  }
}

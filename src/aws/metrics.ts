/**
 * Prometheus metrics of the AWS layer, read at scrape time from the
 * fallback's status() and the Route Server status poller. The daemon passes
 * its own registry (src/metrics keeps one per daemon). One series per state
 * with value 1 for the current one, as the rest of the daemon's metrics.
 */
import { Gauge, type Registry } from 'prom-client';
import type { ActionName, FallbackStatus } from './fallback.js';
import type { RunOutcome } from './result.js';
import type { RsStatusSnapshot } from './rs-status-poller.js';

const OUTCOMES: RunOutcome[] = ['in-sync', 'skipped', 'dry-run', 'done', 'refused', 'incomplete', 'error'];

export function registerAwsMetrics(
  registry: Registry,
  sources: { fallback?: () => FallbackStatus | undefined; rsStatus?: () => RsStatusSnapshot | undefined; now?: () => number },
): void {
  const now = sources.now ?? (() => performance.now());
  const registers = [registry];
  const fb = sources.fallback;
  const rs = sources.rsStatus;
  const totals = (f: (s: FallbackStatus) => void) => {
    const s = fb?.();
    if (s) f(s);
  };
  const perAction = (name: string, help: string, pick: (t: NonNullable<FallbackStatus['totals'][ActionName]>) => number) =>
    new Gauge({
      name, help, labelNames: ['fallback'], registers,
      collect() {
        this.reset();
        totals((s) => {
          for (const [a, t] of Object.entries(s.totals)) if (t) this.set({ fallback: a }, pick(t));
        });
      },
    });
  new Gauge({
    name: 'bgp_sidecar_fallback_outcome',
    help: 'Outcome of the last run of each fallback action: 1 for the current one',
    labelNames: ['fallback', 'outcome'],
    registers,
    collect() {
      this.reset();
      totals((s) => {
        for (const [a, t] of Object.entries(s.totals)) {
          if (!t?.last) continue;
          for (const o of OUTCOMES) this.set({ fallback: a, outcome: o }, o === t.last ? 1 : 0);
        }
      });
    },
  });
  perAction('bgp_sidecar_fallback_runs', 'Runs of each fallback action since start', (t) => t.runs);
  perAction('bgp_sidecar_fallback_changes', 'AWS changes made by each fallback action since start', (t) => t.changes);
  perAction('bgp_sidecar_fallback_failed_changes', 'AWS changes that failed after retries, since start', (t) => t.failures);
  perAction('bgp_sidecar_fallback_refusals', 'Runs refused by a safety rule (both down, minimum available), since start', (t) => t.refusals);
  new Gauge({
    name: 'bgp_sidecar_fallback_peer_healthy',
    help: 'Route-table fallback: the peer appliance as this one sees it (1 healthy, 0 failed; absent while unknown)',
    registers,
    collect() {
      this.reset();
      totals((s) => {
        if (s.peer?.healthy !== undefined) this.set(s.peer.healthy ? 1 : 0);
      });
    },
  });
  const rsPeer = (name: string, help: string, pick: (p: NonNullable<RsStatusSnapshot['result']>['peers'][number]) => string | undefined) =>
    new Gauge({
      name, help, labelNames: ['endpoint', 'route_server_peer'], registers,
      collect() {
        this.reset();
        for (const p of rs?.()?.result?.peers ?? []) {
          const v = pick(p);
          if (v !== undefined) this.set({ endpoint: p.endpointAddress ?? '', route_server_peer: p.id }, v === 'up' ? 1 : 0);
        }
      },
    });
  rsPeer('bgp_sidecar_rs_peer_bgp_up', 'BGP status of this appliance\'s session as Route Server sees it (DescribeRouteServerPeers)', (p) => p.bgpStatus);
  rsPeer('bgp_sidecar_rs_peer_bfd_up', 'BFD status as Route Server sees it (DescribeRouteServerPeers)', (p) => p.bfdStatus);
  new Gauge({
    name: 'bgp_sidecar_rs_prefix_in_fib',
    help: 'Route Server FIB next hop of each floating prefix (GetRouteServerRoutingDatabase): 1 per installed next hop; us="true" when it is this appliance',
    labelNames: ['prefix', 'route_server', 'next_hop', 'us'],
    registers,
    collect() {
      this.reset();
      for (const d of rs?.()?.result?.prefixes ?? []) {
        if (d.inFib) this.set({ prefix: d.prefix, route_server: d.routeServerId, next_hop: d.inFib.nextHop ?? '', us: String(d.inFib.us) }, 1);
      }
    },
  });
  new Gauge({
    name: 'bgp_sidecar_rs_status_age_seconds',
    help: 'Seconds since the last successful Route Server status poll',
    registers,
    collect() {
      this.reset();
      const snap = rs?.();
      if (snap?.at !== undefined) this.set(Math.max(0, (now() - snap.at) / 1000));
    },
  });
}

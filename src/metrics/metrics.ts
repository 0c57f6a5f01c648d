/**
 * Prometheus metrics of the daemon, in their own registry (never the global
 * one, so tests and embedders can run several daemons in one process).
 * Enum-like states use one series per state with value 1 for the current
 * state and 0 for the others, the node_exporter / kube-state-metrics habit,
 * so `bgp_sidecar_peer_state{state="established"} == 1` is a simple alert.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const BGP_STATES = ['idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'] as const;
/** RFC 5880 4.1 states, as src/bfd names them. */
export const BFD_STATES = ['admin-down', 'down', 'init', 'up'] as const;
export const VERDICTS = ['init', 'up', 'down', 'maintenance'] as const;

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly peerState: Gauge<'peer' | 'state'>;
  readonly peerUp: Gauge<'peer'>;
  readonly bfdState: Gauge<'peer' | 'state'>;
  readonly updatesSent: Counter<'peer'>;
  readonly updatesReceived: Counter<'peer'>;
  readonly announcedPrefixes: Gauge<'peer'>;
  readonly checkResults: Counter<'check' | 'result'>;
  readonly checkLatency: Histogram<'check'>;
  readonly verdict: Gauge<'verdict'>;
  readonly drained: Gauge;
  readonly failovers: Counter;
  readonly reloads: Counter<'result'>;
  readonly info: Gauge<'version' | 'router_id' | 'local_asn'>;

  /** Read at scrape time: prefixes announced per peer. */
  announcedSource: (() => Iterable<[string, number]>) | undefined;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.peerState = new Gauge({ name: 'bgp_sidecar_peer_state', help: 'BGP session state per peer: 1 for the current state (RFC 4271 8.2.2)', labelNames: ['peer', 'state'], registers });
    this.peerUp = new Gauge({ name: 'bgp_sidecar_peer_up', help: '1 when the BGP session is Established', labelNames: ['peer'], registers });
    this.bfdState = new Gauge({ name: 'bgp_sidecar_bfd_state', help: 'BFD session state per peer: 1 for the current state (RFC 5880 4.1)', labelNames: ['peer', 'state'], registers });
    this.updatesSent = new Counter({ name: 'bgp_sidecar_updates_sent_total', help: 'BGP UPDATE messages sent', labelNames: ['peer'], registers });
    this.updatesReceived = new Counter({ name: 'bgp_sidecar_updates_received_total', help: 'BGP UPDATE messages received', labelNames: ['peer'], registers });
    const metrics = this;
    this.announcedPrefixes = new Gauge({
      name: 'bgp_sidecar_announced_prefixes',
      help: 'Prefixes in the Adj-RIB-Out of each peer (sent and not withdrawn)',
      labelNames: ['peer'],
      registers,
      collect() {
        const counts = metrics.announcedSource?.();
        if (!counts) return;
        this.reset();
        for (const [peer, n] of counts) this.set({ peer }, n);
      },
    });
    this.checkResults = new Counter({ name: 'bgp_sidecar_check_results_total', help: 'Health check runs by result', labelNames: ['check', 'result'], registers });
    this.checkLatency = new Histogram({
      name: 'bgp_sidecar_check_latency_seconds',
      help: 'Health check run time',
      labelNames: ['check'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.verdict = new Gauge({ name: 'bgp_sidecar_verdict', help: 'Health verdict: 1 for the current one', labelNames: ['verdict'], registers });
    this.drained = new Gauge({ name: 'bgp_sidecar_drained', help: '1 while an operator drain is in force', registers });
    this.failovers = new Counter({ name: 'bgp_sidecar_failovers_total', help: 'Times the verdict left up (the preferred announcement was given up)', registers });
    this.reloads = new Counter({ name: 'bgp_sidecar_reloads_total', help: 'Configuration reloads by result', labelNames: ['result'], registers });
    this.info = new Gauge({ name: 'bgp_sidecar_info', help: 'Constant 1, labelled with the version and identity', labelNames: ['version', 'router_id', 'local_asn'], registers });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'bgp_sidecar_' });
  }

  /** A configured peer: its series exist (at 0) before anything happens, so rate() and alerts work from the start. */
  addPeer(peer: string): void {
    this.setPeerState(peer, 'idle');
    this.updatesSent.inc({ peer }, 0);
    this.updatesReceived.inc({ peer }, 0);
  }

  setPeerState(peer: string, state: string): void {
    const s = state.toLowerCase();
    for (const st of BGP_STATES) this.peerState.set({ peer, state: st }, st === s ? 1 : 0);
    this.peerUp.set({ peer }, s === 'established' ? 1 : 0);
  }

  setBfdState(peer: string, state: string): void {
    const s = state.toLowerCase();
    for (const st of BFD_STATES) this.bfdState.set({ peer, state: st }, st === s ? 1 : 0);
  }

  setVerdict(verdict: string): void {
    for (const v of VERDICTS) this.verdict.set({ verdict: v }, v === verdict ? 1 : 0);
  }

  /** Forget a peer removed by a reload. */
  removePeer(peer: string): void {
    for (const st of BGP_STATES) this.peerState.remove({ peer, state: st });
    for (const st of BFD_STATES) this.bfdState.remove({ peer, state: st });
    this.peerUp.remove({ peer });
    this.updatesSent.remove({ peer });
    this.updatesReceived.remove({ peer });
  }
}

/**
 * Fallback 1: VPC route tables, active-active across two zones.
 *
 * Each appliance owns the route tables of its zone. Both healthy: each table's
 * routes target its own zone's appliance. One healthy: every route targets the
 * healthy one. Neither: nothing changes (this appliance is unhealthy, and only
 * a healthy appliance acts). Only routes that currently target one of the two
 * ENIs are touched. A run plans every change first, applies them, re-reads the
 * tables and verifies; a run with the same view makes no mutating call, so two
 * appliances with the same view never fight.
 */
import type { Logger } from 'pino';
import type { RouteTablesFallbackConfig } from '../config/aws.js';
import type { AwsApi } from './clients.js';
import { AwsAnswerError, AwsCallError, errorText } from './errors.js';
import type { Notifier } from './notify.js';
import type { PlannedChange, RunResult } from './result.js';
import { MAX_PAGES, nextToken, parseRouteTables, type RouteDestination, type VpcRouteTable } from './shapes.js';

/** What this appliance knows about health: undefined = not known yet. */
export interface HealthView {
  self: boolean | undefined;
  peer: boolean | undefined;
}

export interface RouteChange {
  table: string;
  destination: RouteDestination;
  from: string | undefined;
  to: string;
}

export function changeText(c: RouteChange): string {
  return `${c.table} ${c.destination.value}: ${c.from ?? '(none)'} -> ${c.to}`;
}

/**
 * The ENI every listed table should target, or why nothing may be done.
 * Pure: the decision table of the issue, testable without AWS.
 */
export function desiredTargets(cfg: RouteTablesFallbackConfig, selfEni: string, view: HealthView): { targets: Map<string, string> } | { skip: string } {
  const self = cfg.appliances.find((a) => a.eni === selfEni);
  const peer = cfg.appliances.find((a) => a.eni !== selfEni);
  if (!self || !peer) return { skip: `this appliance's ENI ${selfEni} is not one of the configured appliances` };
  if (view.self !== true) {
    return { skip: view.self === undefined ? 'own health not known yet' : 'this appliance is not healthy: only a healthy appliance acts' };
  }
  if (view.peer === undefined) return { skip: 'peer health not known yet' };
  const targets = new Map<string, string>();
  for (const a of cfg.appliances) {
    for (const t of a.routeTables) targets.set(t, view.peer ? a.eni : self.eni);
  }
  return { targets };
}

function canonicalDestination(s: string): string {
  const m = /^([^/]+)\/(\d+)$/.exec(s);
  if (m && m[1] && m[1].includes(':')) {
    try {
      return `${new URL(`http://[${m[1]}]/`).hostname.slice(1, -1)}/${m[2]}`;
    } catch {
      return s.toLowerCase();
    }
  }
  return s.toLowerCase();
}

/** Every route that targets a known ENI but not the one it should. Pure. */
export function planRouteChanges(
  tables: VpcRouteTable[],
  targets: Map<string, string>,
  knownEnis: ReadonlySet<string>,
  destinations?: readonly string[],
): RouteChange[] {
  const only = destinations ? new Set(destinations.map(canonicalDestination)) : undefined;
  const changes: RouteChange[] = [];
  for (const t of tables) {
    const want = targets.get(t.id);
    if (want === undefined) continue;
    for (const r of t.routes) {
      if (r.eni === undefined || !knownEnis.has(r.eni)) continue; // not ours to touch
      if (only && !only.has(canonicalDestination(r.destination.value))) continue;
      // Propagated routes cannot be replaced (and are not ours).
      if (r.origin === 'EnableVgwRoutePropagation') continue;
      // Already right. (A blackhole to the wanted ENI means the ENI itself is gone: replacing changes nothing.)
      if (r.eni === want) continue;
      changes.push({ table: t.id, destination: r.destination, from: r.eni, to: want });
    }
  }
  return changes;
}

function replaceRouteInput(c: RouteChange): Record<string, string> {
  const field =
    c.destination.kind === 'ipv4' ? 'DestinationCidrBlock'
    : c.destination.kind === 'ipv6' ? 'DestinationIpv6CidrBlock'
    : 'DestinationPrefixListId';
  return { RouteTableId: c.table, [field]: c.destination.value, NetworkInterfaceId: c.to };
}

export interface RouteTablesStatus {
  selfEni: string;
  peerEni: string;
  view: HealthView;
  /** table -> ENI it should target under the last view, when this appliance may act. */
  desired: Record<string, string>;
  last?: RunResult;
}

export class RouteTablesFallback {
  private readonly cfg: RouteTablesFallbackConfig;
  private readonly selfEni: string;
  private readonly api: AwsApi;
  private readonly notifier: Notifier;
  private readonly log: Logger;
  private readonly now: () => number;
  private last: RunResult | undefined;
  private lastView: HealthView = { self: undefined, peer: undefined };
  private lastDesired: Record<string, string> = {};
  /** The last dry-run plan or refusal notified: the same one is not re-sent on every reconcile. */
  private lastNotice: string | undefined;

  constructor(o: { cfg: RouteTablesFallbackConfig; selfEni: string; api: AwsApi; notifier: Notifier; logger: Logger; now: () => number }) {
    this.cfg = o.cfg;
    this.selfEni = o.selfEni;
    this.api = o.api;
    this.notifier = o.notifier;
    this.log = o.logger;
    this.now = o.now;
  }

  get tables(): string[] {
    return this.cfg.appliances.flatMap((a) => a.routeTables);
  }

  private get knownEnis(): Set<string> {
    return new Set(this.cfg.appliances.map((a) => a.eni));
  }

  async read(): Promise<VpcRouteTable[]> {
    const action = 'ec2:DescribeRouteTables';
    const ids = this.tables;
    const out: VpcRouteTable[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.api.call('ec2', 'DescribeRouteTables', { RouteTableIds: ids, ...(token ? { NextToken: token } : {}) }, false);
      out.push(...parseRouteTables(action, res));
      token = nextToken(action, res);
      if (!token) break;
    }
    if (token) throw new AwsAnswerError(action, `still paginating after ${MAX_PAGES} pages`);
    const missing = ids.filter((id) => !out.some((t) => t.id === id));
    if (missing.length) throw new AwsAnswerError(action, `route tables missing from the answer: ${missing.join(', ')}`);
    return out.filter((t) => ids.includes(t.id));
  }

  async run(view: HealthView, o: { dryRun?: boolean } = {}): Promise<RunResult> {
    const dryRun = o.dryRun ?? this.cfg.dryRun;
    this.lastView = { ...view };
    const result = (r: Omit<RunResult, 'fallback' | 'at'>): RunResult => {
      this.last = { fallback: 'route-tables', at: this.now(), ...r };
      return this.last;
    };
    const d = desiredTargets(this.cfg, this.selfEni, view);
    if (view.self === false && view.peer === false) {
      // Both appliances failed: nothing changes (the routes stay where they are), and we say so once.
      const reason = 'both appliances are unhealthy: routes left as they are';
      this.lastDesired = {};
      if (this.lastNotice !== reason) {
        this.lastNotice = reason;
        await this.notifier.notify({ kind: 'refusal', fallback: 'route-tables', summary: `route tables: ${reason}` });
      }
      return result({ outcome: 'refused', reason, planned: [], applied: 0, failures: [] });
    }
    if ('skip' in d) {
      this.lastDesired = {};
      this.log.debug({ reason: d.skip }, 'route tables: no action');
      return result({ outcome: 'skipped', reason: d.skip, planned: [], applied: 0, failures: [] });
    }
    this.lastDesired = Object.fromEntries(d.targets);
    let changes: RouteChange[];
    try {
      changes = planRouteChanges(await this.read(), d.targets, this.knownEnis, this.cfg.destinations);
    } catch (err) {
      await this.notifier.notify({ kind: 'error', fallback: 'route-tables', summary: `route tables: cannot read: ${errorText(err)}` });
      return result({ outcome: 'error', reason: errorText(err), planned: [], applied: 0, failures: [errorText(err)] });
    }
    const planned: PlannedChange[] = changes.map((c) => ({ text: changeText(c), table: c.table, destination: c.destination.value, from: c.from, to: c.to }));
    if (changes.length === 0) {
      this.lastNotice = undefined;
      return result({ outcome: 'in-sync', planned, applied: 0, failures: [] });
    }
    const why = view.peer ? 'both appliances healthy: each zone to its own appliance' : `peer unhealthy: every route to ${this.selfEni}`;
    if (dryRun) {
      const key = planned.map((p) => p.text).join('\n');
      if (this.lastNotice === key) return result({ outcome: 'dry-run', reason: why, planned, applied: 0, failures: [] });
      this.lastNotice = key;
      await this.notifier.notify({ kind: 'dry-run', fallback: 'route-tables', summary: `route tables (dry run): would replace ${changes.length} route(s); ${why}`, details: { changes: planned.map((p) => p.text) } });
      return result({ outcome: 'dry-run', reason: why, planned, applied: 0, failures: [] });
    }
    this.lastNotice = undefined;
    let applied = 0;
    const failures: string[] = [];
    for (const c of changes) {
      try {
        await this.api.call('ec2', 'ReplaceRoute', replaceRouteInput(c), true);
        applied++;
      } catch (err) {
        failures.push(`${changeText(c)}: ${errorText(err)}`);
        // Without the permission every other change fails the same way.
        if (err instanceof AwsCallError && (err.kind === 'permission' || err.kind === 'credentials')) break;
      }
    }
    // Verify with a fresh read: what AWS holds, not what we sent.
    let remaining: RouteChange[];
    try {
      remaining = planRouteChanges(await this.read(), d.targets, this.knownEnis, this.cfg.destinations);
    } catch (err) {
      failures.push(`verify: ${errorText(err)}`);
      remaining = changes;
    }
    if (remaining.length === 0) {
      await this.notifier.notify({ kind: 'action', fallback: 'route-tables', summary: `route tables: replaced ${applied} route(s); ${why}`, details: { changes: planned.map((p) => p.text) } });
      return result({ outcome: 'done', reason: why, planned, applied, failures });
    }
    await this.notifier.notify({
      kind: 'error', fallback: 'route-tables',
      summary: `route tables: ${remaining.length} of ${changes.length} route(s) not yet repointed; retrying`,
      details: { remaining: remaining.map(changeText), failures },
    });
    return result({ outcome: 'incomplete', reason: failures[0] ?? 'routes did not verify', planned, applied, failures });
  }

  status(): RouteTablesStatus {
    const peer = this.cfg.appliances.find((a) => a.eni !== this.selfEni);
    return {
      selfEni: this.selfEni,
      peerEni: peer?.eni ?? '?',
      view: { ...this.lastView },
      desired: { ...this.lastDesired },
      ...(this.last ? { last: this.last } : {}),
    };
  }
}

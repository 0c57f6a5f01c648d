/**
 * Fallback 2: Transit Gateway static VPN, primary and backup.
 *
 * Pairs are found by tag: key = the pair's name, value `primary` or `backup`.
 * When every tunnel of the primary is DOWN (VgwTelemetry) for `failover-after`
 * and the backup has at least one tunnel UP, every static route in the
 * Transit Gateway route tables that targets the primary's attachment is moved
 * to the backup's. Once the primary has been seen UP continuously for
 * `failback-after`, the routes go back. Flap guard: both directions need the
 * new state to hold (down for failover-after, up for failback-after), and a
 * primary that drops during the failback wait restarts the wait.
 */
import type { Logger } from 'pino';
import type { TgwVpnFallbackConfig } from '../config/aws.js';
import type { AwsApi } from './clients.js';
import { AwsAnswerError, AwsCallError, errorText } from './errors.js';
import type { Notifier } from './notify.js';
import type { PlannedChange, RunOutcome, RunResult } from './result.js';
import { MAX_PAGES, nextToken, parseTgwAttachments, parseTgwRoutes, parseVpnConnections, listOf, str, type TgwRoute, type VpnConnection } from './shapes.js';

interface PairMemory {
  primaryDownSince?: number;
  primaryUpSince?: number;
  /** Destinations we moved to the backup, per route table ("tgw-rtb-1|10.0.0.0/16"). */
  moved: Set<string>;
  /** The last refusal or dry-run plan notified (each is sent once, not every poll). */
  lastRefusal?: string;
}

export interface PairStatus {
  pair: string;
  primary?: { vpn: string; attachment: string; tunnelsUp: number; tunnels: number };
  backup?: { vpn: string; attachment: string; tunnelsUp: number; tunnels: number };
  /** Which side the pair's routes point at, as last read. */
  routesOn?: 'primary' | 'backup' | 'mixed' | 'none';
  outcome?: RunOutcome;
  reason?: string;
}

export interface TgwVpnStatus {
  pairs: PairStatus[];
  last?: RunResult;
}

interface TgwRouteChange {
  table: string;
  route: TgwRoute;
  from: string;
  to: string;
  direction: 'failover' | 'failback';
}

const OUTCOME_RANK: RunOutcome[] = ['in-sync', 'skipped', 'dry-run', 'done', 'refused', 'incomplete', 'error'];
function worse(a: RunOutcome, b: RunOutcome): RunOutcome {
  return OUTCOME_RANK.indexOf(a) >= OUTCOME_RANK.indexOf(b) ? a : b;
}

const key = (table: string, dest: string) => `${table}|${dest}`;

export class TgwVpnFallback {
  private readonly cfg: TgwVpnFallbackConfig;
  private readonly api: AwsApi;
  private readonly notifier: Notifier;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly memory = new Map<string, PairMemory>();
  private pairStatus = new Map<string, PairStatus>();
  private last: RunResult | undefined;

  constructor(o: { cfg: TgwVpnFallbackConfig; api: AwsApi; notifier: Notifier; logger: Logger; now: () => number }) {
    this.cfg = o.cfg;
    this.api = o.api;
    this.notifier = o.notifier;
    this.log = o.logger;
    this.now = o.now;
  }

  private mem(pair: string): PairMemory {
    let m = this.memory.get(pair);
    if (!m) this.memory.set(pair, (m = { moved: new Set() }));
    return m;
  }

  /**
   * One evaluation of every pair. `immediate` (manual use): act on the
   * current telemetry without waiting for failover-after / failback-after.
   */
  async run(selfHealthy: boolean | undefined, o: { dryRun?: boolean; immediate?: boolean; pairs?: string[] } = {}): Promise<RunResult> {
    const dryRun = o.dryRun ?? this.cfg.dryRun;
    if (selfHealthy !== true) {
      const reason = selfHealthy === undefined ? 'own health not known yet' : 'this appliance is not healthy: only a healthy appliance acts';
      this.last = { fallback: 'tgw-vpn', outcome: 'skipped', reason, planned: [], applied: 0, failures: [], at: this.now() };
      return this.last;
    }
    let outcome: RunOutcome = 'in-sync';
    const planned: PlannedChange[] = [];
    const failures: string[] = [];
    const reasons: string[] = [];
    let applied = 0;
    let wakeInMs: number | undefined;
    for (const pair of o.pairs ?? this.cfg.pairs) {
      if (!this.cfg.pairs.includes(pair)) throw new Error(`pair ${JSON.stringify(pair)} is not in fallback.tgw-vpn.pairs (${this.cfg.pairs.join(', ')})`);
      const r = await this.runPair(pair, dryRun, o.immediate ?? false).catch((err: unknown): PairRun => ({ outcome: 'error', reason: errorText(err), planned: [], applied: 0, failures: [errorText(err)] }));
      this.pairStatus.set(pair, { ...(this.pairStatus.get(pair) ?? { pair }), outcome: r.outcome, ...(r.reason ? { reason: r.reason } : {}) });
      outcome = worse(outcome, r.outcome);
      planned.push(...r.planned);
      failures.push(...r.failures);
      applied += r.applied;
      if (r.reason) reasons.push(`${pair}: ${r.reason}`);
      if (r.wakeInMs !== undefined) wakeInMs = Math.min(wakeInMs ?? Infinity, r.wakeInMs);
      if (r.outcome === 'error') await this.notifier.notify({ kind: 'error', fallback: 'tgw-vpn', summary: `tgw-vpn ${pair}: ${r.reason ?? 'error'}` });
    }
    this.last = {
      fallback: 'tgw-vpn', outcome, ...(reasons.length ? { reason: reasons.join('; ') } : {}), planned, applied, failures, at: this.now(),
      ...(wakeInMs !== undefined ? { wakeInMs: Math.max(0, wakeInMs) } : {}),
    };
    return this.last;
  }

  private async findPair(pair: string): Promise<{ primary: VpnConnection; backup: VpnConnection }> {
    const action = 'ec2:DescribeVpnConnections';
    const res = await this.api.call('ec2', 'DescribeVpnConnections', { Filters: [{ Name: 'tag-key', Values: [pair] }] }, false);
    const live = parseVpnConnections(action, res).filter((c) => c.state !== 'deleted' && c.state !== 'deleting');
    const role = (r: string) => live.filter((c) => c.tags.get(pair) === r);
    const prim = role('primary');
    const back = role('backup');
    const odd = live.filter((c) => c.tags.get(pair) !== 'primary' && c.tags.get(pair) !== 'backup');
    if (odd.length) this.log.warn({ pair, vpn: odd.map((c) => c.id) }, 'vpn tagged with the pair key but neither primary nor backup; ignored');
    if (prim.length !== 1 || back.length !== 1 || !prim[0] || !back[0]) {
      throw new Error(`pair ${JSON.stringify(pair)}: expected one VPN connection tagged ${pair}=primary and one tagged ${pair}=backup, found ${prim.length} primary and ${back.length} backup`);
    }
    for (const c of [prim[0], back[0]]) {
      if (!c.transitGatewayId) throw new Error(`pair ${JSON.stringify(pair)}: ${c.id} is not attached to a Transit Gateway`);
      if (c.tunnels.length === 0) throw new AwsAnswerError(action, `${c.id} has no tunnel telemetry (VgwTelemetry empty)`);
    }
    if (prim[0].transitGatewayId !== back[0].transitGatewayId) {
      throw new Error(`pair ${JSON.stringify(pair)}: primary ${prim[0].id} and backup ${back[0].id} are on different Transit Gateways`);
    }
    return { primary: prim[0], backup: back[0] };
  }

  private async attachments(pair: string, vpns: VpnConnection[]): Promise<Map<string, string>> {
    const action = 'ec2:DescribeTransitGatewayAttachments';
    const res = await this.api.call('ec2', 'DescribeTransitGatewayAttachments', {
      Filters: [{ Name: 'resource-id', Values: vpns.map((v) => v.id) }, { Name: 'resource-type', Values: ['vpn'] }],
    }, false);
    const byVpn = new Map<string, string>();
    for (const a of parseTgwAttachments(action, res)) {
      if (a.resourceId && a.state !== 'deleted' && a.state !== 'deleting') byVpn.set(a.resourceId, a.id);
    }
    for (const v of vpns) if (!byVpn.has(v.id)) throw new Error(`pair ${JSON.stringify(pair)}: no Transit Gateway attachment found for ${v.id}`);
    return byVpn;
  }

  private async routeTables(tgw: string): Promise<string[]> {
    if (this.cfg.routeTables) return this.cfg.routeTables;
    const action = 'ec2:DescribeTransitGatewayRouteTables';
    const ids: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.api.call('ec2', 'DescribeTransitGatewayRouteTables', {
        Filters: [{ Name: 'transit-gateway-id', Values: [tgw] }], ...(token ? { NextToken: token } : {}),
      }, false);
      listOf(action, res, 'TransitGatewayRouteTables').forEach((t, i) => {
        if (t.State !== 'deleted' && t.State !== 'deleting') ids.push(str(action, t, 'TransitGatewayRouteTableId', `TransitGatewayRouteTables[${i}]`));
      });
      token = nextToken(action, res);
      if (!token) break;
    }
    return ids;
  }

  /** Static routes in `table` that target either attachment. */
  private async staticRoutes(table: string, attachmentIds: string[]): Promise<TgwRoute[]> {
    const action = 'ec2:SearchTransitGatewayRoutes';
    const res = await this.api.call('ec2', 'SearchTransitGatewayRoutes', {
      TransitGatewayRouteTableId: table,
      Filters: [{ Name: 'type', Values: ['static'] }, { Name: 'attachment.transit-gateway-attachment-id', Values: attachmentIds }],
      MaxResults: 1000,
    }, false);
    const { routes, more } = parseTgwRoutes(action, res, table);
    // Acting on a partial list would leave the table half repointed: refuse instead.
    if (more) throw new AwsAnswerError(action, `${table}: more than 1000 matching routes (AdditionalRoutesAvailable); refusing a partial failover`);
    return routes.filter((r) => r.type === 'static');
  }

  private async readRoutes(tables: string[], pa: string, ba: string): Promise<{ table: string; route: TgwRoute }[]> {
    const all: { table: string; route: TgwRoute }[] = [];
    for (const t of tables) for (const route of await this.staticRoutes(t, [pa, ba])) all.push({ table: t, route });
    return all;
  }

  private async apply(c: TgwRouteChange): Promise<void> {
    if (c.route.destination.kind === 'cidr') {
      await this.api.call('ec2', 'ReplaceTransitGatewayRoute', {
        TransitGatewayRouteTableId: c.table,
        DestinationCidrBlock: c.route.destination.value,
        TransitGatewayAttachmentId: c.to,
      }, true);
    } else {
      await this.api.call('ec2', 'ModifyTransitGatewayPrefixListReference', {
        TransitGatewayRouteTableId: c.table,
        PrefixListId: c.route.destination.value,
        TransitGatewayAttachmentId: c.to,
      }, true);
    }
  }

  private async runPair(pair: string, dryRun: boolean, immediate: boolean): Promise<PairRun> {
    const now = this.now();
    const m = this.mem(pair);
    const { primary, backup } = await this.findPair(pair);
    const att = await this.attachments(pair, [primary, backup]);
    const pa = att.get(primary.id) as string;
    const ba = att.get(backup.id) as string;
    const up = (c: VpnConnection) => c.tunnels.filter((t) => t.up).length;
    const primaryDown = up(primary) === 0;
    const backupUp = up(backup) > 0;
    if (primaryDown) {
      m.primaryUpSince = undefined;
      m.primaryDownSince ??= now;
    } else {
      m.primaryDownSince = undefined;
      m.primaryUpSince ??= now;
    }
    const tables = await this.routeTables(primary.transitGatewayId as string);
    const routes = await this.readRoutes(tables, pa, ba);
    const onPrimary = routes.filter((r) => r.route.attachmentIds.includes(pa));
    const onBackup = routes.filter((r) => r.route.attachmentIds.includes(ba) && !r.route.attachmentIds.includes(pa));
    this.pairStatus.set(pair, {
      pair,
      primary: { vpn: primary.id, attachment: pa, tunnelsUp: up(primary), tunnels: primary.tunnels.length },
      backup: { vpn: backup.id, attachment: ba, tunnelsUp: up(backup), tunnels: backup.tunnels.length },
      routesOn: onPrimary.length && onBackup.length ? 'mixed' : onPrimary.length ? 'primary' : onBackup.length ? 'backup' : 'none',
    });

    let changes: TgwRouteChange[] = [];
    let why: string;
    if (primaryDown) {
      if (onPrimary.length === 0) return { outcome: 'in-sync', reason: 'primary down, no route left on it', planned: [], applied: 0, failures: [] };
      const downFor = now - (m.primaryDownSince ?? now);
      if (!immediate && downFor < this.cfg.failoverAfterMs) {
        return { outcome: 'skipped', reason: `primary down for ${downFor} ms; failover after ${this.cfg.failoverAfterMs} ms`, planned: [], applied: 0, failures: [], wakeInMs: this.cfg.failoverAfterMs - downFor };
      }
      if (!backupUp) {
        const reason = `primary ${primary.id} and backup ${backup.id} both have every tunnel down: nothing changes`;
        if (m.lastRefusal !== reason) {
          m.lastRefusal = reason;
          await this.notifier.notify({ kind: 'refusal', fallback: 'tgw-vpn', summary: `tgw-vpn ${pair}: ${reason}`, details: { pair } });
        }
        return { outcome: 'refused', reason, planned: [], applied: 0, failures: [] };
      }
      why = `primary ${primary.id} has every tunnel down, backup ${backup.id} has ${up(backup)} up`;
      changes = onPrimary.map((r) => ({ ...r, from: pa, to: ba, direction: 'failover' as const }));
    } else {
      let candidates = onBackup;
      // After a failover by this process, fail back exactly what was moved.
      if (m.moved.size > 0) candidates = onBackup.filter((r) => m.moved.has(key(r.table, r.route.destination.value)));
      if (candidates.length === 0) {
        m.lastRefusal = undefined;
        return { outcome: 'in-sync', planned: [], applied: 0, failures: [] };
      }
      if (this.cfg.failbackAfterMs === false && !immediate) return { outcome: 'skipped', reason: 'primary is up; failback is disabled (failback-after: false)', planned: [], applied: 0, failures: [] };
      const upFor = now - (m.primaryUpSince ?? now);
      if (!immediate && this.cfg.failbackAfterMs !== false && upFor < this.cfg.failbackAfterMs) {
        return { outcome: 'skipped', reason: `primary up for ${upFor} ms; failback after ${this.cfg.failbackAfterMs} ms`, planned: [], applied: 0, failures: [], wakeInMs: this.cfg.failbackAfterMs - upFor };
      }
      why = `primary ${primary.id} up and stable for ${upFor} ms`;
      changes = candidates.map((r) => ({ ...r, from: ba, to: pa, direction: 'failback' as const }));
    }
    const direction = changes[0]?.direction ?? 'failover';
    const text = (c: TgwRouteChange) => `${c.table} ${c.route.destination.value}: ${c.from} -> ${c.to}`;
    const planned: PlannedChange[] = changes.map((c) => ({ text: text(c), pair, table: c.table, destination: c.route.destination.value, from: c.from, to: c.to, direction: c.direction }));
    if (dryRun) {
      const key = planned.map((p) => p.text).join('\n');
      if (m.lastRefusal === key) return { outcome: 'dry-run', reason: why, planned, applied: 0, failures: [] };
      m.lastRefusal = key; // the same plan is notified once, not every poll
      await this.notifier.notify({ kind: 'dry-run', fallback: 'tgw-vpn', summary: `tgw-vpn ${pair} (dry run): would ${direction} ${changes.length} route(s); ${why}`, details: { pair, changes: planned.map((p) => p.text) } });
      return { outcome: 'dry-run', reason: why, planned, applied: 0, failures: [] };
    }
    m.lastRefusal = undefined;
    let applied = 0;
    const failures: string[] = [];
    for (const c of changes) {
      try {
        await this.apply(c);
        applied++;
        const k = key(c.table, c.route.destination.value);
        if (c.direction === 'failover') m.moved.add(k);
        else m.moved.delete(k);
      } catch (err) {
        failures.push(`${text(c)}: ${errorText(err)}`);
        if (err instanceof AwsCallError && (err.kind === 'permission' || err.kind === 'credentials')) break;
      }
    }
    // Verify: nothing that should have moved is still on the old attachment.
    let remaining = changes.length;
    try {
      const after = await this.readRoutes(tables, pa, ba);
      const want = new Set(changes.map((c) => key(c.table, c.route.destination.value)));
      remaining = after.filter((r) => want.has(key(r.table, r.route.destination.value)) && !r.route.attachmentIds.includes(direction === 'failover' ? ba : pa)).length;
    } catch (err) {
      failures.push(`verify: ${errorText(err)}`);
    }
    if (remaining === 0) {
      const ps = this.pairStatus.get(pair);
      // Failover moves every route on the primary; failback may leave routes the backup had of its own.
      if (ps) ps.routesOn = direction === 'failover' ? 'backup' : changes.length === onBackup.length ? 'primary' : 'mixed';
      await this.notifier.notify({ kind: 'action', fallback: 'tgw-vpn', summary: `tgw-vpn ${pair}: ${direction} of ${applied} route(s); ${why}`, details: { pair, changes: planned.map((p) => p.text) } });
      return { outcome: 'done', reason: why, planned, applied, failures };
    }
    await this.notifier.notify({ kind: 'error', fallback: 'tgw-vpn', summary: `tgw-vpn ${pair}: ${direction} incomplete, ${remaining} of ${changes.length} route(s) not moved; retrying`, details: { pair, failures } });
    return { outcome: 'incomplete', reason: failures[0] ?? 'routes did not verify', planned, applied, failures };
  }

  status(): TgwVpnStatus {
    return { pairs: this.cfg.pairs.map((p) => this.pairStatus.get(p) ?? { pair: p }), ...(this.last ? { last: this.last } : {}) };
  }
}

interface PairRun {
  wakeInMs?: number;
  outcome: RunOutcome;
  reason?: string;
  planned: PlannedChange[];
  applied: number;
  failures: string[];
}

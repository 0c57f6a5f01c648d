/**
 * Fallback 3: Direct Connect virtual interfaces.
 *
 * A failed interface (state `down`, or a BGP peer down while the interface is
 * `available`) or an alarmed one (this appliance's verdict is `down` and the
 * interface has `alarm-on-verdict`) is put into a BGP failover test
 * (StartBgpFailoverTest) so its sessions are held down and traffic leaves it
 * cleanly, but only if at least `min-available` interfaces stay available.
 * A test this process started for an alarm is stopped (StopBgpFailoverTest)
 * when the alarm clears; a test for a failure runs for its duration (during a
 * test the interface's own state cannot show recovery). Every action and
 * every refusal is notified.
 */
import type { Logger } from 'pino';
import type { DirectConnectFallbackConfig } from '../config/aws.js';
import type { AwsApi } from './clients.js';
import { AwsAnswerError, AwsCallError, errorText } from './errors.js';
import type { Notifier } from './notify.js';
import type { PlannedChange, RunOutcome, RunResult } from './result.js';
import { nextToken, parseVirtualInterfaces, MAX_PAGES, type VirtualInterface } from './shapes.js';

export type VifCondition = 'available' | 'testing' | 'failed' | 'unavailable';

/** Pure classification of one interface as AWS reports it. */
export function vifCondition(v: VirtualInterface): VifCondition {
  if (v.state === 'testing') return 'testing';
  if (v.state === 'down') return 'failed';
  if (v.state === 'available') {
    if (v.bgpPeers.length > 0 && v.bgpPeers.every((p) => p.status === 'up')) return 'available';
    if (v.bgpPeers.some((p) => p.status === 'down')) return 'failed';
  }
  return 'unavailable'; // pending, verifying, confirming, deleting, unknown...: neither usable nor ours to test
}

export interface DxPlan {
  start: { vif: string; why: string }[];
  stop: { vif: string; why: string }[];
  refuse: { vif: string; why: string }[];
}

/**
 * Decide starts, stops and refusals. Pure.
 * `ours`: tests this process started, with their cause.
 */
export function planDirectConnect(
  cfg: DirectConnectFallbackConfig,
  vifs: Map<string, VirtualInterface>,
  alarmed: ReadonlySet<string>,
  ours: ReadonlyMap<string, 'alarm' | 'failed' | 'manual'>,
): DxPlan {
  const plan: DxPlan = { start: [], stop: [], refuse: [] };
  const cond = new Map([...vifs].map(([id, v]) => [id, vifCondition(v)]));
  let available = [...cond.values()].filter((c) => c === 'available').length;
  for (const { id } of cfg.virtualInterfaces) {
    const c = cond.get(id);
    if (c === 'testing' && ours.get(id) === 'alarm' && !alarmed.has(id)) plan.stop.push({ vif: id, why: 'alarm cleared' });
  }
  for (const { id } of cfg.virtualInterfaces) {
    const c = cond.get(id);
    if (c === undefined || c === 'testing' || c === 'unavailable') continue;
    const isAlarmed = alarmed.has(id);
    if (!isAlarmed && c !== 'failed') continue;
    const why = isAlarmed ? 'alarm: this appliance reports its path down' : `failed: ${describe(vifs.get(id))}`;
    const after = available - (c === 'available' ? 1 : 0);
    if (after < cfg.minAvailable) {
      plan.refuse.push({ vif: id, why: `${why}; testing it would leave ${after} available, minimum ${cfg.minAvailable}` });
      continue;
    }
    available = after;
    plan.start.push({ vif: id, why });
  }
  return plan;
}

function describe(v: VirtualInterface | undefined): string {
  if (!v) return 'unknown';
  const down = v.bgpPeers.filter((p) => p.status === 'down').length;
  return v.state !== 'available' ? `state ${v.state}` : `${down} of ${v.bgpPeers.length} BGP peer(s) down`;
}

export interface DirectConnectStatus {
  interfaces: { id: string; state?: string; condition?: VifCondition; bgpUp?: number; bgpPeers?: number; ourTest?: string }[];
  available: number;
  minAvailable: number;
  last?: RunResult;
}

export class DirectConnectFallback {
  private readonly cfg: DirectConnectFallbackConfig;
  private readonly api: AwsApi;
  private readonly notifier: Notifier;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly ours = new Map<string, 'alarm' | 'failed' | 'manual'>();
  private readonly refusals = new Map<string, string>();
  private lastDryRun: string | undefined;
  private lastSeen = new Map<string, VirtualInterface>();
  private last: RunResult | undefined;

  constructor(o: { cfg: DirectConnectFallbackConfig; api: AwsApi; notifier: Notifier; logger: Logger; now: () => number }) {
    this.cfg = o.cfg;
    this.api = o.api;
    this.notifier = o.notifier;
    this.log = o.logger;
    this.now = o.now;
  }

  async read(): Promise<Map<string, VirtualInterface>> {
    const action = 'directconnect:DescribeVirtualInterfaces';
    const all: VirtualInterface[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.api.call('directconnect', 'DescribeVirtualInterfaces', token ? { nextToken: token } : {}, false);
      all.push(...parseVirtualInterfaces(action, res));
      token = nextToken(action, res);
      if (!token) break;
    }
    const want = this.cfg.virtualInterfaces.map((v) => v.id);
    const missing = want.filter((id) => !all.some((v) => v.id === id));
    if (missing.length) throw new AwsAnswerError(action, `virtual interfaces not found in this account/region: ${missing.join(', ')}`);
    this.lastSeen = new Map(all.filter((v) => want.includes(v.id)).map((v) => [v.id, v]));
    return this.lastSeen;
  }

  private alarmedBy(selfState: string | undefined): Set<string> {
    return new Set(selfState === 'down' ? this.cfg.virtualInterfaces.filter((v) => v.alarmOnVerdict).map((v) => v.id) : []);
  }

  private async start(vif: string): Promise<void> {
    const action = 'directconnect:StartBgpFailoverTest';
    const res = await this.api.call('directconnect', 'StartBgpFailoverTest', { virtualInterfaceId: vif, testDurationInMinutes: this.cfg.testDurationMinutes }, true);
    const t = (res as Record<string, unknown>).virtualInterfaceTest;
    if (typeof t !== 'object' || t === null || typeof (t as Record<string, unknown>).testId !== 'string') throw new AwsAnswerError(action, `${vif}: answer has no virtualInterfaceTest.testId`);
  }

  private async stop(vif: string): Promise<void> {
    await this.api.call('directconnect', 'StopBgpFailoverTest', { virtualInterfaceId: vif }, true);
  }

  async run(selfState: string | undefined, o: { dryRun?: boolean } = {}): Promise<RunResult> {
    const dryRun = o.dryRun ?? this.cfg.dryRun;
    const done = (r: Omit<RunResult, 'fallback' | 'at'>): RunResult => (this.last = { fallback: 'direct-connect', at: this.now(), ...r });
    let vifs: Map<string, VirtualInterface>;
    try {
      vifs = await this.read();
    } catch (err) {
      await this.notifier.notify({ kind: 'error', fallback: 'direct-connect', summary: `direct-connect: cannot read: ${errorText(err)}` });
      return done({ outcome: 'error', reason: errorText(err), planned: [], applied: 0, failures: [errorText(err)] });
    }
    // Tests AWS ended (duration over) are no longer ours.
    for (const id of [...this.ours.keys()]) if (vifs.get(id)?.state !== 'testing') this.ours.delete(id);
    const plan = planDirectConnect(this.cfg, vifs, this.alarmedBy(selfState), this.ours);
    return done(await this.execute(plan, dryRun));
  }

  private async execute(plan: DxPlan, dryRun: boolean): Promise<Omit<RunResult, 'fallback' | 'at'>> {
    // Refusals: notified when they start or change, not on every poll.
    const refusedNow = new Set(plan.refuse.map((r) => r.vif));
    for (const r of plan.refuse) {
      if (this.refusals.get(r.vif) === r.why) continue;
      this.refusals.set(r.vif, r.why);
      await this.notifier.notify({ kind: 'refusal', fallback: 'direct-connect', summary: `direct-connect ${r.vif}: refused failover test: ${r.why}`, details: { vif: r.vif } });
    }
    for (const id of [...this.refusals.keys()]) if (!refusedNow.has(id)) this.refusals.delete(id);

    const planned: PlannedChange[] = [
      ...plan.stop.map((s) => ({ text: `stop failover test on ${s.vif} (${s.why})`, vif: s.vif, op: 'stop' })),
      ...plan.start.map((s) => ({ text: `start ${this.cfg.testDurationMinutes} min failover test on ${s.vif} (${s.why})`, vif: s.vif, op: 'start' })),
    ];
    if (planned.length === 0) {
      this.lastDryRun = undefined;
      return plan.refuse.length
        ? { outcome: 'refused', reason: plan.refuse.map((r) => `${r.vif}: ${r.why}`).join('; '), planned, applied: 0, failures: [] }
        : { outcome: 'in-sync', planned, applied: 0, failures: [] };
    }
    if (dryRun) {
      const key = planned.map((p) => p.text).join('\n');
      if (this.lastDryRun !== key) {
        this.lastDryRun = key;
        for (const p of planned) await this.notifier.notify({ kind: 'dry-run', fallback: 'direct-connect', summary: `direct-connect (dry run): would ${p.text}` });
      }
      return { outcome: 'dry-run', planned, applied: 0, failures: [] };
    }
    this.lastDryRun = undefined;
    let applied = 0;
    const failures: string[] = [];
    const attempt = async (what: string, vif: string, fn: () => Promise<void>, after: () => void): Promise<boolean> => {
      try {
        await fn();
        after();
        applied++;
        await this.notifier.notify({ kind: 'action', fallback: 'direct-connect', summary: `direct-connect: ${what}`, details: { vif } });
        return true;
      } catch (err) {
        failures.push(`${what}: ${errorText(err)}`);
        await this.notifier.notify({ kind: 'error', fallback: 'direct-connect', summary: `direct-connect: ${what} failed: ${errorText(err)}`, details: { vif } });
        return !(err instanceof AwsCallError && (err.kind === 'permission' || err.kind === 'credentials'));
      }
    };
    let go = true;
    for (const s of plan.stop) {
      if (!go) break;
      go = await attempt(`stopped failover test on ${s.vif} (${s.why})`, s.vif, () => this.stop(s.vif), () => this.ours.delete(s.vif));
    }
    for (const s of plan.start) {
      if (!go) break;
      const cause = s.why.startsWith('alarm') ? 'alarm' : 'failed';
      go = await attempt(`started ${this.cfg.testDurationMinutes} min failover test on ${s.vif} (${s.why})`, s.vif, () => this.start(s.vif), () => this.ours.set(s.vif, cause));
    }
    // Verify with a fresh read. AWS may take a moment to show `testing`, so a lag is reported, not retried
    // (a second StartBgpFailoverTest on an interface already in test is an error).
    const notes: string[] = [];
    if (applied > 0) {
      try {
        const now = await this.read();
        for (const s of plan.start) if (this.ours.has(s.vif) && now.get(s.vif)?.state !== 'testing') notes.push(`${s.vif} not yet shown as testing`);
        for (const s of plan.stop) if (!this.ours.has(s.vif) && now.get(s.vif)?.state === 'testing') notes.push(`${s.vif} still shown as testing`);
      } catch (err) {
        notes.push(`verify: ${errorText(err)}`);
      }
      if (notes.length) this.log.warn({ notes }, 'direct connect: state not yet as expected after the change');
    }
    const outcome: RunOutcome = failures.length ? 'incomplete' : 'done';
    const reason = failures[0] ?? notes[0];
    return { outcome, ...(reason ? { reason } : {}), planned, applied, failures };
  }

  /** Manual start (CLI): same minimum-available rule as the automatic one. */
  async manualStart(vif: string, o: { dryRun?: boolean } = {}): Promise<RunResult> {
    if (!this.cfg.virtualInterfaces.some((v) => v.id === vif)) throw new Error(`${vif} is not in fallback.direct-connect.virtual-interfaces`);
    const vifs = await this.read();
    const c = vifCondition(vifs.get(vif) as VirtualInterface);
    const plan: DxPlan = { start: [], stop: [], refuse: [] };
    const available = [...vifs.values()].filter((v) => vifCondition(v) === 'available').length;
    const after = available - (c === 'available' ? 1 : 0);
    if (c === 'testing') plan.refuse.push({ vif, why: 'already in a failover test' });
    else if (after < this.cfg.minAvailable) plan.refuse.push({ vif, why: `manual: testing it would leave ${after} available, minimum ${this.cfg.minAvailable}` });
    else plan.start.push({ vif, why: 'manual' });
    const r = await this.execute(plan, o.dryRun ?? this.cfg.dryRun);
    if (plan.start.length && r.outcome === 'done') this.ours.set(vif, 'manual');
    return (this.last = { fallback: 'direct-connect', at: this.now(), ...r });
  }

  /** Manual stop (CLI, or `stop` on command). */
  async manualStop(vif: string, o: { dryRun?: boolean } = {}): Promise<RunResult> {
    if (!this.cfg.virtualInterfaces.some((v) => v.id === vif)) throw new Error(`${vif} is not in fallback.direct-connect.virtual-interfaces`);
    const vifs = await this.read();
    const plan: DxPlan = { start: [], stop: [], refuse: [] };
    if (vifs.get(vif)?.state !== 'testing') plan.refuse.push({ vif, why: `not in a failover test (state ${vifs.get(vif)?.state ?? '?'})` });
    else plan.stop.push({ vif, why: 'on command' });
    return (this.last = { fallback: 'direct-connect', at: this.now(), ...(await this.execute(plan, o.dryRun ?? this.cfg.dryRun)) });
  }

  status(): DirectConnectStatus {
    const interfaces = this.cfg.virtualInterfaces.map(({ id }): DirectConnectStatus['interfaces'][number] => {
      const v = this.lastSeen.get(id);
      const ourTest = this.ours.get(id);
      return v
        ? { id, state: v.state, condition: vifCondition(v), bgpUp: v.bgpPeers.filter((p) => p.status === 'up').length, bgpPeers: v.bgpPeers.length, ...(ourTest ? { ourTest } : {}) }
        : { id };
    });
    return {
      interfaces,
      available: interfaces.filter((i) => i.condition === 'available').length,
      minAvailable: this.cfg.minAvailable,
      ...(this.last ? { last: this.last } : {}),
    };
  }
}

/**
 * The failover lab: builds the topology once, then for every system x
 * scenario x repetition starts a fresh Route Server and fresh speakers,
 * waits for the steady state, probes while the scenario acts, and records
 * lost probes, the longest gap and the route changes. Prints a timeline per
 * run, then one table (medians). Everything is removed at the end, on
 * Ctrl-C and on any exit.
 */
import { join } from 'node:path';
import { cleanup, onInterrupt, tempDir } from '../cleanup.js';
import type { BirdHandle } from '../daemons/bird.js';
import { ManagedProcess } from '../process.js';
import { missingLabPrerequisites } from '../prerequisites.js';
import { sleep, waitFor } from '../run.js';
import { Timeline, formatMs, type TimelineEvent } from '../timeline.js';
import { SessionWatcher } from '../watch.js';
import { writeAgents, SERVICE_TCP_PORT, SERVICE_UDP_PORT } from './agents.js';
import { Prober, type ProbeSummary } from './probe.js';
import { protocolName, startRouteServer } from './routeserver.js';
import { LAB_SCENARIOS, LAB_SCENARIO_NAMES, type LabScenario } from './scenarios.js';
import type { LabOptions } from '../options.js';
import { SYSTEMS, SYSTEM_IDS, runDir, type LabTimers, type Speaker, type SystemDef, type SystemId } from './systems.js';
import { buildLabTopology, type LabAppliance, type LabTopology } from './topology.js';
import { VpcRouteWatcher } from './watch.js';
import { formatTable, summarise, type RunRecord } from './table.js';

export interface FailoverLabOptions {
  /** Scenario names to run (in this order). */
  scenarios: string[];
  systems: SystemId[];
  repeat: number;
  json: boolean;
  verbose: boolean;
  keepLogs: boolean;
  floatingPrefix: string;
  timers: LabTimers;
  /** Upper bound for the route to reach its expected place after the act, ms. */
  moveTimeoutMs: number;
  probeIntervalMs: number;
}

export const defaultTimers: LabTimers = {
  holdTime: 3,
  bfdIntervalMs: 100,
  bfdMultiplier: 3,
  healthIntervalMs: 100,
  rise: 3,
  fall: 3,
  failbackDelayMs: 2000,
};

/** The CLI's LabOptions -> the failover lab's options (`all`: every scenario and system, 3 runs). */
export function failoverOptionsFrom(o: LabOptions): FailoverLabOptions {
  const all = o.scenario === 'all';
  return {
    scenarios: all ? [...LAB_SCENARIO_NAMES] : [o.scenario],
    systems: o.systems ?? (all ? [...SYSTEM_IDS] : ['sidecar']),
    repeat: o.repeat ?? (all ? 3 : 1),
    json: o.json,
    verbose: o.verbose,
    keepLogs: o.keepLogs,
    floatingPrefix: o.floatingPrefix,
    timers: { ...defaultTimers, holdTime: o.holdTime },
    // Long enough for the slowest detection (a hold timer) with a margin.
    moveTimeoutMs: Math.min(o.timeoutMs, Math.max(15_000, o.holdTime * 1000 + 5000)),
    probeIntervalMs: 10,
  };
}

export interface LabIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** What a scenario can do to the lab; one per run. */
export class RunContext {
  readonly speakers = new Map<string, Speaker>();
  readonly services = new Map<string, ManagedProcess>();

  constructor(
    readonly topo: LabTopology,
    readonly tl: Timeline,
    readonly rs: BirdHandle,
    readonly routes: VpcRouteWatcher,
    readonly timers: LabTimers,
    readonly system: SystemDef,
    private readonly servicePath: string,
    readonly dir: string,
    private readonly moveTimeoutMs: number,
  ) {}

  app(name: string): LabAppliance {
    const a = this.topo.appliances.find((x) => x.name === name);
    if (!a) throw new Error(`no appliance ${name}`);
    return a;
  }

  async startService(name: string): Promise<void> {
    const a = this.app(name);
    let p = this.services.get(name);
    if (!p) {
      p = new ManagedProcess({
        name: `service-${name}`,
        netns: a.ns,
        cmd: process.execPath,
        args: [this.servicePath, name, this.topo.floatingIp, String(SERVICE_UDP_PORT), String(SERVICE_TCP_PORT)],
        logFile: join(this.dir, `service-${name}.log`),
      });
      this.services.set(name, p);
    }
    const before = p.output().split('ready').length;
    p.start();
    await waitFor(
      () => {
        p.assertRunning();
        return p.output().split('ready').length > before;
      },
      { timeoutMs: 5000, intervalMs: 10, what: `the service on ${name}` },
    );
    this.tl.mark('service', `${name} service started`);
  }

  async stopService(name: string): Promise<void> {
    this.tl.mark('act', `${name} service stopped`);
    await this.services.get(name)?.stop(2000);
  }

  private procsOf(name: string): ManagedProcess[] {
    return [...(this.speakers.get(name)?.procs ?? []), ...(this.services.has(name) ? [this.services.get(name)!] : [])];
  }

  async crash(name: string): Promise<void> {
    this.tl.mark('act', `${name}: SIGKILL to the BGP speaker and the service`);
    await Promise.all(this.procsOf(name).map((p) => p.kill()));
  }

  async freeze(name: string): Promise<void> {
    this.tl.mark('act', `${name}: SIGSTOP to the BGP speaker and the service`);
    for (const p of this.procsOf(name)) p.pause();
  }

  async linkDown(name: string): Promise<void> {
    const a = this.app(name);
    this.tl.mark('act', `${name}: ip link set ${a.ifname} down`);
    await a.ns.ip(['link', 'set', a.ifname, 'down']);
  }

  async drain(name: string): Promise<void> {
    this.tl.mark('act', `${name}: planned drain (${this.system.drainHow})`);
    await this.speakers.get(name)!.drain();
  }

  async stopSpeaker(name: string): Promise<void> {
    this.tl.mark('act', `${name}: SIGTERM to the BGP speaker`);
    await this.speakers.get(name)!.stop();
  }

  async restartAppliance(name: string): Promise<void> {
    this.tl.mark('act', `${name} comes back: service, then BGP speaker`);
    await this.startService(name);
    await this.speakers.get(name)!.start();
  }

  async loseEndpoint(index: number): Promise<void> {
    const protos = this.topo.appliances.map((a) => protocolName(a, index));
    this.tl.mark('act', `Route Server endpoint ${index + 1} lost: birdc disable ${protos.join(' ')}`);
    // birdc takes one protocol name per command.
    for (const p of protos) {
      const r = await this.rs.birdc('disable', p);
      if (!/disabled/.test(r.stdout)) throw new Error(`birdc disable ${p}: ${r.stdout.trim()}`);
    }
  }

  async waitRoute(appliance: string, what: string): Promise<void> {
    await waitFor(() => this.routes.current.appliance === appliance, { timeoutMs: this.moveTimeoutMs, intervalMs: 10, what });
  }
}

async function bfdUpCount(rs: BirdHandle): Promise<number> {
  const r = await rs.birdc('show', 'bfd', 'sessions');
  return r.stdout.split('\n').filter((l) => /\sUp\s/.test(l)).length;
}

async function runOne(
  topo: LabTopology,
  opts: FailoverLabOptions,
  sys: SystemDef,
  sc: LabScenario,
  rep: number,
  base: string,
  agents: { service: string; prober: string },
  print: (l: string) => void,
): Promise<RunRecord & { events: TimelineEvent[] }> {
  const tl = new Timeline(print);
  const rec: RunRecord = { system: sys.id, scenario: sc.name, rep, status: 'ok' };
  if (sc.needsHealth && !sys.health) {
    return { ...rec, status: 'n/a', note: 'no health check', events: [] };
  }
  const dir = runDir(base, `${sys.id}-${sc.name}-${rep}`);
  const rs = await startRouteServer(topo, runDir(dir, 'rs'), opts.timers, sys.bfd);
  const routes = new VpcRouteWatcher(topo, tl);
  const sessions = new SessionWatcher(rs, topo.appliances.flatMap((a) => a.endpoints.map((_, i) => protocolName(a, i))), tl);
  const rc = new RunContext(topo, tl, rs, routes, opts.timers, sys, agents.service, dir, opts.moveTimeoutMs);
  let prober: Prober | undefined;
  try {
    await routes.start();
    sessions.start();
    for (const a of topo.appliances) await rc.startService(a.name);
    for (const a of topo.appliances) {
      rc.speakers.set(
        a.name,
        sys.create({ app: a, active: a.index === 0, dir: runDir(dir, a.name), floatingPrefix: opts.floatingPrefix, timers: opts.timers, tl, verbose: opts.verbose }),
      );
    }
    await Promise.all([...rc.speakers.values()].map((s) => s.start()));
    tl.mark('step', `${sys.label} started on ${topo.appliances.map((a) => a.name).join(', ')}`);
    await waitFor(
      async () => {
        for (const s of rc.speakers.values()) for (const p of s.procs) p.assertRunning();
        if (routes.current.appliance !== 'a1') return false;
        if ([...sessions.states.values()].filter((st) => st === 'Established').length < 4) return false;
        const rts = await rs.routes(opts.floatingPrefix);
        const best = rts.find((r) => r.best);
        if (!best || best.asPath.length !== 1 || !rts.some((r) => r.protocol.startsWith('a2_'))) return false;
        return !sys.bfd || (await bfdUpCount(rs)) >= 4;
      },
      { timeoutMs: 40_000, intervalMs: 100, what: 'steady state: route via a1, 4 Route Server sessions Established, a2 path held' + (sys.bfd ? ', 4 BFD sessions Up' : '') },
    );
    const paths = await rs.routes(opts.floatingPrefix);
    tl.mark('step', `steady state: Route Server paths ${paths.map((p) => `${p.best ? '*' : ''}${p.protocol} [${p.asPath.join(' ')}]`).join(', ')}`);
    if (sc.prepare) await sc.prepare(rc);
    prober = new Prober(topo, agents.prober, opts.probeIntervalMs, tl);
    await prober.start();
    await sleep(300);
    const tAct = tl.now();
    const actEpoch = performance.timeOrigin + performance.now();
    await sc.act(rc);
    const moved = await rc.waitRoute(sc.expect, `the VPC route to be via ${sc.expect}`).then(
      () => true,
      () => false,
    );
    await sleep(sc.settleMs);
    const sum: ProbeSummary = await prober.stop();
    prober = undefined;
    const firstMove = routes.changes.find((c) => c.t >= tAct && c.to === sc.expect);
    rec.lost = sum.lost;
    rec.gapMs = Math.round(sum.gapMs);
    rec.sent = sum.sent;
    rec.moves = routes.movesSince(tAct);
    if (firstMove && sc.expect === 'a2') rec.moveMs = Math.round(firstMove.t - tAct);
    // Losses in the prober's own clock, against the act: a loss before the act would be the lab's fault.
    const firstLoss = sum.losses[0];
    if (firstLoss) rec.firstLossAfterActMs = Math.round(firstLoss[2] - actEpoch);
    if (!moved) {
      rec.status = 'no-move';
      rec.note = `route not via ${sc.expect} ${formatMs(opts.moveTimeoutMs)} after the act`;
    }
    tl.mark(
      'result',
      `${sc.name} / ${sys.label}: ${rec.lost} of ${rec.sent} probes lost, longest gap ${rec.gapMs} ms, ${rec.moves} route change(s)` +
        (rec.moveMs !== undefined ? `, route moved ${rec.moveMs} ms after the act` : '') +
        (rec.firstLossAfterActMs !== undefined ? `, first lost probe sent ${rec.firstLossAfterActMs} ms after the act` : '') +
        ` (answered: ${Object.entries(sum.byAppliance).map(([k, v]) => `${k} ${v}`).join(', ')})${rec.note ? `; ${rec.note}` : ''}`,
    );
  } catch (err) {
    rec.status = 'failed';
    rec.note = (err as Error).message.split('\n')[0]!.slice(0, 300);
    tl.mark('error', `${sc.name} / ${sys.label}: ${(err as Error).message}`);
    for (const [n, s] of rc.speakers) print(`--- ${n} (last lines)\n${s.tail()}`);
  } finally {
    await routes.stop();
    await prober?.kill();
    sessions.stop();
    await Promise.all([...rc.speakers.values()].flatMap((s) => s.procs.map((p) => p.kill().then(() => p.close()))));
    await Promise.all([...rc.services.values()].map((p) => p.kill().then(() => p.close())));
    for (const a of topo.appliances) await topo.restoreLink(a).catch(() => undefined);
    await rs.stop().catch(() => undefined);
    // A killed BIRD leaves its kernel routes: the next run starts from an empty table.
    await topo.vpc.ip(['route', 'flush', 'proto', 'bird'], { allowFail: true });
  }
  return { ...rec, events: tl.events };
}

export async function runFailoverLab(opts: FailoverLabOptions, io: LabIo): Promise<number> {
  const scenarios = opts.scenarios.map((n) => {
    const s = LAB_SCENARIOS.find((x) => x.name === n);
    if (!s) throw new Error(`unknown scenario ${n}`);
    return s;
  });
  const tools = new Set(['ip', 'bird', 'birdc']);
  for (const id of opts.systems) for (const x of { sidecar: [], gobgp: ['gobgpd', 'gobgp'], exabgp: ['exabgp', '/usr/bin/python3'], bird: [] }[id]) tools.add(x);
  const missing = await missingLabPrerequisites([...tools]);
  if (missing) {
    io.stderr(`lab: ${missing} (or leave the system out: --systems ${opts.systems.join(',')})\n`);
    return 1;
  }
  // With --json the timelines go to stderr and stdout carries only the JSON document.
  const out = opts.json ? io.stderr : io.stdout;
  const print = (l: string) => out(`${l}\n`);
  const dir = tempDir('lab', { keep: opts.keepLogs });
  const agents = writeAgents(dir);
  let topo: LabTopology | undefined;
  const interrupt = onInterrupt(() => cleanup.cleanup(), io.stderr);
  const records: (RunRecord & { events: TimelineEvent[] })[] = [];
  const t = opts.timers;
  try {
    topo = await buildLabTopology({ names: ['a1', 'a2'], floatingPrefix: opts.floatingPrefix });
    print(`bgp-sidecar failover lab: namespaces ${[topo.vpc, topo.client, ...topo.appliances.map((a) => a.ns)].map((n) => n.name).join(', ')}; work dir ${dir}${opts.keepLogs ? ' (kept)' : ''}`);
    print(
      `timers: hold ${t.holdTime} s, BFD ${t.bfdIntervalMs} ms x ${t.bfdMultiplier} (detection ${t.bfdIntervalMs * t.bfdMultiplier} ms), health interval ${t.healthIntervalMs} ms, rise ${t.rise}, fall ${t.fall}, failback delay ${formatMs(t.failbackDelayMs)}; probe every ${opts.probeIntervalMs} ms`,
    );
    print(`systems: ${opts.systems.map((s) => SYSTEMS[s].label).join(', ')}; scenarios: ${scenarios.map((s) => s.name).join(', ')}; ${opts.repeat} run(s) each`);
    for (const sc of scenarios) {
      for (const id of opts.systems) {
        const sys = SYSTEMS[id];
        for (let rep = 1; rep <= opts.repeat; rep++) {
          const loud = rep === 1 || opts.verbose;
          if (loud) print(`\n=== ${sc.name} / ${sys.label} (run ${rep} of ${opts.repeat}): ${sc.describe}`);
          const r = await runOne(topo, opts, sys, sc, rep, dir, agents, loud ? print : () => undefined);
          records.push(r);
          if (!loud) print(`    ${sc.name} / ${sys.label} run ${rep}: ${r.status === 'ok' ? `${r.lost} lost, gap ${r.gapMs} ms, ${r.moves} route change(s)` : `${r.status}${r.note ? ` (${r.note})` : ''}`}`);
          if (r.status === 'n/a') break;
        }
      }
    }
    const rows = summarise(records, scenarios, opts.systems);
    const table = formatTable(rows, scenarios, opts.systems, opts.timers);
    print('');
    print(`Failover table: lost probes and longest gap, median of ${opts.repeat} run(s) (probe every ${opts.probeIntervalMs} ms)`);
    print(table);
    if (opts.json) {
      io.stdout(
        `${JSON.stringify({ timers: opts.timers, probeIntervalMs: opts.probeIntervalMs, repeat: opts.repeat, systems: opts.systems, scenarios: opts.scenarios, summary: rows, runs: records }, null, 2)}\n`,
      );
    }
    return records.some((r) => r.status === 'failed') ? 1 : 0;
  } catch (err) {
    io.stderr(`lab: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (!interrupt.interrupted) {
      topo?.destroy();
      await cleanup.cleanup();
      interrupt.release();
      print('cleaned up: lab namespaces deleted');
    }
  }
}

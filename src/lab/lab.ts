/**
 * `bgp-sidecar lab`: the whole failover story on one Linux host.
 *
 *   vpc namespace: BIRD 2 as the VPC Route Server (one passive BGP protocol
 *                  per appliance, best path exported to the kernel table,
 *                  which plays the VPC route table)
 *   a1, a2 ...:    appliances, floating IP on lo, our sidecar (the real CLI,
 *                  `run --config`) peering with the vpc
 *
 * A scenario then acts (stop the active sidecar, ...) while watchers record
 * the VPC route and the Route Server sessions on a timeline.
 * Everything is removed on exit and on Ctrl-C.
 */
import { join } from 'node:path';
import { cleanup, onInterrupt, tempDir } from './cleanup.js';
import { birdConfig, startBird, type BirdHandle } from './daemons/bird.js';
import { createSidecar, type SidecarHandle } from './sidecar.js';
import { Timeline } from './timeline.js';
import { buildTopology, type ApplianceSpec, type Topology } from './topology.js';
import { RouteWatcher, SessionWatcher } from './watch.js';
import { missingLabPrerequisites } from './prerequisites.js';
import { scenarios, type ScenarioResult } from './scenarios/index.js';
import { defaultLabOptions, type LabOptions } from './options.js';

/** ASN of the lab's Route Server (AWS lets you pick; any private ASN). */
export const LAB_RS_ASN = 65000;
/** ASN of the appliances (one cluster, one ASN, like a typical deployment). */
export const LAB_APPLIANCE_ASN = 65001;

export { STOP_MODES, defaultLabOptions, type LabOptions, type StopMode } from './options.js';

export interface LabContext {
  opts: LabOptions;
  tl: Timeline;
  topo: Topology;
  bird: BirdHandle;
  sidecars: Map<string, SidecarHandle>;
  routes: RouteWatcher;
  sessions: SessionWatcher;
  dir: string;
}

export interface LabIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Build the lab, run the scenario, tear everything down. Returns the exit code. */
export async function runLab(partial: Partial<LabOptions>, io: LabIo): Promise<number> {
  const opts: LabOptions = { ...defaultLabOptions, ...partial };
  const scenario = scenarios[opts.scenario];
  if (!scenario) {
    io.stderr(`lab: unknown scenario ${JSON.stringify(opts.scenario)}; known: ${Object.keys(scenarios).join(', ')}\n`);
    return 2;
  }
  const missing = await missingLabPrerequisites();
  if (missing) {
    io.stderr(`lab: ${missing}\n`);
    return 1;
  }
  const tl = new Timeline((l) => io.stdout(`${l}\n`));
  const dir = tempDir('lab', { keep: opts.keepLogs });
  let ctx: LabContext | undefined;
  // Ctrl-C: orderly teardown (stop watchers, sidecars, BIRD, delete namespaces).
  // A second Ctrl-C or a teardown that hangs leaves it to the registry's exit handler.
  const interrupt = onInterrupt(() => teardown(ctx), io.stderr);
  try {
    tl.say(`bgp-sidecar lab: scenario ${scenario.name}: ${scenario.describe}`);
    tl.say(`work dir ${dir}${opts.keepLogs ? ' (kept)' : ' (removed at the end; --keep-logs keeps it)'}`);
    ctx = await setUp(opts, tl, dir, scenario.appliances);
    const result: ScenarioResult = await scenario.run(ctx);
    tl.say('');
    tl.say(result.ok ? 'RESULT: ok' : `RESULT: FAILED: ${result.summary}`);
    if (result.ok) tl.say(result.summary);
    if (!result.ok) dumpLogs(ctx, io);
    return result.ok ? 0 : 1;
  } catch (err) {
    io.stderr(`lab: ${(err as Error).message}\n`);
    if (ctx) dumpLogs(ctx, io);
    return 1;
  } finally {
    if (!interrupt.interrupted) {
      await teardown(ctx);
      interrupt.release();
    }
  }
}

function dumpLogs(ctx: LabContext, io: LabIo): void {
  for (const s of ctx.sidecars.values()) io.stderr(`--- sidecar ${s.name} (last lines)\n${s.proc.tail(20)}\n`);
  io.stderr(`--- bird (last lines)\n${ctx.bird.main.tail(20)}\n`);
}

async function setUp(opts: LabOptions, tl: Timeline, dir: string, specs: ApplianceSpec[]): Promise<LabContext> {
  const topo = await buildTopology({ appliances: specs, floatingPrefix: opts.floatingPrefix });
  tl.mark('step', `namespaces: ${[topo.vpc, ...topo.appliances.map((a) => a.ns)].map((n) => n.name).join(', ')}`);
  const bird = await startBird({
    ns: topo.vpc,
    dir: join(dir),
    config: birdConfig({
      routerId: '10.255.0.1',
      localAsn: LAB_RS_ASN,
      kernelExport: true,
      peers: topo.appliances.map((a) => ({
        name: a.name,
        address: a.address,
        asn: LAB_APPLIANCE_ASN,
        localAddress: a.vpcAddress,
        holdTime: opts.holdTime,
        passive: true, // RS endpoints never initiate
        families: ['ipv4'],
      })),
    }),
  });
  tl.mark('step', `Route Server (BIRD) up in ${topo.vpc.name}, AS ${LAB_RS_ASN}, endpoints ${topo.appliances.map((a) => a.vpcAddress).join(', ')}`);
  const routes = new RouteWatcher(topo.vpc, topo.floatingIp, topo.appliances, tl, bird);
  const sessions = new SessionWatcher(bird, topo.appliances.map((a) => a.name), tl);
  routes.start();
  sessions.start();
  const sidecars = new Map<string, SidecarHandle>();
  for (const a of topo.appliances) {
    const s = createSidecar({
      name: a.name,
      ns: a.ns,
      dir,
      config: {
        localAsn: LAB_APPLIANCE_ASN,
        routerId: a.address,
        prefixes: [opts.floatingPrefix],
        prepend: a.prepend,
        peers: [{ address: a.vpcAddress, asn: LAB_RS_ASN, localAddress: a.address, holdTime: opts.holdTime }],
        controlSocket: join(dir, `${a.name}.sock`),
        logLevel: 'info',
      },
      ...(opts.verbose ? { onLine: (l: string) => tl.say(`  [${a.name}] ${l}`) } : {}),
    });
    sidecars.set(a.name, s);
  }
  return { opts, tl, topo, bird, sidecars, routes, sessions, dir };
}

async function teardown(ctx: LabContext | undefined): Promise<void> {
  if (!ctx) {
    await cleanup.cleanup();
    return;
  }
  ctx.routes.stop();
  ctx.sessions.stop();
  await Promise.all([...ctx.sidecars.values()].map((s) => s.stop(3000).catch(() => undefined)));
  await ctx.bird.stop().catch(() => undefined);
  ctx.topo.destroy();
  await cleanup.cleanup();
  ctx.tl.say(`cleaned up: namespaces ${ctx.topo.vpc.name}, ${ctx.topo.appliances.map((a) => a.ns.name).join(', ')} deleted`);
}

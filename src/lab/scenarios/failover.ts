/**
 * Issue 3's scenario: two appliances announce the floating IP, a1 with no
 * prepend (active), a2 with prepend 2 (standby). The Route Server picks a1
 * (shorter AS path). The active sidecar is stopped; the route must move to
 * a2. Then a1 comes back and the route returns (failback).
 */
import { waitFor } from '../run.js';
import { formatMs } from '../timeline.js';
import type { LabContext } from '../lab.js';
import type { Scenario, ScenarioResult } from './index.js';

async function waitRouteVia(ctx: LabContext, appliance: string | undefined, what: string): Promise<number> {
  await waitFor(() => ctx.routes.current.appliance === appliance, { timeoutMs: ctx.opts.timeoutMs, intervalMs: 20, what });
  return ctx.tl.now();
}

async function showRouteServer(ctx: LabContext): Promise<void> {
  const prefix = ctx.opts.floatingPrefix;
  const routes = await ctx.bird.routes(prefix);
  ctx.tl.say(`  Route Server paths for ${prefix}:`);
  for (const r of routes) ctx.tl.say(`    ${r.best ? '*' : ' '} from ${r.protocol.padEnd(4)} AS path ${r.asPath.join(' ').padEnd(24)} next hop ${r.nextHop ?? '?'}`);
  if (!routes.length) ctx.tl.say('    (none)');
  ctx.tl.say(`  VPC route table (ip route show ${ctx.topo.floatingIp} in ${ctx.topo.vpc.name}): ${ctx.routes.current.text || '(none)'}`);
}

export const failover: Scenario = {
  name: 'failover',
  describe: 'active a1 (prepend 0) and standby a2 (prepend 2); stop a1, the route moves to a2; start a1, it moves back',
  appliances: [
    { name: 'a1', prepend: 0 },
    { name: 'a2', prepend: 2 },
  ],
  async run(ctx): Promise<ScenarioResult> {
    const { tl } = ctx;
    const a1 = ctx.sidecars.get('a1')!;
    const a2 = ctx.sidecars.get('a2')!;
    const figures: Record<string, number> = {};

    const t0 = tl.now();
    a1.start();
    a2.start();
    tl.mark('step', 'sidecars started: a1 (prepend 0), a2 (prepend 2)');
    // A sidecar that exits (bad config, crash) fails the wait at once, with its output.
    const bothRunning = () => {
      a1.proc.assertRunning();
      a2.proc.assertRunning();
    };
    await waitFor(
      () => {
        bothRunning();
        return ctx.sessions.states.get('a1') === 'Established' && ctx.sessions.states.get('a2') === 'Established';
      },
      { timeoutMs: ctx.opts.timeoutMs, intervalMs: 50, what: 'both Route Server sessions to be Established' },
    );
    await waitFor(async () => (await ctx.bird.routes(ctx.opts.floatingPrefix)).length === 2, {
      timeoutMs: ctx.opts.timeoutMs,
      intervalMs: 50,
      what: 'the Route Server to hold both paths',
    });
    const tUp = await waitRouteVia(ctx, 'a1', 'the VPC route to point at a1');
    figures.startToRouteMs = tUp - t0;
    tl.mark('step', `steady state: route via active a1, ${formatMs(figures.startToRouteMs)} after start`);
    await showRouteServer(ctx);

    const how = {
      term: 'SIGTERM (orderly stop: withdraw, then Cease)',
      kill: 'SIGKILL (process crash: the kernel closes its TCP session)',
      freeze: 'SIGSTOP (hung process: only the Route Server hold timer notices)',
    }[ctx.opts.stopMode];
    const tStop = tl.now();
    tl.mark('stop', `stopping the active sidecar a1 with ${how}`);
    const stopping = ctx.opts.stopMode === 'kill' ? a1.kill() : ctx.opts.stopMode === 'freeze' ? Promise.resolve(a1.proc.pause()) : a1.stop();
    const tMoved = await waitRouteVia(ctx, 'a2', 'the VPC route to move to a2');
    await stopping;
    figures.failoverMs = tMoved - tStop;
    tl.mark('step', `failover: route via standby a2 ${formatMs(figures.failoverMs)} after the stop`);
    await showRouteServer(ctx);

    if (ctx.opts.stopMode === 'freeze') {
      tl.mark('step', 'ending the frozen a1 (SIGCONT + SIGTERM)');
      await a1.stop();
    }
    const tStart = tl.now();
    tl.mark('step', 'starting a1 again');
    a1.start();
    const tBack = await waitRouteVia(ctx, 'a1', 'the VPC route to return to a1');
    figures.failbackMs = tBack - tStart;
    tl.mark('step', `failback: route via a1 again ${formatMs(figures.failbackMs)} after its start`);
    await waitFor(() => ctx.sessions.states.get('a1') === 'Established' && ctx.sessions.states.get('a2') === 'Established', {
      timeoutMs: ctx.opts.timeoutMs,
      intervalMs: 50,
      what: 'both sessions Established again',
    });
    await showRouteServer(ctx);

    return {
      ok: true,
      figures,
      summary:
        `route via a1 ${formatMs(figures.startToRouteMs)} after start; a1 stopped (${ctx.opts.stopMode}) -> via a2 in ${formatMs(figures.failoverMs)}; ` +
        `a1 restarted -> via a1 in ${formatMs(figures.failbackMs)} (hold time ${ctx.opts.holdTime} s)`,
    };
  },
};

/**
 * Health -> policy -> applier, end to end with the injected clock: a flapping check
 * never sends an UPDATE; a real failure fails over once; recovery waits the failback
 * delay; every transition is logged with the checks that caused it.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { z } from 'zod';
import { healthConfigShape, type CheckConfig } from '../../src/config/health.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import type { CheckResult, CheckRunner } from '../../src/health/types.js';
import { Policy } from '../../src/policy/policy.js';
import type { Announcement } from '../../src/policy/types.js';
import { RouteApplier } from '../../src/host/apply.js';
import { ManualClock } from '../../src/util/clock.js';

const flush = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };

t.test('flap, fail over, fail back', async (t) => {
  const cfg = z.object(healthConfigShape).parse({
    health: { rise: 3, fall: 2, interval: '2s', 'fast-interval': '500ms', checks: [{ name: 'web', type: 'http', url: 'http://127.0.0.1:8080/' }] },
    policy: { role: 'active', 'failback-delay': '30s', up: { med: 100 } },
  });
  const clock = new ManualClock(0);
  let healthy = true;
  let flap = false;
  let n = 0;
  const runner: CheckRunner = {
    run: async (): Promise<CheckResult> => {
      n++;
      const ok = flap ? n % 2 === 0 : healthy;
      return { ok, detail: ok ? 'status 200' : 'status 503', latencyMs: 2 };
    },
  };
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); cb(); } });
  const logger = pino({ level: 'info' }, sink);
  const mon = new HealthMonitor({ config: cfg.health, clock, logger, createRunner: (_c: CheckConfig) => runner });
  const policy = new Policy({ config: cfg.policy, prefixes: ['172.16.1.1/32'], clock, logger });
  const updates: Announcement[][] = [];
  const applier = new RouteApplier({ clock, announce: (r) => { updates.push(r); } });
  policy.on('change', (c) => { void applier.apply(c.announcements); });
  mon.on('verdict', (v) => policy.update(v));
  policy.update(mon.status());
  mon.start();
  const step = async (ms: number) => { for (let i = 0; i < ms / 100; i++) { clock.advance(100); await flush(); } };

  await step(2000);
  t.equal(mon.state, 'up', 'three passes at the fast interval');
  t.same(updates, [[{ prefix: '172.16.1.1/32', prepend: 3, med: 100 }]], 'failback path first (recovering from init)');
  await step(30_000);
  t.same(updates.at(-1), [{ prefix: '172.16.1.1/32', prepend: 0, med: 100 }], 'preferred after 30s healthy');
  const before = updates.length;

  flap = true;
  await step(120_000);
  t.equal(updates.length, before, 'alternating results for 2 minutes: no UPDATE');
  t.equal(mon.verdict, 'up');

  flap = false;
  healthy = false;
  await step(3000);
  t.equal(mon.state, 'down');
  t.same(updates.at(-1), [], 'withdrawn once');
  t.equal(updates.length, before + 1);

  healthy = true;
  await step(3000);
  t.same(updates.at(-1), [{ prefix: '172.16.1.1/32', prepend: 3, med: 100 }]);
  await step(30_000);
  t.same(updates.at(-1), [{ prefix: '172.16.1.1/32', prepend: 0, med: 100 }]);
  t.equal(updates.length, before + 3);

  const verdictLogs = lines.filter((l) => l['event'] === 'health-state');
  t.ok(verdictLogs.length >= 4, 'transitions logged');
  const down = verdictLogs.find((l) => l['state'] === 'down');
  t.match(down, { state: 'down', previous: 'falling', verdict: 'down', previousVerdict: 'up', reason: 'check web down (status 503)', checks: [{ check: 'web', ok: false, detail: 'status 503' }] });
  t.ok(lines.some((l) => l['event'] === 'check-state' && l['check'] === 'web'), 'check state changes logged with the check name');
  t.ok(lines.some((l) => l['event'] === 'failback-start'), 'failback logged');
  await mon.stop();
  policy.stop();
});

/**
 * The host classes fit the daemon's ports (src/daemon/ports.ts) as they are: checked by
 * the type checker (`tsc -p .` runs before the tests) and, at run time, by shape.
 */
import t from 'tap';
import type { HealthPort, HookPort, HostPort } from '../../src/daemon/ports.js';
import { hooksSchema, healthSchema } from '../../src/config/health.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import { LoopbackManager } from '../../src/host/loopback.js';
import { StateHooks } from '../../src/host/hooks.js';

t.test('LoopbackManager is a HostPort, StateHooks a HookPort, HealthMonitor a HealthPort', async (t) => {
  const host: HostPort = new LoopbackManager({ interface: 'lo' });
  const hooks: HookPort = new StateHooks({ config: hooksSchema.parse({}) });
  const health: HealthPort = new HealthMonitor({ config: healthSchema.parse({ checks: [{ type: 'file', path: '/nonexistent/m' }] }) });
  t.type(host.ensure, 'function');
  t.type(host.cleanup, 'function');
  t.type(hooks.run, 'function');
  await hooks.run({ verdict: 'up', previous: 'init', reason: 'r' });
  t.type(health.setDrain, 'function');
  await health.stop();
});

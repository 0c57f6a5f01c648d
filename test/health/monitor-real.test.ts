/** HealthMonitor with the real clock and a real TCP target: the wiring, not the timing. */
import t from 'tap';
import net from 'node:net';
import { healthSchema } from '../../src/config/health.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import type { Transition } from '../../src/health/types.js';

function nextVerdict(mon: HealthMonitor, want: string, ms: number): Promise<Transition> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { mon.off('verdict', on); reject(new Error(`no ${want} verdict within ${ms}ms (state ${mon.state})`)); }, ms);
    const on = (v: Transition) => { if (v.verdict === want) { clearTimeout(timer); mon.off('verdict', on); resolve(v); } };
    mon.on('verdict', on);
  });
}

t.test('tcp listener up, then closed', async (t) => {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const cfg = healthSchema.parse({ rise: 2, fall: 2, interval: '100ms', 'fast-interval': '100ms', checks: [{ type: 'tcp', host: '127.0.0.1', port, timeout: '1s' }] });
  const mon = new HealthMonitor({ config: cfg });
  t.teardown(async () => { await mon.stop(); server.close(); });
  const up = nextVerdict(mon, 'up', 10_000);
  mon.start();
  t.match(await up, { state: 'up', previousVerdict: 'init' });
  const down = nextVerdict(mon, 'down', 10_000);
  await new Promise((r) => server.close(r));
  const d = await down;
  t.match(d, { state: 'down', reason: /ECONNREFUSED/ });
  t.match(mon.status().checks[0], { state: 'down', streak: 2, last: { ok: false, detail: 'ECONNREFUSED' } });
});

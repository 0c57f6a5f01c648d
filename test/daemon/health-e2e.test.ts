/**
 * The real health monitor and policy wired by the daemon (in-process, real
 * components, real sockets on loopback): a TCP check against a service this
 * test opens and closes drives what the BGP peer receives. Also the check
 * metrics and the failover counter.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { stringify } from 'yaml';
import { runDaemon } from '../../src/daemon/run.js';
import { TestPeer } from './lib/test-peer.js';

const PREFIX = '172.16.1.1/32';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

t.test('a failing check withdraws, a recovered one announces again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-health-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const peer = new TestPeer({ asn: 65000, bgpId: '10.255.0.2', holdTime: 30 });
  const port = await peer.listen();
  t.teardown(() => peer.close());
  let service: Server | undefined = await listen();
  const svcPort = (service.address() as { port: number }).port;
  t.teardown(() => service?.close());

  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify({
    'local-asn': 65001,
    'router-id': '10.0.0.2',
    prefixes: [PREFIX],
    announce: { med: 10 },
    peers: [{ address: '127.0.0.1', asn: 65000, port }],
    health: {
      rise: 1,
      fall: 1,
      interval: '100ms',
      'fast-interval': '100ms',
      checks: [{ name: 'svc', type: 'tcp', host: '127.0.0.1', port: svcPort, timeout: '500ms' }],
    },
    policy: { role: 'standby' },
    control: { socket: join(dir, 'c.sock') },
    metrics: false,
    'log-level': process.env['DAEMON_TEST_LOG'] ?? 'silent',
  }));
  const running = await runDaemon({ configFile: file, version: 'test', logger: pino({ level: 'silent' }), env: {} });
  t.teardown(() => running.stop());
  const route = () => peer.rib.get(PREFIX);

  await peer.until('the standby announcement', () => route() !== undefined, 20_000);
  t.same(route(), { prefix: PREFIX, asPath: [65001, 65001, 65001], med: 10, communities: [] }, 'standby: prepend 2, MED from announce');

  await new Promise((r) => service!.close(r));
  service = undefined;
  await peer.until('the withdraw', () => route() === undefined, 20_000);
  t.pass('withdrawn when the check fails');
  const st = running.daemon.status() as { verdict: { verdict: string }; health: { checks: { name: string; state: string; streak: number }[] } };
  t.equal(st.verdict.verdict, 'down');
  t.match(st.health.checks, [{ name: 'svc', state: 'down' }]);

  service = await listen(svcPort);
  await peer.until('the announcement again', () => route() !== undefined, 20_000);
  t.same(route()?.asPath, [65001, 65001, 65001]);

  const metrics = await running.daemon.metrics.registry.metrics();
  t.match(metrics, /^bgp_sidecar_check_results_total\{check="svc",result="pass"\} [1-9]\d*$/m);
  t.match(metrics, /^bgp_sidecar_check_results_total\{check="svc",result="fail"\} [1-9]\d*$/m);
  t.match(metrics, /^bgp_sidecar_check_latency_seconds_count\{check="svc"\} [1-9]\d*$/m);
  t.match(metrics, /^bgp_sidecar_failovers_total 1$/m);
  t.match(metrics, /^bgp_sidecar_verdict\{verdict="up"\} 1$/m);

  t.equal(await running.stop(), 0);
  await peer.until('the Cease', () => peer.notifications().some((n) => n.code === 6 && n.subcode === 2), 10_000);
  t.equal(route(), undefined, 'withdrawn on stop (standby maintenance = withdraw)');
});

/**
 * Route Server status in the daemon (issue 6): with aws.rs-status-interval the daemon
 * polls DescribeRouteServerPeers and GetRouteServerRoutingDatabase (against the fake
 * AWS endpoint of test/aws/fake) through the real components, and shows the answer
 * in its status JSON, in the plain `status` output and in /metrics. Without the key,
 * nothing is polled and no AWS module is created.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { formatStatus } from '../../src/cli/cmds/status/format.js';
import { parseConfigText } from '../../src/config/load.js';
import { realComponents } from '../../src/daemon/components.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { Components, SpeakerPort } from '../../src/daemon/ports.js';
import { ManualClock } from '../../src/util/clock.js';
import { FAKE_ACCESS_KEY, FAKE_SECRET, startFakeAws, type FakeAws } from '../aws/fake/server.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const RS = 'rs-0123456789abcdef0';
const ME = '10.0.1.203';
const OTHER = '10.0.2.204';

class StubSpeaker extends EventEmitter {
  readonly bgpId = '10.0.0.1';
  start() {}
  set() {}
  flushed() {
    return Promise.resolve(true);
  }
  resetPeer() {}
  setPeers() {}
  status() {
    return [];
  }
  async stop() {}
}

async function until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startDaemon(t: Test, fake: FakeAws | undefined, extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-rs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const doc = {
    'local-asn': 65001,
    'router-id': '10.0.0.1',
    prefixes: ['172.16.1.1/32', '172.16.1.2/32'],
    peers: [{ address: '10.0.1.230', asn: 65000 }],
    control: { socket: join(dir, 'c.sock') },
    metrics: false,
    'log-level': 'silent',
    ...(fake
      ? {
          aws: {
            region: 'eu-west-1',
            endpoint: fake.url,
            credentials: { 'access-key-id': FAKE_ACCESS_KEY, 'secret-access-key': FAKE_SECRET },
            'private-ip': ME,
            'max-attempts': 1,
            'rs-status-interval': '30s',
          },
        }
      : {}),
    ...extra,
  };
  const text = stringify(doc);
  const load = async () => parseConfigText(text, { format: 'yaml' });
  const created: string[] = [];
  const real = realComponents();
  const components: Components = {
    ...real,
    createSpeaker: () => new StubSpeaker() as unknown as SpeakerPort,
    createLoopback: undefined,
    createHooks: undefined,
    createRsStatus: async (cfg, logger, clock) => {
      created.push('rs-status');
      return real.createRsStatus!(cfg, logger, clock);
    },
  };
  const clock = new ManualClock(1000);
  const daemon = new Daemon({ loaded: await load(), loadConfig: load, components, logger: pino({ level: 'silent' }), clock, version: 'test' });
  await daemon.start();
  t.teardown(() => daemon.stop());
  return { daemon, clock, created };
}

type RsView = { polls: number; ageMs: number | null; error?: string; result?: { peers: { id: string; bgpStatus?: string; bfdStatus?: string }[]; prefixes: { prefix: string; inFib?: { nextHop?: string; us: boolean } }[] } };
const rsOf = (d: Daemon) => (JSON.parse(JSON.stringify(d.status())) as { rsStatus: RsView | null }).rsStatus;

t.test('Route Server status: peers and FIB next hops in status JSON, plain status and /metrics', async (t) => {
  const fake = await startFakeAws({
    rsPeers: [
      { id: 'rsp-0aaaaaaaaaaaaa01', routeServerId: RS, endpointId: 'rse-1', endpointAddress: '10.0.1.230', peerAddress: ME, peerAsn: 65001, liveness: 'bfd', state: 'available', bgpStatus: 'up', bfdStatus: 'down' },
      { id: 'rsp-0bbbbbbbbbbbbb02', routeServerId: RS, endpointId: 'rse-2', endpointAddress: '10.0.2.230', peerAddress: OTHER, peerAsn: 65001, liveness: 'bfd', state: 'available', bgpStatus: 'up', bfdStatus: 'up' },
    ],
    rsRoutes: [
      { routeServerId: RS, endpointId: 'rse-1', peerId: 'rsp-0aaaaaaaaaaaaa01', prefix: '172.16.1.1/32', nextHop: ME, status: 'in-fib', asPaths: [65001] },
      { routeServerId: RS, endpointId: 'rse-2', peerId: 'rsp-0bbbbbbbbbbbbb02', prefix: '172.16.1.2/32', nextHop: OTHER, status: 'in-fib', asPaths: [65001] },
      { routeServerId: RS, endpointId: 'rse-1', peerId: 'rsp-0aaaaaaaaaaaaa01', prefix: '172.16.1.2/32', nextHop: ME, status: 'in-rib', asPaths: [65001, 65001] },
    ],
  });
  t.teardown(() => fake.close());
  const { daemon, clock, created } = await startDaemon(t, fake);
  t.same(created, ['rs-status']);
  await until('first poll', () => (rsOf(daemon)?.polls ?? 0) >= 1);
  clock.advance(4000);
  const rs = rsOf(daemon)!;
  t.equal(rs.error, undefined, 'poll succeeded');
  t.equal(rs.ageMs, 4000, 'age on the daemon clock');
  t.same(rs.result?.peers.map((p) => [p.id, p.bgpStatus, p.bfdStatus]), [['rsp-0aaaaaaaaaaaaa01', 'up', 'down']], 'only this appliance\'s peers');
  const fib = Object.fromEntries((rs.result?.prefixes ?? []).map((d) => [d.prefix, d.inFib]));
  t.match(fib['172.16.1.1/32'], { nextHop: ME, us: true });
  t.match(fib['172.16.1.2/32'], { nextHop: OTHER, us: false });

  const text = formatStatus(JSON.parse(JSON.stringify(daemon.status())));
  t.match(text, /Route Server \(as AWS sees it, 4s ago; 1 poll\(s\)\)/);
  t.match(text, /10\.0\.1\.230\s+rsp-0aaaaaaaaaaaaa01\s+available\s+up\s+down\s+bfd/);
  t.match(text, /172\.16\.1\.1\/32\s+rs-0123456789abcdef0\s+10\.0\.1\.203 \(us\)/);
  t.match(text, /172\.16\.1\.2\/32\s+rs-0123456789abcdef0\s+10\.0\.2\.204 \(another\)/);

  const metrics = await daemon.metrics.registry.metrics();
  t.match(metrics, /bgp_sidecar_rs_peer_bgp_up\{endpoint="10.0.1.230",route_server_peer="rsp-0aaaaaaaaaaaaa01"\} 1/);
  t.match(metrics, /bgp_sidecar_rs_peer_bfd_up\{endpoint="10.0.1.230",route_server_peer="rsp-0aaaaaaaaaaaaa01"\} 0/);
  t.match(metrics, /bgp_sidecar_rs_prefix_in_fib\{prefix="172.16.1.2\/32",route_server="rs-0123456789abcdef0",next_hop="10.0.2.204",us="false"\} 1/);
  t.match(metrics, /bgp_sidecar_rs_status_age_seconds 4/);

  // A failed poll keeps the last answer and shows the error.
  fake.denied.add('DescribeRouteServerPeers');
  clock.advance(30_000);
  await until('second poll', () => (rsOf(daemon)?.polls ?? 0) >= 2);
  const after = rsOf(daemon)!;
  t.match(after.error, /DescribeRouteServerPeers/);
  t.equal(after.result?.peers.length, 1, 'last good answer kept');
  t.match(formatStatus(daemon.status()), /last poll failed: .*DescribeRouteServerPeers/);
});

t.test('without aws.rs-status-interval: no poller, rsStatus null, no AWS metrics', async (t) => {
  const { daemon, created } = await startDaemon(t, undefined);
  t.same(created, []);
  t.equal(daemon.status()['rsStatus'], null);
  t.notMatch(await daemon.metrics.registry.metrics(), /bgp_sidecar_rs_/);
  t.notMatch(formatStatus(daemon.status()), /Route Server/);
});

t.test('plain status: the fallback section is formatted, not dumped as JSON', async (t) => {
  const text = formatStatus({ fallback: { configured: ['tgw-vpn'], selfState: 'up', tgwVpn: { last: { outcome: 'in-sync' }, pairs: [] } } });
  t.match(text, /Fallback: tgw-vpn; verdict up/);
  t.match(text, /tgw-vpn: last: in-sync/);
  t.notMatch(text, /\{"configured"/);
});

t.test('reload: the poller is replaced when aws or prefixes change, kept otherwise; closed on stop; a failing start is a reload problem', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-rs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = {
    'local-asn': 65001,
    'router-id': '10.0.0.1',
    prefixes: ['172.16.1.1/32'],
    peers: [{ address: '10.0.1.230', asn: 65000 }],
    control: { socket: join(dir, 'c.sock') },
    metrics: false,
    'log-level': 'silent',
    aws: { region: 'eu-west-1', 'private-ip': ME, 'rs-status-interval': '30s' },
  };
  let doc: Record<string, unknown> = base;
  const load = async () => parseConfigText(stringify(doc), { format: 'yaml' });
  const pollers: { prefixes: string[]; closed: boolean }[] = [];
  let failNext = false;
  let registered = 0;
  const components: Components = {
    createSpeaker: () => new StubSpeaker() as unknown as SpeakerPort,
    createRsStatus: async (cfg) => {
      if (failNext) throw new Error('no route to IMDS');
      const p = { prefixes: [...cfg.prefixes], closed: false };
      pollers.push(p);
      return { status: () => ({ polls: pollers.length }), close: () => void (p.closed = true) };
    },
    registerAwsMetrics: async () => void registered++,
  };
  const daemon = new Daemon({ loaded: await load(), loadConfig: load, components, logger: pino({ level: 'silent' }), clock: new ManualClock(), version: 'test' });
  await daemon.start();
  let stopped = false;
  t.teardown(() => (stopped ? undefined : daemon.stop()));
  t.equal(pollers.length, 1);
  t.equal(registered, 1);

  doc = { ...base, 'log-level': 'warn' };
  await daemon.reload();
  t.equal(pollers.length, 1, 'unrelated change: same poller');

  doc = { ...base, prefixes: ['172.16.1.1/32', '172.16.1.2/32'] };
  await daemon.reload();
  t.equal(pollers.length, 2, 'prefixes changed: a new poller');
  t.ok(pollers[0]?.closed, 'the old one closed');
  t.same(pollers[1]?.prefixes, ['172.16.1.1/32', '172.16.1.2/32']);
  t.equal(registered, 1, 'metrics registered once (they read the current poller)');

  failNext = true;
  doc = { ...base, aws: { ...base.aws, 'rs-status-interval': '1m' } };
  const r = await daemon.reload();
  t.match(r.warnings, [/rs-status: no route to IMDS/]);
  t.ok(pollers[1]?.closed);
  t.equal(daemon.status()['rsStatus'], null, 'no stale poller left');

  failNext = false;
  doc = { ...base, aws: { region: 'eu-west-1' } };
  await daemon.reload();
  t.equal(pollers.length, 2, 'interval removed: no poller');

  doc = base;
  await daemon.reload();
  t.equal(pollers.length, 3);
  await daemon.stop();
  stopped = true;
  t.ok(pollers[2]?.closed, 'closed on stop');
});

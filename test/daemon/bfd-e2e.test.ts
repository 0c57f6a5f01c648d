/**
 * The daemon with a real BfdManager (worker process, UDP on loopback test
 * ports) against a second BfdManager playing the peer's BFD, and the test
 * BGP peer. With `strict: true`: no BGP session before BFD is Up; when the
 * peer's BFD stops answering (its worker is SIGSTOPped) the BGP session is
 * torn down with Cease/BFD Down (6/10) and held down; when it answers again
 * the session comes back. Real time, short BFD timers, every wait bounded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { stringify } from 'yaml';
import { realComponents } from '../../src/daemon/components.js';
import type { BfdPort } from '../../src/daemon/ports.js';
import { runDaemon } from '../../src/daemon/run.js';
import { BfdManager, type BfdSessionOptions } from '../../src/io/bfd-manager.js';
import { TestPeer } from './lib/test-peer.js';

const PREFIX = '172.16.1.1/32';
const logger = pino({ level: process.env['DAEMON_TEST_LOG'] ?? 'silent' });
const base = 42000 + Math.floor(Math.random() * 8000);
const OURS = base;
const THEIRS = base + 2;

t.test('strict BFD gates the BGP session; BFD Down resets it with Cease 6/10', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-bfd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const peer = new TestPeer({ asn: 65000, bgpId: '10.255.0.3', holdTime: 90 });
  const port = await peer.listen();
  t.teardown(() => peer.close());

  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify({
    'local-asn': 65001,
    'router-id': '10.0.0.3',
    prefixes: [PREFIX],
    peers: [{ address: '127.0.0.1', asn: 65000, port, bfd: { 'min-tx-ms': 50, 'min-rx-ms': 50, multiplier: 3, strict: true } }],
    control: { socket: join(dir, 'c.sock') },
    metrics: false,
    'log-level': process.env['DAEMON_TEST_LOG'] ?? 'silent',
  }));
  // The real manager, on test ports, sending to the peer's test port.
  const components = {
    ...realComponents(),
    createBfd: async (): Promise<BfdPort> => {
      const m = new BfdManager({ logger, ports: { single: OURS, multi: OURS + 1 } });
      const add = m.add.bind(m);
      const update = m.update.bind(m);
      m.add = (k: string, o: BfdSessionOptions) => add(k, { ...o, peerPort: THEIRS });
      m.update = (k: string, o: BfdSessionOptions) => update(k, { ...o, peerPort: THEIRS });
      return m;
    },
  };
  const running = await runDaemon({ configFile: file, version: 'test', logger, components, env: {} });
  t.teardown(() => running.stop());

  await new Promise((r) => setTimeout(r, 1000));
  t.equal(peer.connections, 0, 'no BGP session while BFD has never been Up');
  const st = running.daemon.status() as { peers: { heldDownByBfd: boolean; bfd: { state: string } }[] };
  t.match(st.peers[0], { heldDownByBfd: true, bfd: { state: 'down' } });

  const theirs = new BfdManager({ logger, ports: { single: THEIRS, multi: THEIRS + 1 } });
  t.teardown(() => theirs.close());
  theirs.add('sidecar', { peer: '127.0.0.1', multihop: false, minTxMs: 50, minRxMs: 50, multiplier: 3, passive: false, peerPort: OURS });
  await peer.until('the route once BFD is Up', () => peer.rib.has(PREFIX), 20_000);
  t.equal(peer.connections, 1);

  await theirs.ready();
  const pid = theirs.workerPid;
  t.ok(pid, 'peer BFD worker pid');
  process.kill(pid!, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid!, 'SIGCONT');
    } catch {
      // already gone
    }
  });
  await peer.until('Cease/BFD Down', () => peer.notifications().some((n) => n.code === 6 && n.subcode === 10), 10_000);
  t.pass('NOTIFICATION 6/10 received');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(peer.connections, 1, 'held down: no reconnect while BFD is Down');

  process.kill(pid!, 'SIGCONT');
  await peer.until('the session back after BFD Up', () => peer.connections === 2 && !peer.closed, 20_000);
  await peer.until('the route again', () => peer.rib.has(PREFIX), 20_000);
  t.pass('route announced again on the new session');
  t.equal(await running.stop(), 0);
});

/**
 * Loopback ownership across a crash, through the daemon: a previous run's
 * state file (loopback.json next to the control socket) says it added two
 * addresses; the config now has one of the prefixes. At start the other
 * address is removed, the current one is adopted (not pre-existing) and is
 * removed at stop after the final withdraw; the operator's address is never
 * touched. Real LoopbackManager with an in-memory `ip` (injected runner);
 * a minimal fake speaker.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { loopbackStateFile } from '../../src/daemon/components.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { Announcement, SpeakerPort } from '../../src/daemon/ports.js';
import { LoopbackManager } from '../../src/host/loopback.js';
import { ManualClock } from '../../src/util/clock.js';
import { FakeIp } from '../host/lib/fake-ip.js';

class Speaker extends EventEmitter {
  readonly sets: Announcement[][] = [];
  constructor(private readonly log: string[]) {
    super();
  }
  start() {}
  set(r: Announcement[]) {
    this.sets.push(r);
    this.log.push(`set ${r.map((a) => a.prefix).join(',')}`);
  }
  async flushed() {
    return true;
  }
  resetPeer() {}
  setPeers() {}
  status() {
    return [];
  }
  async stop(o: { drain?: Announcement[] } = {}) {
    this.log.push(`stop drain=${(o.drain ?? []).map((a) => a.prefix).join(',')}`);
  }
}

t.test('after a crash: the previous run\'s addresses are the daemon\'s own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-locrash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const text = stringify({
    'local-asn': 65001,
    'router-id': '10.0.0.1',
    prefixes: ['172.16.1.1/32'],
    peers: [{ address: '10.0.1.230', asn: 65000 }],
    loopback: { manage: true },
    control: { socket: join(dir, 'control.sock') },
    metrics: false,
    'log-level': 'silent',
  });
  const loaded = parseConfigText(text, { format: 'yaml' });
  const stateFile = loopbackStateFile(loaded.config);
  t.equal(stateFile, join(dir, 'loopback.json'));
  // What the crashed run left: two addresses it added, recorded; plus one the operator put there.
  const ip = new FakeIp('lo', ['127.0.0.1/8', '172.16.1.1/32', '172.16.1.2/32', '198.51.100.9/32']);
  writeFileSync(stateFile, JSON.stringify({ version: 1, interface: 'lo', added: ['172.16.1.1/32', '172.16.1.2/32'] }));
  const log: string[] = [];
  ip.onCall = (argv) => {
    if (argv[0] === 'addr') log.push(`ip ${argv[1]} ${argv[2]}`);
  };
  const daemon = new Daemon({
    loaded,
    loadConfig: async () => loaded,
    components: {
      createSpeaker: () => new Speaker(log) as unknown as SpeakerPort,
      createLoopback: (cfg, logger) => new LoopbackManager({ interface: cfg.loopback.interface, logger, runIp: ip.run, stateFile: loopbackStateFile(cfg) }),
    },
    logger: pino({ level: 'silent' }),
    clock: new ManualClock(),
    version: 'test',
  });
  await daemon.start();
  const until = async (pred: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await until(() => log.some((l) => l.startsWith('set ')));
  t.same(log, ['ip del 172.16.1.2/32', 'set 172.16.1.1/32'], 'the stale address goes before anything is announced; the current one is not re-added');
  const st = (daemon.status() as { loopback: { preexisting: string[]; added: string[]; inherited: string[] } }).loopback;
  t.same(st.preexisting, ['198.51.100.9/32'], 'only the operator\'s address is pre-existing');
  t.same(st.added, ['172.16.1.1/32']);
  t.same(st.inherited, ['172.16.1.1/32']);

  await daemon.stop();
  t.same(log.slice(2), ['stop drain=', 'set ', 'ip del 172.16.1.1/32'], 'removed at stop, after the final withdraw');
  t.same([...ip.addrs].sort(), ['127.0.0.1/8', '198.51.100.9/32']);
  t.same(JSON.parse(readFileSync(stateFile, 'utf8')).added, []);
});

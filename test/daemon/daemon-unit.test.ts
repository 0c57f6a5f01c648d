/**
 * The daemon's wiring with fake components (no sockets but the control
 * socket): BFD reactions (Cease 6/10, strict hold-down), health -> policy ->
 * speaker, drain across reloads and health restarts, reload rules, the stop
 * order, and a component exception that must not take the daemon down.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { parseConfigText, type LoadedConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/types.js';
import { BFD_WORKER_GRACE_MS, Daemon, type Notifications } from '../../src/daemon/daemon.js';
import type { Announcement, BfdPort, Components, HealthPort, SpeakerPeer, SpeakerSettings } from '../../src/daemon/ports.js';
import type { BfdSessionOptions } from '../../src/io/bfd-types.js';
import type { LoopbackManager } from '../../src/host/loopback.js';
import { ManualClock } from '../../src/util/clock.js';

type Doc = Record<string, unknown>;

/** Wait for async steps (the route applier) to settle; bounded. */
async function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

class FakeSpeaker extends EventEmitter {
  sets: Announcement[][] = [];
  peerSets: string[][] = [];
  resets: [string, number, number][] = [];
  stops: { drain?: Announcement[]; reason?: string; timeoutMs?: number }[] = [];
  started = false;
  failNextSet = false;
  /** What fault() reports (SpeakerPort.fault). */
  faultText: string | undefined;
  fault() {
    return this.faultText;
  }
  /** Journal set() and flushed() calls too (only the tests about write order look at them). */
  traceWrites = false;
  /** What flushed() answers; a test may hand out a promise it settles itself. */
  flushResult: () => Promise<boolean> = async () => true;
  flushTimeouts: number[] = [];
  constructor(readonly settings: SpeakerSettings, private readonly journal: string[]) {
    super();
  }
  get bgpId() {
    return this.settings.routerId ?? '10.0.0.9';
  }
  start() {
    this.started = true;
  }
  set(r: Announcement[]) {
    if (this.failNextSet) {
      this.failNextSet = false;
      throw new Error('boom');
    }
    this.sets.push(r);
    if (this.traceWrites) this.journal.push(`speaker.set ${r.map((a) => a.prefix).join(',')}`);
  }
  flushed(timeoutMs: number): Promise<boolean> {
    this.flushTimeouts.push(timeoutMs);
    if (this.traceWrites) this.journal.push('speaker.flushed');
    return this.flushResult().then((ok) => {
      if (this.traceWrites) this.journal.push(`speaker.flushed -> ${ok}`);
      return ok;
    });
  }
  resetPeer(a: string, c: number, s: number) {
    this.resets.push([a, c, s]);
  }
  setPeers(p: SpeakerPeer[]) {
    this.peerSets.push(p.map((x) => x.address));
  }
  status() {
    return [];
  }
  async stop(o: { drain?: Announcement[]; reason?: string; timeoutMs?: number } = {}) {
    this.journal.push('speaker.stop');
    this.stops.push(o);
  }
  get last(): Announcement[] | undefined {
    return this.sets[this.sets.length - 1];
  }
}

class FakeBfd extends EventEmitter {
  /** Worker state reported in every session's status (BfdManager: running, starting, restarting, failed, closed). */
  worker = 'running';
  added = new Map<string, BfdSessionOptions>();
  updated: string[] = [];
  removed: string[] = [];
  constructor(private readonly journal: string[]) {
    super();
  }
  add(k: string, o: BfdSessionOptions) {
    this.added.set(k, o);
  }
  update(k: string) {
    this.updated.push(k);
  }
  async remove(k: string) {
    this.removed.push(k);
  }
  status() {
    return [...this.added.keys()].filter((k) => !this.removed.includes(k)).map((key) => ({ key, state: 'up', worker: this.worker }));
  }
  async close() {
    this.journal.push('bfd.close');
  }
  /** An event as BfdManager emits it (BfdStateEventOut). */
  state(key: string, state: string, previous: string, remoteState = 'down', wasUp = previous === 'up') {
    this.emit('state', { key, peer: key, state, previous, diag: 1, diagName: 'x', wasUp, remoteState, remoteDiag: 0 });
  }
}

class FakeHealth extends EventEmitter {
  drains: [boolean, string | undefined][] = [];
  started = false;
  stopped = false;
  start() {
    this.started = true;
  }
  async stop() {
    this.stopped = true;
  }
  status() {
    return { checks: [] };
  }
  setDrain(on: boolean, reason?: string) {
    this.drains.push([on, reason]);
  }
  verdict(state: string, previous: string, verdict: string) {
    this.emit('verdict', { state, previous, verdict, previousVerdict: 'init', since: 0, reason: `test ${state}`, checks: [] });
  }
}

interface Harness {
  daemon: Daemon;
  speaker: FakeSpeaker;
  bfd: () => FakeBfd | undefined;
  healths: FakeHealth[];
  journal: string[];
  clock: ManualClock;
  /** Warnings and errors the daemon logged (parsed pino lines). */
  logs: { level: number; msg: string; event?: string; [k: string]: unknown }[];
  setConfig(doc: Doc | string): void;
  fallbacks: number;
}

function baseDoc(socket: string): Doc {
  return {
    'local-asn': 65001,
    'router-id': '10.0.0.1',
    prefixes: ['172.16.1.1/32'],
    announce: { prepend: 1, med: 50 },
    peers: [
      { address: '10.0.1.230', asn: 65000 },
      { address: '10.0.1.231', asn: 65000 },
    ],
    control: { socket },
    metrics: false,
    'log-level': 'silent',
  };
}

async function harness(t: Test, mutate: (d: Doc) => Doc = (d) => d, notifier?: Notifications): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'c.sock');
  let text = stringify(mutate(baseDoc(socket)));
  const load = async (): Promise<LoadedConfig> => parseConfigText(text, { format: 'yaml' });
  const journal: string[] = [];
  let speaker: FakeSpeaker | undefined;
  let bfd: FakeBfd | undefined;
  const healths: FakeHealth[] = [];
  const logs: Harness['logs'] = [];
  const h: Partial<Harness> = { healths, journal, fallbacks: 0, logs };
  const components: Components = {
    createSpeaker: (o) => (speaker = new FakeSpeaker(o, journal)),
    createBfd: async () => (bfd = new FakeBfd(journal)) as unknown as BfdPort,
    createHealth: () => {
      const f = new FakeHealth();
      healths.push(f);
      return f as unknown as HealthPort;
    },
    createLoopback: () =>
      ({
        start: async () => void journal.push('loopback.start'),
        ensure: async (p: readonly string[]) => {
          journal.push(`loopback.ensure ${p.join(',')}`);
          return [];
        },
        release: async (p: readonly string[]) => void journal.push(`loopback.release ${p.join(',')}`),
        releaseAll: async () => void journal.push('loopback.releaseAll'),
        releaseInheritedExcept: async () => [],
        status: () => ({ interface: 'lo', preexisting: [], added: [] }),
      }) as unknown as LoopbackManager,
    createFallback: async () => {
      h.fallbacks = (h.fallbacks ?? 0) + 1;
      return {
        onVerdict: async (v: unknown) => void journal.push(`fallback ${(v as { state: string }).state}`),
        status: () => ({}),
        close: async () => undefined,
      };
    },
    createHooks: () => ({
      onTransition: (tr) => void journal.push(`hook ${tr.previousVerdict}->${tr.verdict}`),
      idle: async () => undefined,
      status: () => ({}),
      close: () => undefined,
    }),
  };
  const clock = new ManualClock();
  h.clock = clock;
  const daemon = new Daemon({
    loaded: await load(),
    loadConfig: load,
    components,
    logger: pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as Harness['logs'][number]) }),
    clock,
    version: 'test',
    ...(notifier ? { notifier } : {}),
  });
  await daemon.start();
  t.teardown(() => daemon.stop());
  return Object.assign(h, {
    daemon,
    speaker: speaker!,
    bfd: () => bfd,
    setConfig(doc: Doc | string) {
      text = typeof doc === 'string' ? doc : stringify({ ...mutate(baseDoc(socket)), ...doc });
    },
  }) as Harness;
}

t.test('without health: the announce settings, statically, at start', async (t) => {
  const h = await harness(t);
  t.ok(h.speaker.started);
  t.same(h.speaker.settings, {
    localAsn: 65001,
    routerId: '10.0.0.1',
    peers: [
      { address: '10.0.1.230', asn: 65000, port: 179, holdTime: 90, openHoldMs: 30_000, passive: false },
      { address: '10.0.1.231', asn: 65000, port: 179, holdTime: 90, openHoldMs: 30_000, passive: false },
    ],
  });
  t.same(h.speaker.sets, [[{ prefix: '172.16.1.1/32', prepend: 1, med: 50 }]]);
  t.equal(h.fallbacks, 0, 'no fallback configured, none created');
  t.same(h.journal, [], 'loopback not managed: no address touched');
});

t.test('BFD: Down after Up resets the session with Cease/BFD Down (6/10)', async (t) => {
  const h = await harness(t, (d) => ({ ...d, peers: [{ address: '10.0.1.230', asn: 65000, bfd: { 'min-tx-ms': 100, 'min-rx-ms': 100 } }, { address: '10.0.1.231', asn: 65000 }] }));
  const bfd = h.bfd()!;
  t.same([...bfd.added.keys()], ['10.0.1.230'], 'only the peer with bfd');
  t.match(bfd.added.get('10.0.1.230'), { peer: '10.0.1.230', minTxMs: 100, minRxMs: 100, multiplier: 3, multihop: false, passive: false });
  t.same(h.speaker.settings.peers.map((p) => p.address), ['10.0.1.230', '10.0.1.231'], 'not strict: BGP starts at once');
  bfd.state('10.0.1.230', 'init', 'down');
  bfd.state('10.0.1.230', 'up', 'init', 'init');
  t.same(h.speaker.resets, []);
  bfd.state('10.0.1.230', 'down', 'up', 'down');
  t.same(h.speaker.resets, [['10.0.1.230', 6, 10]], 'detection time expired: reset');
  bfd.state('10.0.1.230', 'up', 'down', 'up');
  // RFC 5882 3.2: the peer saying AdminDown is not a path failure.
  bfd.state('10.0.1.230', 'down', 'up', 'admin-down');
  t.same(h.speaker.resets.length, 1, 'no reset on the peer\'s AdminDown');
  // Down that was never Up (start-up) does not reset.
  bfd.state('10.0.1.230', 'down', 'init', 'down', false);
  t.same(h.speaker.resets.length, 1);
});

t.test('BFD strict: the BGP session is held down while BFD is not Up', async (t) => {
  const h = await harness(t, (d) => ({ ...d, peers: [{ address: '10.0.1.230', asn: 65000, bfd: { strict: true } }, { address: '10.0.1.231', asn: 65000 }] }));
  const bfd = h.bfd()!;
  t.same(h.speaker.settings.peers.map((p) => p.address), ['10.0.1.231'], 'strict peer not started');
  bfd.state('10.0.1.230', 'up', 'init', 'init');
  t.same(h.speaker.peerSets, [['10.0.1.230', '10.0.1.231']], 'started once BFD is Up (config order)');
  bfd.state('10.0.1.230', 'down', 'up');
  t.same(h.speaker.resets, [['10.0.1.230', 6, 10]]);
  t.same(h.speaker.peerSets[1], ['10.0.1.231'], 'held down again');
  const st = h.daemon.status() as { peers: { address: string; heldDownByBfd: boolean }[] };
  t.same(st.peers.map((p) => p.heldDownByBfd), [true, false]);
});

t.test('health -> verdict -> policy -> speaker', async (t) => {
  const h = await harness(t, (d) => ({
    ...d,
    health: { checks: [{ type: 'file', path: '/nonexistent' }] },
    policy: { role: 'standby', maintenance: { prepend: 6 } },
  }));
  const health = h.healths[0]!;
  t.ok(health.started);
  t.same(h.speaker.sets, [[]], 'init: nothing announced before the first verdict');
  health.verdict('up', 'rising', 'up');
  t.same(h.speaker.last, [{ prefix: '172.16.1.1/32', prepend: 2, med: 50 }], 'standby up: prepend 2, med from announce');
  health.verdict('falling', 'up', 'up');
  t.equal(h.speaker.sets.length, 2, 'falling keeps the route, no UPDATE');
  health.verdict('down', 'falling', 'down');
  t.same(h.speaker.last, [], 'down: withdraw');
  health.verdict('up', 'rising', 'up');
  t.same(h.speaker.last, [{ prefix: '172.16.1.1/32', prepend: 2, med: 50 }]);
  t.equal(await h.daemon.metrics.registry.getSingleMetricAsString('bgp_sidecar_failovers_total').then((s) => /\s1$/m.test(s)), true, 'one failover counted');

  // Drain: health is told, the maintenance announcement goes out at once.
  h.daemon.drain('kernel upgrade');
  t.same(health.drains, [[true, 'kernel upgrade']]);
  t.same(h.speaker.last, [{ prefix: '172.16.1.1/32', prepend: 6, med: 50 }]);
  health.verdict('maintenance', 'up', 'maintenance');
  t.same(h.speaker.last, [{ prefix: '172.16.1.1/32', prepend: 6, med: 50 }], 'unchanged, no extra UPDATE');

  // A reload that changes the health section restarts the monitor; the drain survives.
  h.setConfig({ health: { checks: [{ type: 'file', path: '/other' }] }, policy: { role: 'standby', maintenance: { prepend: 6 } } });
  await h.daemon.reload();
  t.ok(health.stopped, 'old monitor stopped');
  const again = h.healths[1]!;
  t.ok(again.started);
  t.same(again.drains, [[true, 'kernel upgrade']], 'new monitor drained too');
  t.same(h.speaker.last, [{ prefix: '172.16.1.1/32', prepend: 6, med: 50 }], 'still maintenance');
  h.daemon.undrain();
  t.same(again.drains.at(-1), [false, undefined]);
  t.same(h.speaker.last, [], 'new monitor has no verdict yet: nothing announced');
  again.verdict('up', 'rising', 'up');
  t.same(h.speaker.last, [{ prefix: '172.16.1.1/32', prepend: 2, med: 50 }]);
});

t.test('reload: peers go through setPeers, BFD sessions are diffed, bad configs are rejected', async (t) => {
  const h = await harness(t, (d) => d);
  h.setConfig({ peers: [{ address: '10.0.1.230', asn: 65000 }, { address: '10.0.1.232', asn: 65000, bfd: true }] });
  t.same(await h.daemon.reload(), { reloaded: true, warnings: [] });
  t.same(h.speaker.peerSets, [['10.0.1.230', '10.0.1.232']]);
  t.same([...h.bfd()!.added.keys()], ['10.0.1.232'], 'BFD created on demand');

  h.setConfig('local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers: [{address: 10.0.1.230, asn: abc}]\n');
  await t.rejects(h.daemon.reload(), { message: /^reload rejected, running configuration kept:\npeers\[0\]\.asn: expected an integer/ });
  t.equal(h.speaker.peerSets.length, 1, 'speaker untouched');
  t.equal(h.daemon.config.peers[1]?.address, '10.0.1.232', 'running config kept');

  h.setConfig({ 'local-asn': 65002 });
  await t.rejects(h.daemon.reload(), { message: 'reload rejected, running configuration kept: local-asn changed; restart bgp-sidecar to change it' });

  h.setConfig({ prefixes: ['172.16.1.1/32', '172.16.1.2/32'] });
  await h.daemon.reload();
  t.same(h.speaker.last?.map((a) => a.prefix), ['172.16.1.1/32', '172.16.1.2/32'], 'new prefix announced');
  t.same(h.bfd()!.removed, ['10.0.1.232'], 'BFD session of the removed peer removed');
});

t.test('a component exception is logged and the daemon keeps running', async (t) => {
  const h = await harness(t);
  h.speaker.failNextSet = true;
  h.daemon.drain('x');
  t.equal(h.speaker.sets.length, 1, 'the failed set changed nothing');
  h.daemon.undrain();
  h.daemon.drain('y');
  t.same(h.speaker.last, [], 'next change goes through (maintenance = withdraw)');
  // A garbled event from a component does not throw out of the emitter.
  t.doesNotThrow(() => h.speaker.emit('peer-state', null as never));
  t.same((h.daemon.status() as { drain: { on: boolean } }).drain.on, true);
});

t.test('stop: maintenance announcement (or withdraw), then BFD AdminDown, then loopback cleanup', async (t) => {
  const h = await harness(t, (d) => ({
    ...d,
    policy: { maintenance: { prepend: 4, communities: ['65535:0'] } },
    peers: [{ address: '10.0.1.230', asn: 65000, bfd: true }],
    loopback: { manage: true },
  }));
  await until(() => h.speaker.sets.length === 1);
  t.same(h.journal, ['loopback.start', 'loopback.ensure 172.16.1.1/32'], 'address added before the first announcement');
  t.same(h.speaker.sets, [[{ prefix: '172.16.1.1/32', prepend: 1, med: 50 }]]);
  await h.daemon.stop();
  t.same(h.speaker.stops, [{ drain: [{ prefix: '172.16.1.1/32', prepend: 4, med: 50, communities: ['65535:0'] }], reason: 'bgp-sidecar stopping', timeoutMs: 5000 }]);
  t.same(h.journal.slice(2), ['speaker.stop', 'bfd.close', 'loopback.release 172.16.1.1/32', 'loopback.releaseAll'], 'the address goes only after the withdraw');
  await h.daemon.stop();
  t.equal(h.speaker.stops.length, 1, 'stop is idempotent');

  const w = await harness(t);
  await w.daemon.stop();
  t.same(w.speaker.stops[0]?.drain, [], 'withdraw when maintenance withdraws');
});

t.test('managed loopback: a withdrawn prefix loses its address only after the speaker took the withdraw', async (t) => {
  const h = await harness(t, (d) => ({ ...d, prefixes: ['172.16.1.1/32', '172.16.1.2/32'], loopback: { manage: true } }));
  await until(() => h.speaker.sets.length === 1);
  h.setConfig({ prefixes: ['172.16.1.1/32'] });
  await h.daemon.reload();
  await until(() => h.journal.some((j) => j.startsWith('loopback.release ')));
  t.same(h.speaker.last?.map((a) => a.prefix), ['172.16.1.1/32']);
  t.equal(h.journal.at(-1), 'loopback.release 172.16.1.2/32');
  h.setConfig({ prefixes: ['172.16.1.1/32'], loopback: { manage: false } });
  await t.rejects(h.daemon.reload(), { message: /loopback changed; restart bgp-sidecar/ });
});

t.test('managed loopback: the address of a withdrawn prefix goes only once speaker.flushed() says the withdraw is written', async (t) => {
  const h = await harness(t, (d) => ({ ...d, prefixes: ['172.16.1.1/32', '172.16.1.2/32'], loopback: { manage: true } }));
  await until(() => h.speaker.sets.length === 1);
  h.speaker.traceWrites = true;
  let settle!: (ok: boolean) => void;
  h.speaker.flushResult = () => new Promise<boolean>((r) => (settle = r));
  const mark = h.journal.length;
  h.setConfig({ prefixes: ['172.16.1.1/32'] });
  await h.daemon.reload();
  await until(() => h.journal.includes('speaker.flushed'));
  // Give the applier every chance to run ahead if it did not wait.
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(h.journal.some((j) => j.startsWith('loopback.release')), 'no address removed while the withdraw is not written');
  settle(true);
  await until(() => h.journal.some((j) => j.startsWith('loopback.release ')));
  t.same(h.journal.slice(mark), [
    'loopback.ensure 172.16.1.1/32',
    'speaker.set 172.16.1.1/32',
    'speaker.flushed',
    'speaker.flushed -> true',
    'loopback.release 172.16.1.2/32',
  ]);
  t.equal(h.speaker.flushTimeouts.at(-1), 5000, 'the wait is bounded (default 5 s)');
  h.speaker.flushResult = async () => true;
  t.same(h.logs.filter((l) => l.event === 'updates-not-written'), [], 'no warning when written');
});

t.test('managed loopback: withdraw not written within the bound: a warning, and the address is removed anyway', async (t) => {
  const h = await harness(t, (d) => ({ ...d, prefixes: ['172.16.1.1/32', '172.16.1.2/32'], loopback: { manage: true }, 'log-level': 'warn' }));
  await until(() => h.speaker.sets.length === 1);
  h.speaker.traceWrites = true;
  h.speaker.flushResult = async () => false; // what Speaker.flushed answers when its bound passed
  const mark = h.journal.length;
  h.setConfig({ prefixes: ['172.16.1.1/32'] });
  await h.daemon.reload();
  await until(() => h.journal.some((j) => j.startsWith('loopback.release ')));
  t.same(h.journal.slice(mark), ['loopback.ensure 172.16.1.1/32', 'speaker.set 172.16.1.1/32', 'speaker.flushed', 'speaker.flushed -> false', 'loopback.release 172.16.1.2/32']);
  const warn = h.logs.find((l) => l.event === 'updates-not-written');
  t.ok(warn, 'warning logged');
  t.equal(warn?.level, 40);
  t.same(warn?.['announced'], ['172.16.1.1/32']);

  // A flushed() that throws is the same: warned, not stuck.
  h.speaker.flushResult = () => Promise.reject(new Error('kaput'));
  h.setConfig({ prefixes: ['172.16.1.2/32'] });
  await h.daemon.reload();
  await until(() => h.journal.at(-1) === 'loopback.release 172.16.1.1/32');
  t.ok(h.logs.some((l) => l.event === 'flush-failed'));
});

t.test('liveness: withheld when the BFD worker is dead and not restarting', async (t) => {
  const h = await harness(t, (d) => ({ ...d, peers: [{ address: '10.0.1.230', asn: 65000, bfd: true }] }));
  const bfd = h.bfd()!;
  t.equal(h.daemon.liveness(), true, 'worker running');
  bfd.worker = 'failed';
  t.match(h.daemon.liveness(), /bfd worker process keeps dying and is not being restarted/, 'failed: at once');
  bfd.worker = 'closed';
  t.match(h.daemon.liveness(), /bfd worker process is gone \(closed\)/);
  bfd.worker = 'running';
  t.equal(h.daemon.liveness(), true, 'back');

  // Restarting is normal for a moment (BfdManager backs off 200 ms .. 3.2 s); stuck there is not.
  bfd.worker = 'restarting';
  t.equal(h.daemon.liveness(), true, 'restarting: still alive');
  h.clock.advance(BFD_WORKER_GRACE_MS - 1);
  t.equal(h.daemon.liveness(), true, 'just inside the grace');
  h.clock.advance(1);
  t.equal(h.daemon.liveness(), 'bfd worker process restarting for 30 s');
  bfd.worker = 'running';
  t.equal(h.daemon.liveness(), true);
  bfd.worker = 'starting';
  t.equal(h.daemon.liveness(), true, 'a new episode starts its own grace');

  // No BFD sessions left: no worker needed.
  bfd.worker = 'failed';
  h.setConfig({ peers: [{ address: '10.0.1.230', asn: 65000 }] });
  await h.daemon.reload();
  t.equal(h.daemon.liveness(), true, 'no session, no verdict on the worker');
});

t.test('liveness: withheld while the speaker reports an internal fault; not while starting or stopping', async (t) => {
  const h = await harness(t);
  t.equal(h.daemon.liveness(), true);
  h.speaker.faultText = 'adj-rib-out out of sync';
  t.equal(h.daemon.liveness(), 'speaker internal fault: adj-rib-out out of sync');
  h.speaker.faultText = undefined;
  t.equal(h.daemon.liveness(), true);
  h.speaker.fault = () => {
    throw new Error('boom');
  };
  t.equal(h.daemon.liveness(), 'speaker internal fault: fault() threw: boom');
  await h.daemon.stop();
  t.equal(h.daemon.liveness(), true, 'stopping/stopped: the stop has its own timeout');
});

t.test('runDaemon wires the liveness probe into the watchdog: pings stop while the BFD worker is dead', async (t) => {
  const { runDaemon } = await import('../../src/daemon/run.js');
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-wd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, stringify({ ...baseDoc(join(dir, 'c.sock')), peers: [{ address: '10.0.1.230', asn: 65000, bfd: true }] }));
  let bfd: FakeBfd | undefined;
  const journal: string[] = [];
  let pings = 0;
  const notifier = {
    enabled: true, socket: '/fake', watchdogUsec: 100_000, // WatchdogSec=100ms: a ping every 50 ms
    notify: () => true, ready: () => true, reloading: () => true, stopping: () => true, status: () => true,
    watchdog: () => (pings++, true), watchdogTrigger: () => true, extendTimeout: () => true, errno: () => true,
  };
  const running = await runDaemon({
    configFile: file,
    version: 'test',
    logger: pino({ level: 'silent' }),
    notifier,
    components: {
      createSpeaker: (o) => new FakeSpeaker(o, journal),
      createBfd: async () => (bfd = new FakeBfd(journal)) as unknown as BfdPort,
    },
  });
  t.teardown(() => running.stop());
  const waitFor = async (what: string, pred: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await waitFor('pings', () => pings >= 3);
  bfd!.worker = 'failed';
  await waitFor('withheld', () => running.watchdog.status().withheld !== undefined);
  t.match(running.watchdog.status().withheld, /bfd worker process keeps dying/);
  const frozen = pings;
  await new Promise((r) => setTimeout(r, 300));
  t.equal(pings, frozen, 'no ping while the worker is dead (systemd restarts us after WatchdogSec)');
  bfd!.worker = 'running';
  await waitFor('pings again', () => pings > frozen);
  t.equal(running.watchdog.status().withheld, undefined, 'pings resume once it is back');
});

t.test('without health, drain and undrain are verdicts for hooks, fallback and metrics', async (t) => {
  const h = await harness(t, (d) => ({ ...d, fallback: { 'dry-run': true, 'tgw-vpn': { pairs: ['floating'] } } }));
  t.equal(h.fallbacks, 1, 'fallback created because configured');
  t.same(h.journal, ['fallback up'], 'the fallback learns the static verdict at start');
  h.daemon.drain('patching');
  h.daemon.drain('patching, again');
  h.daemon.undrain();
  t.same(h.journal, ['fallback up', 'hook up->maintenance', 'fallback maintenance', 'hook maintenance->up', 'fallback up']);
  t.match(await h.daemon.metrics.registry.getSingleMetricAsString('bgp_sidecar_failovers_total'), /^bgp_sidecar_failovers_total 1$/m);
});

t.test('sd_notify: READY after start, RELOADING/READY around a reload, STOPPING on stop', async (t) => {
  const sent: string[] = [];
  const rec = (k: string) => (s?: string) => {
    sent.push(s === undefined ? k : `${k} ${s}`);
    return true;
  };
  const notifier: Notifications = { ready: rec('READY'), reloading: rec('RELOADING'), stopping: rec('STOPPING'), status: rec('STATUS') };
  const h = await harness(t, (d) => d, notifier);
  t.same(sent, ['STATUS up; 1 prefix announced', 'READY up; 1 prefix announced'], 'READY once the sessions are started and the route handed over');
  sent.length = 0;
  await h.daemon.reload();
  t.same(sent, ['RELOADING reloading configuration', 'READY up; 1 prefix announced']);
  sent.length = 0;
  h.setConfig('local-asn: x\n');
  await t.rejects(h.daemon.reload());
  t.same(sent, ['RELOADING reloading configuration', 'READY up; 1 prefix announced'], 'READY again after a rejected reload');
  sent.length = 0;
  await h.daemon.stop();
  t.same(sent, ['STOPPING stopping: withdrawing']);
});

t.test('a config error at load is a ConfigError with every problem', async (t) => {
  t.throws(() => parseConfigText('local-asn: 0\n'), ConfigError);
});

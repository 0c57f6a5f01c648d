/**
 * The BFD worker: a child process that owns every BFD socket, timer and session, so that a
 * stall of the daemon's main thread (GC, a slow AWS call, a config reload) cannot delay a BFD
 * packet or a detection. Started by BfdManager with fork(); talks to it over IPC.
 *
 * Why a process and not a worker_thread: the TTL of received packets is read through a raw
 * IPPROTO_UDP socket (the raw-socket addon), and that addon is not context-aware, so it cannot
 * be loaded in a worker thread. A process also keeps the daemon's heap and GC entirely apart.
 */
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { setPriority } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../util/clock.js';
import {
  AUTH_TYPE_BY_NAME,
  BFD_MULTI_HOP_PORT,
  BFD_SINGLE_HOP_PORT,
  BFD_SOURCE_PORT_MAX,
  BFD_SOURCE_PORT_MIN,
  BFD_TTL,
  emptyDiscardCounters,
  type DiscardReason,
} from '../bfd/constants.js';
import { decodeControlPacket } from '../bfd/packet.js';
import { validateAuthKey, type BfdAuthKey } from '../bfd/auth.js';
import { BfdSession } from '../fsm/bfd-session.js';
import { BfdDemux } from '../fsm/bfd-demux.js';
import { parseIpv4Udp } from './bfd-ipv4.js';
import type { BfdSessionOptions, BfdStatus, FromWorker, ToWorker } from './bfd-types.js';

interface WorkerArgs {
  singlePort: number;
  multiPort: number;
  /** Scheduling priority (nice) for this process; BFD is latency-critical. */
  nice?: number;
  /** Tests: pretend the raw socket is unavailable. */
  noRaw?: boolean;
}

interface Entry {
  key: string;
  o: BfdSessionOptions;
  session: BfdSession;
  socket: dgram.Socket;
  sourcePort: number;
  discr: number;
  sendErrors: number;
}

const args: WorkerArgs = { singlePort: BFD_SINGLE_HOP_PORT, multiPort: BFD_MULTI_HOP_PORT, ...parseArgs() };

function parseArgs(): Partial<WorkerArgs> {
  const a = process.argv[2];
  if (!a) return {};
  try {
    return JSON.parse(a) as Partial<WorkerArgs>;
  } catch {
    return {};
  }
}

function post(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}
function log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  post({ t: 'log', level, msg, fields });
}

const sessions = new Map<string, Entry>();
const demux = new BfdDemux<Entry>(() => randomBytes(4).readUInt32BE(0));
const global = { received: 0, discards: emptyDiscardCounters() };
let ttlCheck = false;
let closing = false;
// How late this event loop runs its timers: the health figure of the worker itself.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

// ---- receive path ----

function handle(src: string, dst: string | undefined, dstPort: number, ttl: number | undefined, payload: Uint8Array): void {
  const multihop = dstPort === args.multiPort;
  global.received++;
  const dec = decodeControlPacket(payload);
  const from = { peer: src, local: dst, multihop };
  if (!dec.ok) {
    // RFC 5880 6.8.6 checks 1-6: counted on the session configured for the source, if any.
    discard(demux.bySource(from), dec.reason);
    return;
  }
  const found = demux.lookup(dec.packet, from);
  if (!found.ok) {
    discard(found.session, found.reason);
    return;
  }
  const e = found.session;
  if (e.o.peer !== src) {
    discard(e, 'wrong-source');
    return;
  }
  // RFC 5881 5: "All received BFD Control packets that are demultiplexed to the session MUST be
  // discarded if the received TTL or Hop Limit is not equal to 255." (single hop only; RFC 5883
  // leaves the multihop check to configuration, and we do not check it).
  if (!multihop && ttl !== undefined && ttl !== BFD_TTL) {
    discard(e, 'bad-ttl');
    return;
  }
  e.session.receive(dec.packet, dec.bytes);
}

function discard(e: Entry | undefined, reason: DiscardReason): void {
  if (e) e.session.countDiscard(reason);
  else global.discards[reason]++;
}

function safeHandle(...a: Parameters<typeof handle>): void {
  try {
    handle(...a);
  } catch (err) {
    // A packet must never crash the worker: count it and go on.
    log('error', 'bfd packet handling failed', { err: String(err) });
  }
}

// The listeners own ports 3784/4784 (so the kernel does not answer ICMP port unreachable and no
// other process takes them). With the raw socket, their copies are ignored: the raw copy carries
// the TTL.
const listeners: dgram.Socket[] = [];
let portsBound = { single: false, multi: false };

async function bindListener(port: number): Promise<boolean> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  s.on('message', (msg, rinfo) => {
    if (ttlCheck) return;
    safeHandle(rinfo.address, undefined, port, undefined, Uint8Array.from(msg));
  });
  return new Promise((resolve) => {
    s.once('error', (err) => {
      log('error', 'bfd cannot bind listener port', { port, err: err.message });
      s.close();
      resolve(false);
    });
    s.bind({ port, address: '0.0.0.0', exclusive: true }, () => {
      s.removeAllListeners('error');
      s.on('error', (err) => log('warn', 'bfd listener error', { port, err: err.message }));
      listeners.push(s);
      resolve(true);
    });
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let rawSocket: any;
function openRaw(): boolean {
  if (args.noRaw) return false;
  try {
    const require = createRequire(import.meta.url);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const raw = require('raw-socket') as any;
    rawSocket = raw.createSocket({ protocol: raw.Protocol.UDP, bufferSize: 2048 });
    rawSocket.on('message', (buf: Buffer) => {
      const r = parseIpv4Udp(buf);
      if (!r.ok) return;
      const u = r.udp;
      if (u.dstPort !== args.singlePort && u.dstPort !== args.multiPort) return; // not BFD: not ours
      safeHandle(u.src, u.dst, u.dstPort, u.ttl, Uint8Array.from(u.payload));
    });
    rawSocket.on('error', (err: Error) => log('error', 'bfd raw socket error', { err: err.message }));
    return true;
  } catch (err) {
    log('error', 'bfd raw socket unavailable: received TTL is NOT checked (needs CAP_NET_RAW)', { err: String(err) });
    return false;
  }
}

// ---- sessions ----

function authKey(o: BfdSessionOptions): BfdAuthKey | undefined {
  if (!o.auth) return undefined;
  const k: BfdAuthKey = { type: AUTH_TYPE_BY_NAME[o.auth.type], keyId: o.auth.keyId, secret: Buffer.from(o.auth.secret, 'utf8') };
  const err = validateAuthKey(k);
  if (err) throw new Error(`bfd auth: ${err}`);
  return k;
}

async function bindSource(local: string | undefined): Promise<{ socket: dgram.Socket; port: number }> {
  for (let i = 0; i < 64; i++) {
    // RFC 5881 4: source port in 49152..65535, unique per session (the kernel guarantees the
    // uniqueness: bind fails if the port is taken, and we draw again).
    const port = BFD_SOURCE_PORT_MIN + (randomBytes(2).readUInt16BE(0) % (BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1));
    const socket = dgram.createSocket({ type: 'udp4' });
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      socket.once('error', (e) => resolve(e));
      socket.bind({ port, address: local ?? '0.0.0.0', exclusive: true }, () => resolve(undefined));
    });
    if (err && err.code !== 'EADDRINUSE') {
      socket.close();
      throw new Error(`bfd: cannot bind ${local ?? '0.0.0.0'}:${port}: ${err.code ?? err.message}${err.code === 'EADDRNOTAVAIL' ? ' (local address not configured on this host)' : ''}`);
    }
    if (!err) {
      socket.removeAllListeners('error');
      // RFC 5881 5 / RFC 5883 5: TTL 255 on every packet sent.
      socket.setTTL(BFD_TTL);
      return { socket, port };
    }
    socket.close();
  }
  throw new Error('bfd: no free UDP source port in 49152-65535');
}

async function add(key: string, o: BfdSessionOptions): Promise<void> {
  if (sessions.has(key)) throw new Error(`bfd session ${key} exists`);
  if (!isIPv4(o.peer) || (o.local !== undefined && !isIPv4(o.local))) throw new Error(`bfd session ${key}: IPv4 addresses only`);
  const auth = authKey(o);
  const { socket, port } = await bindSource(o.local);
  const discr = demux.allocateDiscriminator();
  const dstPort = o.peerPort ?? (o.multihop ? BFD_MULTI_HOP_PORT : BFD_SINGLE_HOP_PORT);
  // eslint-disable-next-line prefer-const
  let e: Entry;
  const session = new BfdSession(
    { localDiscr: discr, minTxMs: o.minTxMs, minRxMs: o.minRxMs, multiplier: o.multiplier, passive: o.passive, ...(auth ? { auth } : {}) },
    {
      clock: systemClock,
      random: Math.random,
      randomU32: () => randomBytes(4).readUInt32BE(0),
      send: (bytes) => {
        socket.send(bytes, dstPort, o.peer, (err) => {
          if (err) {
            e.sendErrors++;
            if (e.sendErrors === 1 || e.sendErrors % 100 === 0) log('warn', 'bfd send failed', { key, peer: o.peer, err: err.message, count: e.sendErrors });
          }
        });
      },
      onStateChange: (ev) => {
        post({ t: 'state', ev: { key, peer: o.peer, ...ev } });
        scheduleStatus();
      },
    },
  );
  socket.on('error', (err) => log('warn', 'bfd session socket error', { key, err: err.message }));
  socket.on('message', () => {}); // packets to the source port are not BFD control packets
  e = { key, o, session, socket, sourcePort: port, discr, sendErrors: 0 };
  if (sessions.has(key)) {
    socket.close();
    throw new Error(`bfd session ${key} exists`);
  }
  sessions.set(key, e);
  demux.add(discr, { peer: o.peer, local: o.local, multihop: o.multihop }, e);
  session.start();
  log('info', 'bfd session added', { key, peer: o.peer, multihop: o.multihop, sourcePort: port, discr });
  scheduleStatus();
}

/**
 * A session whose socket cannot be set up yet (typically: its local address is not on the box
 * yet) is retried every 5 s until it works or is removed; the error shows in status.
 */
const retries = new Map<string, NodeJS.Timeout>();
function cancelRetry(key: string): void {
  const r = retries.get(key);
  if (r) clearTimeout(r);
  retries.delete(key);
}
async function addOrRetry(key: string, o: BfdSessionOptions): Promise<void> {
  try {
    await add(key, o);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log('error', 'bfd session could not be created; retrying in 5 s', { key, peer: o.peer, err: error });
    post({ t: 'session-error', key, error });
    if (closing || sessions.has(key)) return;
    cancelRetry(key);
    retries.set(
      key,
      setTimeout(() => {
        retries.delete(key);
        if (!closing) serial(() => addOrRetry(key, o));
      }, 5000),
    );
  }
}

function sameIdentity(a: BfdSessionOptions, b: BfdSessionOptions): boolean {
  return (
    a.peer === b.peer &&
    a.local === b.local &&
    a.multihop === b.multihop &&
    a.passive === b.passive &&
    a.peerPort === b.peerPort &&
    JSON.stringify(a.auth ?? null) === JSON.stringify(b.auth ?? null)
  );
}

async function update(key: string, o: BfdSessionOptions): Promise<void> {
  const e = sessions.get(key);
  if (!e) return addOrRetry(key, o);
  if (sameIdentity(e.o, o)) {
    // RFC 5880 6.8.3: a timer change starts a Poll Sequence inside the session.
    e.session.update({ minTxMs: o.minTxMs, minRxMs: o.minRxMs, multiplier: o.multiplier });
    e.o = o;
    log('info', 'bfd session timers changed', { key, minTxMs: o.minTxMs, minRxMs: o.minRxMs, multiplier: o.multiplier });
  } else {
    await remove(key, 0);
    await add(key, o);
  }
  scheduleStatus();
}

/**
 * RFC 5880 6.8.16: go AdminDown (diag 7) and keep sending for a short while so the peer learns
 * it is administrative, not a failure; then drop the session.
 */
async function remove(key: string, lingerCapMs = 1000): Promise<void> {
  const e = sessions.get(key);
  if (!e) return;
  const snap = e.session.snapshot();
  e.session.adminDown();
  const linger = snap.remoteDiscr !== 0 && snap.negotiatedTxMs > 0 ? Math.min(lingerCapMs, 2.5 * snap.negotiatedTxMs) : 0;
  if (linger > 0) await new Promise((r) => setTimeout(r, linger));
  e.session.stop();
  demux.remove(e.discr);
  sessions.delete(key);
  await new Promise<void>((r) => e.socket.close(() => r()));
  log('info', 'bfd session removed', { key });
  scheduleStatus();
}

// ---- status ----

let statusQueued = false;
function scheduleStatus(): void {
  if (statusQueued) return;
  statusQueued = true;
  setImmediate(() => {
    statusQueued = false;
    pushStatus();
  });
}
function pushStatus(): void {
  const nowPerf = performance.now();
  const nowWall = Date.now();
  const list: BfdStatus[] = [];
  for (const e of sessions.values()) {
    const { lastStateChangeAt, ...snap } = e.session.snapshot();
    list.push({
      key: e.key,
      peer: e.o.peer,
      ...(e.o.local ? { local: e.o.local } : {}),
      multihop: e.o.multihop,
      sourcePort: e.sourcePort,
      lastStateChange: new Date(nowWall - (nowPerf - lastStateChangeAt)).toISOString(),
      ttlCheck: ttlCheck && !e.o.multihop,
      worker: 'running',
      ...snap,
    });
  }
  post({
    t: 'status',
    sessions: list,
    global: {
      received: global.received,
      discards: { ...global.discards },
      ttlCheck,
      loopDelay: { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 },
    },
  });
}

// ---- IPC ----

let chain: Promise<void> = Promise.resolve();
function serial(fn: () => Promise<void>): void {
  chain = chain.then(fn).catch((err: unknown) => log('error', 'bfd worker command failed', { err: err instanceof Error ? err.message : String(err) }));
}

process.on('message', (m: ToWorker) => {
  if (closing) return;
  switch (m.t) {
    case 'add':
      serial(() => addOrRetry(m.key, m.o));
      break;
    case 'update':
      if (retries.has(m.key)) {
        cancelRetry(m.key);
        serial(() => addOrRetry(m.key, m.o));
        break;
      }
      serial(() => update(m.key, m.o));
      break;
    case 'remove':
      cancelRetry(m.key);
      serial(async () => {
        await remove(m.key);
        post({ t: 'done', id: m.id });
      });
      break;
    case 'close':
      closing = true;
      for (const k of [...retries.keys()]) cancelRetry(k);
      void chain.then(async () => {
        await Promise.all([...sessions.keys()].map((k) => remove(k)));
        post({ t: 'done', id: m.id });
        for (const l of listeners) l.close();
        rawSocket?.close();
        setTimeout(() => process.exit(0), 20);
      });
      break;
  }
});
// The daemon went away: nothing to report to, stop (sessions time out at the peer).
process.on('disconnect', () => process.exit(0));
// A signal sent to the whole process group (Ctrl-C in a terminal, a supervisor killing the
// group) must not end BFD before the daemon's orderly stop, or the peer sees a detection-time
// Down (and Route Server a Cease/BFD Down) instead of AdminDown: the daemon ends us over IPC
// after AdminDown (diag 7); if the daemon itself dies, 'disconnect' above ends us.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => undefined);
process.on('uncaughtException', (err) => {
  log('error', 'bfd worker crashed', { err: err.stack ?? String(err) });
  setTimeout(() => process.exit(70), 20);
});

async function main(): Promise<void> {
  if (args.nice !== undefined) {
    try {
      // A higher CFS weight than ordinary work on the box, so a CPU-bound neighbour cannot
      // starve the transmit timer for a detection time. Needs root or CAP_SYS_NICE.
      setPriority(0, args.nice);
    } catch (err) {
      log('warn', 'bfd worker cannot raise its scheduling priority', { nice: args.nice, err: String(err) });
    }
  }
  ttlCheck = openRaw();
  const single = await bindListener(args.singlePort);
  const multi = await bindListener(args.multiPort);
  portsBound = { single, multi };
  setInterval(pushStatus, 500).unref();
  post({ t: 'ready', ttlCheck, ports: portsBound });
}
void main();

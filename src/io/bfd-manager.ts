/**
 * BfdManager: the main-thread facade of BFD. Sessions live in a child process (bfd-worker),
 * so main-thread stalls cannot delay BFD packets or detection. The manager keeps the desired
 * sessions, mirrors their status, re-creates them if the worker dies (reporting every session
 * Down first, with reason 'worker-exited'), and restarts the worker with a bounded backoff.
 */
import { EventEmitter } from 'node:events';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import type { Logger } from 'pino';
import { AUTH_TYPE_BY_NAME, diagName, emptyDiscardCounters, type BfdStateName } from '../bfd/constants.js';
import { maxSecretLength } from '../bfd/auth.js';
import type {
  BfdGlobalCounters,
  BfdSessionOptions,
  BfdStateEventOut,
  BfdStatus,
  BfdWorkerState,
  FromWorker,
  ToWorker,
} from './bfd-types.js';

export type { BfdSessionOptions, BfdStatus, BfdStateEventOut, BfdGlobalCounters } from './bfd-types.js';

export interface BfdManagerOptions {
  logger: Logger;
  /** Tests: UDP ports to listen on instead of 3784/4784. */
  ports?: { single?: number; multi?: number };
  /** Tests: do not open the raw socket (TTL not checked). */
  noRaw?: boolean;
  /**
   * Nice value for the worker process (default -10: BFD is latency-critical and must not be
   * starved by CPU-bound work; silently kept at 0 without root/CAP_SYS_NICE). null: leave as is.
   */
  workerNice?: number | null;
  /**
   * SCHED_FIFO priority (1-99) for the worker process, set with chrt(1) after it starts
   * (default 10; null: leave the worker SCHED_OTHER). Under a saturated CPU this is what keeps
   * 50 ms transmit intervals tight (see docs/performance.md, BFD). Best effort: needs root or
   * CAP_SYS_NICE, a warning is logged otherwise; the kernel's RT throttling still caps it.
   */
  workerRealtime?: number | null;
  /** Restarts allowed within one minute before backing off to one try a minute (default 5). */
  maxRestartsPerMinute?: number;
}

/** Where the worker entry is and how to run it: .ts under tsx (dev, tap), .js under plain node (dist). */
export function resolveWorkerEntry(fromUrl: string = import.meta.url): { path: string; execArgv: string[] } {
  const isTs = fromUrl.endsWith('.ts');
  const path = fileURLToPath(new URL(isTs ? './bfd-worker.ts' : './bfd-worker.js', fromUrl));
  const execArgv = isTs ? ['--import', import.meta.resolve('tsx')] : [];
  return { path, execArgv };
}

interface Pending {
  resolve: () => void;
}

export class BfdManager extends EventEmitter {
  private readonly log: Logger;
  private readonly desired = new Map<string, BfdSessionOptions>();
  private readonly statuses = new Map<string, BfdStatus>();
  private readonly lastState = new Map<string, BfdStateName>();
  private child: ChildProcess | undefined;
  private workerState: BfdWorkerState = 'closed';
  private ttlCheck = false;
  private global = { received: 0, discards: emptyDiscardCounters(), loopDelay: { p99Ms: 0, maxMs: 0 } };
  private restarts: number[] = [];
  private restartCount = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly o: BfdManagerOptions) {
    super();
    this.log = o.logger.child({ component: 'bfd' });
  }

  /** Pid of the worker process (tests freeze it with SIGSTOP). */
  get workerPid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves once the worker has started and bound its sockets. */
  ready(): Promise<void> {
    if (this.workerState === 'running') return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  add(key: string, o: BfdSessionOptions): void {
    if (this.closed) throw new Error('bfd: manager is closed');
    if (this.desired.has(key)) throw new Error(`bfd: session ${key} exists`);
    checkOptions(key, o);
    this.desired.set(key, { ...o });
    this.lastState.set(key, 'down');
    this.statuses.set(key, this.placeholder(key, o));
    // A worker started now is handed every desired session; an existing one gets this one.
    if (!this.ensureWorker()) this.post({ t: 'add', key, o });
  }

  /** Live change: timers go through Poll/Final; other changes re-create the session. */
  update(key: string, o: BfdSessionOptions): void {
    if (this.closed) throw new Error('bfd: manager is closed');
    if (!this.desired.has(key)) return this.add(key, o);
    checkOptions(key, o);
    this.desired.set(key, { ...o });
    this.post({ t: 'update', key, o });
  }

  /** AdminDown (diag 7), a few packets so the peer knows, then drop. */
  async remove(key: string): Promise<void> {
    if (!this.desired.delete(key)) return;
    await this.request((id) => ({ t: 'remove', key, id }));
    this.statuses.delete(key);
    this.lastState.delete(key);
  }

  status(key?: string): BfdStatus[] {
    const all = [...this.statuses.values()].map((s) => ({ ...s, worker: this.workerState === 'running' ? s.worker : this.workerState }));
    return key === undefined ? all : all.filter((s) => s.key === key);
  }

  /** Packets that matched no session, and worker health. */
  counters(): BfdGlobalCounters {
    return { received: this.global.received, discards: { ...this.global.discards }, ttlCheck: this.ttlCheck, workerRestarts: this.restartCount, loopDelay: { ...this.global.loopDelay } };
  }

  /** Every session AdminDown, then the worker ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null) {
      this.workerState = 'closed';
      return;
    }
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await Promise.race([this.request((id) => ({ t: 'close', id })), delay(5000)]);
    await Promise.race([exited, delay(2000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.workerState = 'closed';
    this.desired.clear();
  }

  // ---- worker lifecycle ----

  /** Returns true when it started the worker (which then receives every desired session). */
  private ensureWorker(): boolean {
    if (this.child || this.closed || this.restartTimer) return false;
    this.startWorker();
    return true;
  }

  private startWorker(): void {
    const entry = resolveWorkerEntry();
    if (!existsSync(entry.path)) throw new Error(`bfd: worker entry not found at ${entry.path}`);
    const args = JSON.stringify({
      ...(this.o.ports?.single ? { singlePort: this.o.ports.single } : {}),
      ...(this.o.ports?.multi ? { multiPort: this.o.ports.multi } : {}),
      ...(this.o.noRaw ? { noRaw: true } : {}),
      ...(this.o.workerNice === null ? {} : { nice: this.o.workerNice ?? -10 }),
    });
    this.workerState = 'starting';
    const child = fork(entry.path, [args], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      for (const line of d.split('\n')) if (line.trim()) this.log.warn({ worker: child.pid, stderr: line.slice(0, 2000) }, 'bfd worker stderr');
    });
    child.on('message', (m: FromWorker) => this.onMessage(m));
    const rt = this.o.workerRealtime === undefined ? 10 : this.o.workerRealtime;
    if (rt !== null && child.pid !== undefined) {
      const pid = child.pid;
      execFile('chrt', ['-f', '-p', String(rt), String(pid)], (err, _out, stderr) => {
        if (err) this.log.warn({ pid, priority: rt, err: (stderr || err.message).trim() }, 'bfd worker: cannot set SCHED_FIFO');
        else this.log.info({ pid, priority: rt }, 'bfd worker runs SCHED_FIFO');
      });
    }
    child.on('error', (err) => this.log.error({ err: err.message }, 'bfd worker error'));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    // Queue the desired sessions; IPC preserves order, the worker handles them after 'ready'.
    for (const [key, o] of this.desired) this.post({ t: 'add', key, o });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const p of this.pending.values()) p.resolve();
    this.pending.clear();
    if (this.closed) {
      this.workerState = 'closed';
      return;
    }
    this.log.error({ code, signal }, 'bfd worker exited; every session reported down, restarting');
    // Every session is Down as far as we know: say so, with a reason that is not a packet.
    for (const [key, st] of this.lastState) {
      const s = this.statuses.get(key);
      if (st === 'up' || st === 'init') {
        const ev: BfdStateEventOut = {
          key, peer: s?.peer ?? '', state: 'down', previous: st, diag: s?.diag ?? 0, diagName: diagName(s?.diag ?? 0),
          wasUp: st === 'up', remoteState: s?.remoteState ?? 'down', remoteDiag: s?.remoteDiag ?? 0, reason: 'worker-exited',
        };
        this.lastState.set(key, 'down');
        this.emitState(ev);
      }
      if (s) this.statuses.set(key, { ...s, state: 'down', reason: 'worker-exited', worker: 'restarting' });
    }
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    const budget = this.o.maxRestartsPerMinute ?? 5;
    let wait: number;
    if (this.restarts.length >= budget) {
      this.workerState = 'failed';
      wait = 60_000;
      this.log.error({ restarts: this.restarts.length }, 'bfd worker keeps dying; next try in 60 s');
    } else {
      this.workerState = 'restarting';
      wait = Math.min(200 * 2 ** this.restarts.length, 10_000);
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closed) return;
      this.restarts.push(Date.now());
      this.restartCount++;
      try {
        this.startWorker();
      } catch (err) {
        this.log.error({ err: String(err) }, 'bfd worker restart failed');
      }
    }, wait);
    this.restartTimer.unref();
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'ready':
        this.workerState = 'running';
        this.ttlCheck = m.ttlCheck;
        this.log.info({ ttlCheck: m.ttlCheck, ports: m.ports, pid: this.child?.pid }, 'bfd worker ready');
        for (const r of this.readyWaiters.splice(0)) r();
        break;
      case 'state': {
        if (!this.desired.has(m.ev.key)) return; // a removed session's AdminDown
        this.lastState.set(m.ev.key, m.ev.state);
        const s = this.statuses.get(m.ev.key);
        if (s) this.statuses.set(m.ev.key, { ...s, state: m.ev.state, diag: m.ev.diag, diagName: m.ev.diagName, remoteState: m.ev.remoteState });
        this.emitState(m.ev);
        break;
      }
      case 'status':
        for (const s of m.sessions) if (this.desired.has(s.key)) this.statuses.set(s.key, s);
        this.global = { received: m.global.received, discards: m.global.discards, loopDelay: m.global.loopDelay };
        this.ttlCheck = m.global.ttlCheck;
        break;
      case 'session-error': {
        const s = this.statuses.get(m.key);
        if (s && this.desired.has(m.key)) this.statuses.set(m.key, { ...s, error: m.error });
        break;
      }
      case 'done':
        this.pending.get(m.id)?.resolve();
        this.pending.delete(m.id);
        break;
      case 'log':
        this.log[m.level]({ ...m.fields, worker: this.child?.pid }, m.msg);
        break;
    }
  }

  private emitState(ev: BfdStateEventOut): void {
    const level = ev.state === 'down' && ev.wasUp ? 'warn' : 'info';
    this.log[level]({ key: ev.key, peer: ev.peer, state: ev.state, previous: ev.previous, diag: ev.diagName, remoteState: ev.remoteState, reason: ev.reason }, 'bfd session state');
    this.emit('state', ev);
  }

  private post(m: ToWorker): void {
    const c = this.child;
    if (!c || !c.connected) return; // re-sent from `desired` when the worker (re)starts
    c.send(m, (err) => {
      if (err) this.log.warn({ err: err.message, t: m.t }, 'bfd: message to worker lost');
    });
  }

  private request(make: (id: number) => ToWorker): Promise<void> {
    if (!this.child || !this.child.connected) return Promise.resolve();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.post(make(id));
    });
  }

  private placeholder(key: string, o: BfdSessionOptions): BfdStatus {
    return {
      key, peer: o.peer, ...(o.local ? { local: o.local } : {}), multihop: o.multihop, sourcePort: 0,
      lastStateChange: new Date().toISOString(), ttlCheck: false, worker: this.workerState,
      state: 'down', remoteState: 'down', diag: 0, diagName: 'none', remoteDiag: 0, localDiscr: 0, remoteDiscr: 0,
      minTxMs: o.minTxMs, minRxMs: o.minRxMs, multiplier: o.multiplier, advertisedMinTxMs: 0, remoteMinRxMs: 0,
      remoteMinTxMs: 0, remoteMultiplier: 0, negotiatedTxMs: 0, detectTimeMs: 0, polling: false, passive: o.passive,
      authType: 0, everUp: false,
      counters: { txPackets: 0, rxPackets: 0, upTransitions: 0, downTransitions: 0, pollSequences: 0, discards: emptyDiscardCounters() },
    };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Synchronous validation so a bad call fails at the caller, with the field named. */
function checkOptions(key: string, o: BfdSessionOptions): void {
  const bad = (what: string) => new RangeError(`bfd session ${key}: ${what}`);
  if (!isIPv4(o.peer)) throw bad(`peer ${o.peer} is not an IPv4 address (BFD sessions are IPv4 only)`);
  if (o.local !== undefined && !isIPv4(o.local)) throw bad(`local ${o.local} is not an IPv4 address`);
  if (!(o.minTxMs >= 1 && o.minTxMs <= 60_000)) throw bad(`min-tx-ms ${o.minTxMs} not in 1..60000`);
  if (!(o.minRxMs >= 1 && o.minRxMs <= 60_000)) throw bad(`min-rx-ms ${o.minRxMs} not in 1..60000`);
  if (!Number.isInteger(o.multiplier) || o.multiplier < 1 || o.multiplier > 255) throw bad(`multiplier ${o.multiplier} not in 1..255`);
  if (o.auth) {
    if (!Number.isInteger(o.auth.keyId) || o.auth.keyId < 0 || o.auth.keyId > 255) throw bad(`auth key-id ${o.auth.keyId} not in 0..255`);
    const n = Buffer.byteLength(o.auth.secret, 'utf8');
    const t = AUTH_TYPE_BY_NAME[o.auth.type];
    if (t === undefined) throw bad(`auth type ${String(o.auth.type)} unknown`);
    const max = maxSecretLength(t);
    if (n < 1 || n > max) throw bad(`auth secret must be 1..${max} bytes for ${o.auth.type}, got ${n}`);
  }
}

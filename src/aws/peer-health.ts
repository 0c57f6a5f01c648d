/**
 * The other appliance's health, for the route-table fallback: a TCP connect
 * (what operators already do, e.g. to its BGP port) or its own reported state
 * over HTTP: the peer sidecar's /metrics (the `bgp_sidecar_verdict` gauge that
 * is 1 must be `up`), or any URL answering 2xx (and, when the body is JSON
 * with a `state` field, state "up").
 * Rise/fall hysteresis; the result is unknown until the first verdict.
 */
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PeerCheckConfig, PeerHealthSource } from '../config/aws.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export type ProbeFn = (signal: AbortSignal) => Promise<{ ok: boolean; detail: string }>;

export function tcpProbe(host: string, port: number, timeoutMs: number): ProbeFn {
  return (signal) =>
    new Promise((resolve) => {
      const s = new Socket();
      let settled = false;
      const finish = (ok: boolean, detail: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        s.destroy();
        resolve({ ok, detail });
      };
      const onAbort = () => finish(false, 'aborted');
      const timer = setTimeout(() => finish(false, `no connect within ${timeoutMs} ms`), timeoutMs);
      signal.addEventListener('abort', onAbort);
      s.once('connect', () => finish(true, 'connected'));
      s.once('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
      s.connect(port, host);
    });
}

export function httpProbe(url: string, timeoutMs: number): ProbeFn {
  return async (signal) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), redirect: 'error' });
      const body = (await res.text()).slice(0, 65536);
      if (res.status < 200 || res.status > 299) return { ok: false, detail: `HTTP ${res.status}` };
      // The peer sidecar's own metrics endpoint: the verdict gauge that is 1.
      if (body.includes('bgp_sidecar_verdict{')) {
        const m = /^bgp_sidecar_verdict\{verdict="([a-z]+)"\} 1(?:\.0)?$/m.exec(body);
        return { ok: m?.[1] === 'up', detail: `verdict ${m?.[1] ?? 'unknown'}` };
      }
      if ((res.headers.get('content-type') ?? '').includes('json')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return { ok: false, detail: 'invalid JSON' };
        }
        if (typeof parsed === 'object' && parsed !== null && 'state' in parsed) {
          const state = (parsed as { state: unknown }).state;
          return { ok: state === 'up', detail: `state ${String(state)}` };
        }
      }
      return { ok: true, detail: `HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  };
}

export function probeFor(src: PeerHealthSource, timeoutMs: number): ProbeFn {
  return src.type === 'tcp' ? tcpProbe(src.host, src.port, timeoutMs) : httpProbe(src.url, timeoutMs);
}

/** Periodic probe with rise/fall; `onChange` fires when the verdict changes (including the first). */
export class PeerHealth {
  private healthy: boolean | undefined;
  private okRun = 0;
  private failRun = 0;
  private timer: TimerHandle | undefined;
  private abort = new AbortController();
  private stopped = true;
  private lastDetail = '';
  private since: number | undefined;

  constructor(
    private readonly probe: ProbeFn,
    private readonly cfg: PeerCheckConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onChange: (healthy: boolean) => void,
  ) {}

  get state(): boolean | undefined {
    return this.healthy;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.abort.abort();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const r = await this.probe(this.abort.signal);
    if (this.stopped) return;
    this.record(r.ok, r.detail);
    this.timer = this.clock.setTimer(this.cfg.intervalMs, () => void this.tick());
  }

  /** One probe result (public for tests that drive it by hand). */
  record(ok: boolean, detail: string): void {
    this.lastDetail = detail;
    if (ok) {
      this.okRun++;
      this.failRun = 0;
    } else {
      this.failRun++;
      this.okRun = 0;
    }
    let next = this.healthy;
    if (ok && this.healthy !== true && this.okRun >= this.cfg.rise) next = true;
    if (!ok && this.healthy !== false && this.failRun >= this.cfg.fall) next = false;
    if (next !== this.healthy && next !== undefined) {
      const previous = this.healthy;
      this.healthy = next;
      this.since = this.clock.now();
      this.log.info({ peerHealthy: next, previous, detail }, 'peer appliance health');
      this.onChange(next);
    }
  }

  status(): { healthy: boolean | undefined; detail: string; since?: number } {
    return { healthy: this.healthy, detail: this.lastDetail, ...(this.since !== undefined ? { since: this.since } : {}) };
  }
}

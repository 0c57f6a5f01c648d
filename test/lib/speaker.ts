/**
 * Our Speaker, run in a child process inside a namespace (./speaker-driver.ts),
 * with a promise API for tests: set(), status(), peer(), waitPeer(), stop().
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Netns } from '../../src/lab/netns.js';
import { ManagedProcess } from '../../src/lab/process.js';
import { waitFor } from '../../src/lab/run.js';
import type { Announcement, PeerStatus, SpeakerOptions } from '../../src/speaker/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

export interface SpeakerUnderTestOptions {
  ns: Netns;
  speaker: Omit<SpeakerOptions, 'logger' | 'clock'>;
  logLevel?: string;
}

export interface PeerStateEvent {
  address: string;
  state: string;
  previous: string;
  reason: string;
  at: number;
}

export class SpeakerUnderTest {
  readonly proc: ManagedProcess;
  /** Every peer-state event seen, in order. */
  readonly stateEvents: PeerStateEvent[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readyResolve: (() => void) | undefined;
  private readyReject: ((e: Error) => void) | undefined;
  private readonly readyP: Promise<void>;

  constructor(private readonly o: SpeakerUnderTestOptions) {
    this.readyP = new Promise((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.proc = new ManagedProcess({
      name: `speaker@${o.ns.name}`,
      netns: o.ns,
      cmd: process.execPath,
      args: ['--import', 'tsx', join(here, 'speaker-driver.ts'), JSON.stringify({ speaker: o.speaker, logLevel: o.logLevel ?? 'info' })],
      cwd: repoRoot,
      keepBytes: 1024 * 1024,
      stdin: true,
      onLine: (line, stream) => {
        if (stream === 'stdout') this.onLine(line);
      },
    });
  }

  /** Start the child and wait until the Speaker has started (bounded). */
  async start(timeoutMs = 20_000): Promise<void> {
    this.proc.start();
    const timer = setTimeout(() => this.readyReject?.(new Error(`speaker did not start in ${timeoutMs} ms:\n${this.proc.tail(30)}`)), timeoutMs);
    const exited = this.proc.waitExit(timeoutMs).then((gone) => {
      if (gone) this.readyReject?.(new Error(`speaker exited before ready:\n${this.proc.tail(30)}`));
    });
    try {
      await this.readyP;
    } finally {
      clearTimeout(timer);
      void exited;
    }
  }

  private onLine(line: string): void {
    let m: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string } & Record<string, unknown>;
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      return;
    }
    if (m.event === 'ready') this.readyResolve?.();
    else if (m.event === 'start-failed') this.readyReject?.(new Error(`speaker start failed: ${String(m.error)}`));
    else if (m.event === 'peer-state') this.stateEvents.push(m as unknown as PeerStateEvent);
    else if (typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error ?? 'speaker command failed'));
    }
  }

  private call<T>(cmd: Record<string, unknown>, timeoutMs = 15_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`speaker command ${String(cmd.cmd)} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      try {
        this.proc.write(`${JSON.stringify({ id, ...cmd })}\n`);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  set(routes: Announcement[]): Promise<void> {
    return this.call({ cmd: 'set', routes });
  }

  status(): Promise<PeerStatus[]> {
    return this.call({ cmd: 'status' });
  }

  async peer(address: string): Promise<PeerStatus> {
    const p = (await this.status()).find((s) => s.address === address);
    if (!p) throw new Error(`speaker has no peer ${address}`);
    return p;
  }

  /** Wait until the peer satisfies `pred` (default: Established); returns its status. */
  async waitPeer(address: string, pred: (p: PeerStatus) => boolean = (p) => p.state === 'Established', o: { timeoutMs?: number; what?: string } = {}): Promise<PeerStatus> {
    let last: PeerStatus | undefined;
    try {
      return await waitFor(
        async () => {
          this.proc.assertRunning();
          last = await this.peer(address);
          return pred(last) ? last : undefined;
        },
        { timeoutMs: o.timeoutMs ?? 20_000, intervalMs: 100, what: o.what ?? `peer ${address} Established` },
      );
    } catch (err) {
      const { announced: _a, ...brief } = last ?? ({} as Partial<PeerStatus>);
      throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(brief)}\nspeaker output:\n${this.logs(15)}`);
    }
  }

  /** Routes the peer announced to us (prefix and attribute summary), at most `limit`. */
  received(address: string, limit = 10): Promise<{ prefix: string; attributes: string }[]> {
    return this.call({ cmd: 'received', address, limit });
  }

  /** Orderly stop (withdraw, Cease), then the child exits. */
  async stop(timeoutMs = 8000): Promise<void> {
    if (!this.proc.running) return;
    await this.call({ cmd: 'stop', opts: { timeoutMs: Math.max(1000, timeoutMs - 1000) } }, timeoutMs).catch(() => undefined);
    if (!(await this.proc.waitExit(2000))) await this.proc.kill();
  }

  /** Speaker log output (pino JSON lines on stderr, mixed with stdout). */
  logs(lines = 40): string {
    return this.proc.tail(lines);
  }
}

export async function startSpeaker(o: SpeakerUnderTestOptions): Promise<SpeakerUnderTest> {
  const s = new SpeakerUnderTest(o);
  await s.start();
  return s;
}

/** Test-side handle on test/bfd/lib/bfd-node.ts running inside a namespace. */
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Netns } from '../../lib/netns.js';
import type { BfdSessionOptions, BfdStatus, BfdStateEventOut, BfdGlobalCounters } from '../../../src/io/bfd-manager.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');

export interface OurBfd {
  proc: ChildProcess;
  events: Array<BfdStateEventOut & { at: number }>;
  add(key: string, o: BfdSessionOptions): Promise<void>;
  update(key: string, o: BfdSessionOptions): Promise<void>;
  remove(key: string): Promise<void>;
  status(key: string): Promise<BfdStatus | undefined>;
  counters(): Promise<BfdGlobalCounters>;
  workerPid(): Promise<number>;
  block(ms: number): Promise<void>;
  close(): Promise<void>;
  stderr(): string;
}

export function startOurBfd(ns: Netns): OurBfd {
  const proc = ns.spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(here, 'bfd-node.ts')], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  const events: OurBfd['events'] = [];
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const rl = createInterface({ input: proc.stdout! });
  rl.on('line', (line) => {
    let m: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string; ev?: BfdStateEventOut; at?: number };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      return;
    }
    if (m.event === 'state' && m.ev) events.push({ ...m.ev, at: m.at ?? Date.now() });
    if (m.id !== undefined) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) w?.resolve(m.result);
      else w?.reject(new Error(m.error ?? 'failed'));
    }
  });
  proc.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error(`bfd-node exited: ${err.slice(-2000)}`));
    waiting.clear();
  });
  let id = 0;
  const call = <T>(cmd: string, extra: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const n = ++id;
      const timer = setTimeout(() => {
        waiting.delete(n);
        reject(new Error(`bfd-node ${cmd} timed out; stderr: ${err.slice(-2000)}`));
      }, timeoutMs);
      waiting.set(n, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      proc.stdin!.write(`${JSON.stringify({ id: n, cmd, ...extra })}\n`);
    });
  return {
    proc,
    events,
    add: (key, o) => call('add', { key, o }),
    update: (key, o) => call('update', { key, o }),
    remove: (key) => call('remove', { key }),
    status: async (key) => (await call<BfdStatus[]>('status')).find((s) => s.key === key),
    counters: () => call('counters'),
    workerPid: () => call('pid'),
    block: (ms) => call('block', { ms }, ms + 15_000),
    close: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      await call('close', {}, 10_000).catch(() => undefined);
    },
    stderr: () => err,
  };
}

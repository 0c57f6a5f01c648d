/**
 * A BGP sink on loopback for "how long until every UPDATE is on the wire"
 * benchmarks: a passive peer in a worker thread (update-sink-worker.ts) that
 * decodes every UPDATE with our codec and reports when a condition on the
 * received prefixes first holds, with the arrival time of the last bytes
 * needed (absolute ms, performance.timeOrigin + performance.now()).
 * Run from dist (the worker is the compiled .js next to this file).
 */
import { Worker } from 'node:worker_threads';
import type { FromSink, SinkCondition, ToSink } from './update-sink-worker.js';

export type { SinkCondition } from './update-sink-worker.js';

export interface SinkMet {
  /** Arrival time of the bytes that completed the condition (absolute ms). */
  at: number;
  /** UPDATE messages received since the sink started. */
  updates: number;
  /** Bytes received since the sink started. */
  bytes: number;
}

export interface UpdateSink {
  port: number;
  /** Resolves when cond holds (at once if it already does); rejects after timeoutMs. */
  expect(cond: SinkCondition, timeoutMs: number): Promise<SinkMet>;
  /** Resolves at the first OPEN exchanged. */
  opened: Promise<void>;
  close(): Promise<void>;
}

/** Absolute wall time with sub-millisecond resolution, comparable with the sink's times. */
export const absNow = (): number => performance.timeOrigin + performance.now();

export async function startUpdateSink(o: { asn: number; bgpId: string; startTimeoutMs?: number }): Promise<UpdateSink> {
  const url = new URL('./update-sink-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.ts')) throw new Error('the UPDATE sink runs from dist: build with `npx tsc -p .` and run node dist/bench/...');
  const worker = new Worker(url, { workerData: { asn: o.asn, bgpId: o.bgpId } });
  const waiting = new Map<number, { resolve: (m: SinkMet) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let failure: Error | undefined;
  let openedResolve!: () => void;
  const opened = new Promise<void>((r) => (openedResolve = r));
  const failAll = (e: Error) => {
    failure ??= e;
    for (const w of waiting.values()) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    waiting.clear();
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('UPDATE sink did not start listening within the timeout')), o.startTimeoutMs ?? 10_000);
    worker.on('message', (m: FromSink) => {
      if (m.t === 'listening') {
        clearTimeout(timer);
        resolve(m.port);
      } else if (m.t === 'met') {
        const w = waiting.get(m.id);
        if (!w) return;
        waiting.delete(m.id);
        clearTimeout(w.timer);
        w.resolve({ at: m.at, updates: m.updates, bytes: m.bytes });
      } else if (m.t === 'session') {
        if (m.event === 'open') openedResolve();
        else if (m.event === 'error') failAll(new Error(`UPDATE sink: session error: ${m.detail ?? ''}`));
      }
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      failAll(e);
      reject(e);
    });
  });
  return {
    port,
    opened,
    expect(cond, timeoutMs) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<SinkMet>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`UPDATE sink: ${JSON.stringify(cond)} not met within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, { resolve, reject, timer });
        worker.postMessage({ t: 'expect', id, cond } satisfies ToSink);
      });
    },
    async close() {
      failAll(new Error('UPDATE sink closed'));
      worker.postMessage({ t: 'close' } satisfies ToSink);
      const t = setTimeout(() => void worker.terminate(), 3000);
      await new Promise<void>((r) => worker.once('exit', () => r()));
      clearTimeout(t);
    },
  };
}

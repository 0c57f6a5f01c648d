/**
 * Worker thread of the UPDATE sink (see update-sink.ts): a passive BGP peer
 * on loopback built on our codec. It keeps, per received prefix, the AS_PATH
 * length of its last announcement, and tells the main thread when a
 * condition ("N prefixes with path length L", "no prefix left") first holds,
 * with the arrival time of the bytes that made it hold. Runs in its own
 * thread so that decoding never competes with the speaker under test.
 */
import { createServer, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { asPathLength, BgpStreamParser, encodeMessage, makeOpen, negotiate, prefixKey, type OpenMessage } from '../../src/bgp/index.js';

export type SinkCondition = { kind: 'path-length'; length: number; count: number } | { kind: 'empty' };
export type ToSink = { t: 'expect'; id: number; cond: SinkCondition } | { t: 'close' };
export type FromSink =
  | { t: 'listening'; port: number }
  | { t: 'met'; id: number; at: number; updates: number; bytes: number }
  | { t: 'session'; event: 'open' | 'closed' | 'error'; detail?: string };

const port = parentPort;
if (!port) throw new Error('update-sink-worker must run as a worker thread');
const o = workerData as { asn: number; bgpId: string };

/** Absolute wall time with sub-millisecond resolution, comparable across threads. */
const now = () => performance.timeOrigin + performance.now();

const pathLen = new Map<string, number>();
const byLength = new Map<number, number>();
let updates = 0;
let bytes = 0;
let lastChangeAt = 0;
const pending = new Map<number, SinkCondition>();

const bump = (len: number, d: number) => byLength.set(len, (byLength.get(len) ?? 0) + d);

function holds(c: SinkCondition): boolean {
  return c.kind === 'empty' ? pathLen.size === 0 : (byLength.get(c.length) ?? 0) >= c.count;
}

function checkPending(): void {
  for (const [id, c] of pending) {
    if (!holds(c)) continue;
    pending.delete(id);
    port!.postMessage({ t: 'met', id, at: lastChangeAt, updates, bytes } satisfies FromSink);
  }
}

const localOpen: OpenMessage = makeOpen({ asn: o.asn, holdTime: 90, bgpId: o.bgpId });
const sockets = new Set<Socket>();
const server = createServer((sock) => {
  sockets.add(sock);
  sock.setNoDelay(true);
  const parser = new BgpStreamParser();
  let keepalive: NodeJS.Timeout | undefined;
  sock.on('data', (chunk: Buffer) => {
    const at = now();
    bytes += chunk.length;
    let changed = false;
    for (const item of parser.push(chunk)) {
      if (!item.ok) {
        port.postMessage({ t: 'session', event: 'error', detail: item.error.message } satisfies FromSink);
        sock.destroy();
        return;
      }
      const m = item.message;
      if (m.type === 'open') {
        const neg = negotiate(localOpen, m);
        sock.write(encodeMessage(localOpen));
        sock.write(encodeMessage({ type: 'keepalive' }));
        parser.setOptions(neg);
        if (neg.holdTime > 0) keepalive = setInterval(() => sock.write(encodeMessage({ type: 'keepalive' }, neg)), Math.max(1, Math.floor(neg.holdTime / 3)) * 1000);
        port.postMessage({ t: 'session', event: 'open' } satisfies FromSink);
      } else if (m.type === 'update') {
        updates++;
        for (const p of [...m.withdrawn, ...(m.attributes.mpUnreach?.withdrawn ?? [])]) {
          const k = prefixKey(p);
          const old = pathLen.get(k);
          if (old === undefined) continue;
          pathLen.delete(k);
          bump(old, -1);
          changed = true;
        }
        const announced = [...m.nlri, ...(m.attributes.mpReach?.nlri ?? [])];
        if (announced.length > 0) {
          const len = asPathLength(m.attributes.asPath ?? []);
          for (const p of announced) {
            const k = prefixKey(p);
            const old = pathLen.get(k);
            if (old !== undefined) bump(old, -1);
            pathLen.set(k, len);
            bump(len, 1);
          }
          changed = true;
        }
      }
    }
    if (changed) {
      lastChangeAt = at;
      checkPending();
    }
  });
  sock.on('close', () => {
    clearInterval(keepalive);
    sockets.delete(sock);
    port.postMessage({ t: 'session', event: 'closed' } satisfies FromSink);
  });
  sock.on('error', () => undefined);
});

port.on('message', (m: ToSink) => {
  if (m.t === 'expect') {
    pending.set(m.id, m.cond);
    checkPending();
  } else if (m.t === 'close') {
    for (const s of sockets) s.destroy();
    server.close(() => port.close());
  }
});

server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  if (a && typeof a === 'object') port.postMessage({ t: 'listening', port: a.port } satisfies FromSink);
});

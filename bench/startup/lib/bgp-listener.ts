/**
 * A minimal BGP peer for benchmarks, built on our codec: listens on
 * loopback, answers the OPEN with its own OPEN and a KEEPALIVE, keeps the
 * session alive with KEEPALIVEs, and records when things arrive (connect,
 * OPEN, first UPDATE). Not a speaker: it never sends routes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { BgpStreamParser, encodeMessage, makeOpen, negotiate, type OpenMessage } from '../../../src/bgp/index.js';

export interface ListenerTimes {
  connectedAt?: number;
  openAt?: number;
  firstUpdateAt?: number;
  updates: number;
}

export interface BenchListener {
  port: number;
  /** Per accepted session, in accept order. */
  sessions: ListenerTimes[];
  /** Resolves with the time of the first UPDATE on any session. */
  firstUpdate: Promise<number>;
  close(): Promise<void>;
}

export async function startListener(o: { asn: number; bgpId: string; host?: string; port?: number; holdTime?: number }): Promise<BenchListener> {
  const sessions: ListenerTimes[] = [];
  const sockets = new Set<Socket>();
  let resolveFirst!: (t: number) => void;
  const firstUpdate = new Promise<number>((r) => (resolveFirst = r));
  const localOpen: OpenMessage = makeOpen({ asn: o.asn, holdTime: o.holdTime ?? 90, bgpId: o.bgpId });
  const server: Server = createServer((sock) => {
    const times: ListenerTimes = { connectedAt: performance.now(), updates: 0 };
    sessions.push(times);
    sockets.add(sock);
    sock.setNoDelay(true);
    const parser = new BgpStreamParser();
    let keepalive: NodeJS.Timeout | undefined;
    sock.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (!item.ok) {
          sock.destroy();
          return;
        }
        const m = item.message;
        if (m.type === 'open') {
          times.openAt = performance.now();
          const neg = negotiate(localOpen, m);
          sock.write(encodeMessage(localOpen));
          sock.write(encodeMessage({ type: 'keepalive' }));
          parser.setOptions(neg);
          const every = Math.max(1, Math.floor(neg.holdTime / 3)) * 1000;
          if (neg.holdTime > 0) keepalive = setInterval(() => sock.write(encodeMessage({ type: 'keepalive' }, neg)), every);
        } else if (m.type === 'update') {
          times.updates++;
          if (times.firstUpdateAt === undefined) {
            times.firstUpdateAt = performance.now();
            resolveFirst(times.firstUpdateAt);
          }
        }
      }
    });
    sock.on('close', () => {
      clearInterval(keepalive);
      sockets.delete(sock);
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => res());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('listener has no port');
  return {
    port: addr.port,
    sessions,
    firstUpdate,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

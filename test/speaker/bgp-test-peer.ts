/**
 * A minimal BGP peer for loopback tests, built on the codec: it listens (or
 * connects), answers OPEN with OPEN + KEEPALIVE, records every message it
 * receives in order, and lets the test send anything. Every wait is bounded.
 */
import net from 'node:net';
import { BgpStreamParser, encodeMessage } from '../../src/bgp/index.js';
import type { BgpMessage, Capability, CodecOptions, OpenMessage, UpdateMessage } from '../../src/bgp/types.js';

export interface TestPeerOptions {
  asn: number;
  bgpId?: string;
  holdTime?: number;
  /** Default: MP IPv4 + IPv6, route refresh, 4-octet AS. */
  capabilities?: Capability[];
  enhancedRouteRefresh?: boolean;
  /** Answer the OPEN automatically (default true). */
  autoOpen?: boolean;
}

export interface Received {
  conn: number;
  message: BgpMessage;
}

export class TestPeer {
  private server: net.Server | null = null;
  readonly received: Received[] = [];
  readonly sockets: net.Socket[] = [];
  private waiters: (() => void)[] = [];
  connections = 0;
  acceptTimes: number[] = [];
  /** Close every accepted connection at once (before any BGP message). */
  rejectAll = false;

  constructor(readonly o: TestPeerOptions) {}

  open(): OpenMessage {
    const caps: Capability[] = this.o.capabilities ?? [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
      { code: 2, name: 'route-refresh' },
      ...(this.o.enhancedRouteRefresh ? [{ code: 70, name: 'enhanced-route-refresh' } as const] : []),
      { code: 65, name: 'four-octet-as', asn: this.o.asn },
    ];
    return {
      type: 'open',
      version: 4,
      myAs: this.o.asn > 0xffff ? 23456 : this.o.asn,
      holdTime: this.o.holdTime ?? 90,
      bgpId: this.o.bgpId ?? '10.255.0.2',
      capabilities: caps,
    };
  }

  get codec(): CodecOptions {
    const caps = this.open().capabilities;
    return { fourOctetAs: caps.some((c) => c.name === 'four-octet-as'), extendedMessage: false };
  }

  listen(host = '127.0.0.1'): Promise<number> {
    const server = net.createServer((s) => this.attach(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: 0 }, () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  /** Connect to a speaker's listener from `localAddress`. */
  connect(host: string, port: number, localAddress?: string): net.Socket {
    const s = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    s.once('connect', () => {
      this.attach(s);
      this.send(this.open(), s);
    });
    s.on('error', () => undefined);
    return s;
  }

  private attach(s: net.Socket): void {
    this.connections++;
    this.acceptTimes.push(performance.now());
    if (this.rejectAll) {
      s.destroy();
      this.notify();
      return;
    }
    const conn = this.sockets.length;
    this.sockets.push(s);
    const parser = new BgpStreamParser();
    s.on('error', () => undefined);
    s.on('close', () => this.notify());
    s.on('data', (chunk: Buffer) => {
      for (const it of parser.push(chunk)) {
        if (!it.ok) {
          this.received.push({ conn, message: it.error.toNotification() });
          continue;
        }
        const m = it.message;
        this.received.push({ conn, message: m });
        if (m.type === 'open') {
          parser.setOptions(this.codec);
          if (this.o.autoOpen !== false) {
            if (s.remotePort && !this.sentOpen.has(s)) this.send(this.open(), s);
            this.send({ type: 'keepalive' }, s);
          }
        }
      }
      this.notify();
    });
    this.notify();
  }

  private sentOpen = new WeakSet<net.Socket>();

  get socket(): net.Socket | undefined {
    return this.sockets[this.sockets.length - 1];
  }

  send(m: BgpMessage, s: net.Socket | undefined = this.socket): void {
    if (!s) throw new Error('test peer: no connection');
    if (m.type === 'open') this.sentOpen.add(s);
    s.write(encodeMessage(m, m.type === 'open' ? { fourOctetAs: false, extendedMessage: false } : this.codec));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait until `pred` holds, re-checked on every event; rejects after timeoutMs. */
  async until<T>(pred: () => T | undefined | false | null, timeoutMs = 3_000, what = 'condition'): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`test peer: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Messages received since index `from`, optionally of one type. */
  messages(from = 0, type?: BgpMessage['type']): BgpMessage[] {
    return this.received.slice(from).map((r) => r.message).filter((m) => !type || m.type === type);
  }

  updates(from = 0): UpdateMessage[] {
    return this.messages(from, 'update') as UpdateMessage[];
  }

  /** Resolves once the session is up from the peer's side (it got our OPEN and a KEEPALIVE after it). */
  established(timeoutMs = 3_000): Promise<true> {
    return this.until(() => {
      const i = this.received.findIndex((r) => r.message.type === 'open');
      return i >= 0 && this.received.slice(i).some((r) => r.message.type === 'keepalive');
    }, timeoutMs, 'session established');
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const srv = this.server;
    this.server = null;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }
}

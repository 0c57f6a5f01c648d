/**
 * A minimal BGP peer for daemon tests, on loopback: it listens (the sidecar
 * connects out, like to VPC Route Server), answers the OPEN, keeps the session
 * with KEEPALIVEs and records every message it decodes with the codec from
 * src/bgp. It announces nothing. Every wait is bounded.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  BgpStreamParser,
  encodeMessage,
  makeOpen,
  negotiate,
  type BgpMessage,
  type NotificationMessage,
  type OpenMessage,
  type UpdateMessage,
} from '../../../src/bgp/index.js';

export interface RouteView {
  prefix: string;
  asPath: number[];
  med?: number;
  communities: string[];
}

export class TestPeer {
  private server: Server | undefined;
  private sock: Socket | undefined;
  readonly messages: BgpMessage[] = [];
  /** Routes currently announced to us, by prefix (updated from UPDATEs). */
  readonly rib = new Map<string, RouteView>();
  private waiters: (() => void)[] = [];
  port = 0;
  connections = 0;
  closed = false;

  constructor(readonly o: { asn: number; bgpId: string; holdTime?: number; address?: string }) {}

  /** The current session's socket (tests pause it to make the sidecar's output pile up). */
  get socket(): Socket | undefined {
    return this.sock;
  }

  async listen(): Promise<number> {
    const server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve) => server.listen(0, this.o.address ?? '127.0.0.1', () => resolve()));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  private accept(s: Socket): void {
    this.sock?.destroy();
    this.sock = s;
    this.connections++;
    this.closed = false;
    // A new session starts with an empty Adj-RIB-In (RFC 4271 9.1). (Not cleared on close, so a
    // test can still see whether the withdraw arrived before the session ended.)
    this.rib.clear();
    const parser = new BgpStreamParser();
    const local: OpenMessage = makeOpen({ asn: this.o.asn, holdTime: this.o.holdTime ?? 90, bgpId: this.o.bgpId });
    s.write(encodeMessage(local));
    let opts: ReturnType<typeof negotiate> | undefined;
    s.on('data', (chunk) => {
      for (const item of parser.push(chunk)) {
        if (!item.ok) {
          s.destroy();
          return;
        }
        const m = item.message;
        this.messages.push(m);
        if (m.type === 'open') {
          opts = negotiate(local, m);
          parser.setOptions(opts);
          s.write(encodeMessage({ type: 'keepalive' }));
        } else if (m.type === 'keepalive') {
          // echo keepalives keep the hold timer of the sidecar happy
          s.write(encodeMessage({ type: 'keepalive' }, opts));
        } else if (m.type === 'update') {
          this.applyUpdate(m);
        }
        this.wake();
      }
    });
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
    s.on('error', () => undefined);
  }

  private applyUpdate(u: UpdateMessage): void {
    for (const p of u.withdrawn) this.rib.delete(`${p.addr}/${p.len}`);
    for (const p of u.attributes.mpUnreach?.withdrawn ?? []) this.rib.delete(`${p.addr}/${p.len}`);
    const asPath = (u.attributes.asPath ?? []).flatMap((seg) => seg.asns);
    const communities = (u.attributes.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`);
    const view = (prefix: string): RouteView => ({
      prefix,
      asPath,
      ...(u.attributes.med !== undefined ? { med: u.attributes.med } : {}),
      communities,
    });
    for (const p of u.nlri) this.rib.set(`${p.addr}/${p.len}`, view(`${p.addr}/${p.len}`));
    for (const p of u.attributes.mpReach?.nlri ?? []) this.rib.set(`${p.addr}/${p.len}`, view(`${p.addr}/${p.len}`));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait until pred() holds, re-checked on every message; rejects after timeoutMs. */
  async until(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; messages: ${this.messages.map((m) => m.type).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  notifications(): NotificationMessage[] {
    return this.messages.filter((m): m is NotificationMessage => m.type === 'notification');
  }

  async close(): Promise<void> {
    this.sock?.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

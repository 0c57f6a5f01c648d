/**
 * Passive BGP listener (RFC 4271 8.2.1.1): accepts TCP connections and hands
 * each to the session of the configured peer with that source address.
 * Connections from any other address are closed at once, before a byte is read.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { plainAddress } from './bgp-connection.js';

export interface ListenerOptions {
  address: string;
  port: number;
  logger: Logger;
  /** The session for a remote address, or undefined when it is not a configured peer. */
  lookup: (remote: string) => { accept(socket: net.Socket): void } | undefined;
}

/** Refusals logged one by one per window; the rest are counted (a port scan must not flood the journal). */
export const REFUSED_LOG_MAX = 10;
export const REFUSED_LOG_WINDOW_MS = 60_000;

export class BgpListener {
  private server: net.Server | null = null;
  private refusedLog = { since: -Infinity, logged: 0, suppressed: 0 };

  constructor(private readonly o: ListenerOptions) {}

  /** Resolves once bound; rejects with an actionable error (port in use, no permission). */
  listen(): Promise<{ address: string; port: number }> {
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const hint =
          err.code === 'EACCES' ? ' (port below 1024 needs root or CAP_NET_BIND_SERVICE)' :
          err.code === 'EADDRINUSE' ? ' (another BGP daemon is listening there?)' :
          err.code === 'EADDRNOTAVAIL' ? ' (address not configured on this host)' : '';
        reject(new Error(`bgp listen ${this.o.address}:${this.o.port}: ${err.message}${hint}`));
      });
      server.listen({ host: this.o.address, port: this.o.port }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.o.logger.error({ err: err.message }, 'bgp listener error'));
        const a = server.address() as net.AddressInfo;
        this.o.logger.info({ address: a.address, port: a.port }, 'bgp listening');
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  private logRefused(remote: string, port: number | undefined): void {
    const w = this.refusedLog;
    const now = performance.now();
    if (now - w.since >= REFUSED_LOG_WINDOW_MS) {
      if (w.suppressed > 0) this.o.logger.warn({ notLogged: w.suppressed, windowMs: REFUSED_LOG_WINDOW_MS }, 'more connections from unconfigured addresses refused');
      w.since = now;
      w.logged = 0;
      w.suppressed = 0;
    }
    if (w.logged < REFUSED_LOG_MAX) {
      w.logged++;
      this.o.logger.warn({ remote, port }, 'connection from an unconfigured address refused');
    } else {
      w.suppressed++;
    }
  }

  private onConnection(socket: net.Socket): void {
    const remote = plainAddress(socket.remoteAddress);
    const session = this.o.lookup(remote);
    if (!session) {
      // RFC 4271 8.2.1.1: connections from unconfigured peers are refused.
      this.logRefused(remote, socket.remotePort);
      socket.destroy();
      return;
    }
    socket.resume();
    session.accept(socket);
  }
}

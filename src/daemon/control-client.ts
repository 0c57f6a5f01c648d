/** A client for the control socket: one request, one response, bounded in time. */
import { createConnection } from 'node:net';
import type { ControlRequest, ControlResponse } from './control-protocol.js';

export class ControlClientError extends Error {
  override name = 'ControlClientError';
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export function controlRequest(path: string, req: ControlRequest, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    let settled = false;
    const finish = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new ControlClientError(`no answer on ${path} within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let r: ControlResponse;
      try {
        r = JSON.parse(buf.slice(0, nl)) as ControlResponse;
      } catch {
        finish(new ControlClientError(`malformed answer on ${path}`));
        return;
      }
      if (r.ok) finish(undefined, r.result);
      else finish(new ControlClientError(r.error, 'EREMOTE'));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ENOENT' ? 'no such socket (is the daemon running?)'
        : e.code === 'ECONNREFUSED' ? 'connection refused (is the daemon running?)'
        : e.code === 'EACCES' ? 'permission denied (run as root or as a member of the socket group)'
        : e.message;
      finish(new ControlClientError(`cannot reach bgp-sidecar at ${path}: ${why}`, e.code));
    });
    sock.on('end', () => finish(new ControlClientError(`connection to ${path} closed without an answer`)));
  });
}

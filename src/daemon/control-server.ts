/**
 * The control socket server: a unix socket (mode 0660 by default, optional
 * group) that answers line-delimited JSON requests (control-protocol.ts).
 *
 * Start-up rules: the directory is created when missing; a socket file left
 * by a dead daemon is removed; if another daemon answers on the path we
 * refuse to start rather than steal its socket.
 */
import { chmod, chown, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { MAX_REQUEST_BYTES, parseRequest, type ControlRequest, type ControlResponse } from './control-protocol.js';

/** Requests one connection may have queued before it is refused. */
export const MAX_PENDING_PER_CLIENT = 64;

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

export interface ControlServerOptions {
  path: string;
  mode: number;
  group?: string | number;
  handler: ControlHandler;
  logger: Logger;
  /** Most concurrent clients; more are answered with an error and closed. */
  maxClients?: number;
  /** Idle clients are closed after this long (ms). */
  idleTimeoutMs?: number;
}

export class ControlSocketError extends Error {
  override name = 'ControlSocketError';
}

/** Resolve a group name through /etc/group (Node has no getgrnam). */
export async function resolveGroup(group: string | number): Promise<number> {
  if (typeof group === 'number') return group;
  if (/^\d+$/.test(group)) return Number(group);
  const text = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new ControlSocketError(`control.group: no group named "${group}" in /etc/group`);
}

/** Does something answer on this unix socket path? */
function probe(path: string, timeoutMs = 1000): Promise<'answers' | 'refused' | 'absent'> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (r: 'answers' | 'refused' | 'absent') => {
      clearTimeout(t);
      s.destroy();
      resolve(r);
    };
    // A live daemon that is too busy to accept is still alive: treat a timeout as answering.
    const t = setTimeout(() => done('answers'), timeoutMs);
    s.once('connect', () => done('answers'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ENOENT' ? 'absent' : 'refused'));
  });
}

export class ControlServer {
  private server: Server | undefined;
  private readonly clients = new Set<Socket>();

  constructor(private readonly opts: ControlServerOptions) {}

  async listen(): Promise<void> {
    const { path, logger } = this.opts;
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const st = await lstat(path).catch(() => undefined);
    if (st) {
      if (!st.isSocket()) throw new ControlSocketError(`control socket ${path} exists and is not a socket; remove it or choose another control.socket`);
      const p = await probe(path);
      if (p === 'answers') throw new ControlSocketError(`another bgp-sidecar answers on ${path}; stop it first or choose another control.socket`);
      logger.info({ socket: path }, 'removing stale control socket');
      await unlink(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    const gid = this.opts.group !== undefined ? await resolveGroup(this.opts.group) : undefined;
    const server = createServer((sock) => this.onClient(sock));
    server.maxConnections = this.opts.maxClients ?? 16;
    // Created with a umask that lets nobody in; the final mode is set before anyone is told we're ready.
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      throw new ControlSocketError(`cannot listen on control socket ${path}: ${(e as Error).message}`);
    } finally {
      process.umask(oldMask);
    }
    server.on('error', (e) => logger.error({ err: e }, 'control socket error'));
    this.server = server;
    try {
      if (gid !== undefined) await chown(path, -1, gid);
      await chmod(path, this.opts.mode);
    } catch (e) {
      await this.close();
      throw new ControlSocketError(`cannot set ${gid !== undefined ? `group ${gid} and ` : ''}mode 0${this.opts.mode.toString(8)} on ${path}: ${(e as Error).message}`);
    }
    logger.info({ socket: path, mode: `0${this.opts.mode.toString(8)}`, gid }, 'control socket listening');
  }

  private onClient(sock: Socket): void {
    const { logger } = this.opts;
    this.clients.add(sock);
    sock.setEncoding('utf8');
    sock.setTimeout(this.opts.idleTimeoutMs ?? 30_000, () => sock.destroy());
    let buf = '';
    let chain = Promise.resolve();
    let pending = 0;
    const send = (r: ControlResponse) => {
      if (!sock.destroyed) sock.write(`${JSON.stringify(r)}\n`);
    };
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) break;
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === '') continue;
        // A client that pipes requests faster than they are answered is cut off, not buffered without bound.
        if (++pending > MAX_PENDING_PER_CLIENT) {
          buf = '';
          chain = chain.then(() => {
            send({ ok: false, error: `too many requests in flight: at most ${MAX_PENDING_PER_CLIENT} per connection` });
            sock.end();
          });
          sock.pause();
          return;
        }
        chain = chain.then(() => this.answer(line).then(send)).finally(() => void pending--);
      }
      if (Buffer.byteLength(buf) > MAX_REQUEST_BYTES) {
        buf = '';
        chain = chain.then(() => {
          send({ ok: false, error: `request too long: at most ${MAX_REQUEST_BYTES} bytes per line` });
          sock.end();
        });
      }
    });
    sock.on('error', (e) => logger.debug({ err: e.message }, 'control client error'));
    sock.on('close', () => this.clients.delete(sock));
  }

  private async answer(line: string): Promise<ControlResponse> {
    const parsed = parseRequest(line);
    const id = parsed.id !== undefined ? { id: parsed.id } : {};
    if (!parsed.ok) return { ok: false, ...id, error: parsed.error };
    try {
      const result = await this.opts.handler(parsed.request);
      return { ok: true, ...id, result: result ?? null };
    } catch (e) {
      this.opts.logger.warn({ cmd: parsed.request.cmd, err: (e as Error).message }, 'control request failed');
      return { ok: false, ...id, error: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(this.opts.path).catch(() => undefined);
  }
}

/**
 * Test-side helpers for the sd_notify addon: build it when missing (a fresh
 * clone), and a receiving socket that plays systemd's notify socket.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { nativeAddonPath, packageRoot, loadNative, parseNotification, type NativeDgram } from '../../../src/daemon/sdnotify.js';

export const ROOT = packageRoot();

/** Builds systemd/native with node-gyp if the .node file is not there; returns the loaded addon. */
export function ensureNative(): NativeDgram {
  const target = nativeAddonPath(ROOT);
  if (!existsSync(target)) {
    // Test files run in parallel: one builds (mkdir is the lock), the others wait for the result.
    const lock = join(ROOT, 'systemd', 'native', '.build-lock');
    let owner = false;
    try {
      mkdirSync(lock);
      owner = true;
    } catch {
      // someone else is building
    }
    if (owner) {
      try {
        if (!existsSync(target)) build();
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    } else {
      const deadline = Date.now() + 180_000;
      while (!existsSync(target) && existsSync(lock) && Date.now() < deadline) sleepSync(100);
      if (!existsSync(target)) build(); // the other builder failed or left: try ourselves, errors surface here
    }
  }
  return loadNative();
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function build(): void {
  // node-gyp: the project's (a dev dependency of the tooling), else the one bundled with npm.
  const candidates = [
    join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const gyp = candidates.find((c) => existsSync(c));
  if (!gyp) throw new Error(`node-gyp not found (${candidates.join(', ')}): cannot build systemd/native`);
  // Headers: Debian's nodejs ships them under /usr/include/node, so no download is needed.
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
  const r = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedir, '-C', join(ROOT, 'systemd', 'native')], { encoding: 'utf8', timeout: 170_000 });
  if (r.status !== 0) throw new Error(`building systemd/native failed (exit ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
}

export interface Received {
  fields: Map<string, string>;
  raw: string;
  pid: number;
  /** performance.now() when the test read it (polled every 2 ms). */
  at: number;
}

/** A bound notify socket owned by the test, polled from a timer; close() in teardown. */
export class NotifyReceiver {
  readonly address: string;
  readonly messages: Received[] = [];
  private readonly fd: number;
  private readonly poll: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly native: NativeDgram, address?: string) {
    this.address = address ?? `@bgp-sidecar-test-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.fd = native.bind(this.address);
    this.poll = setInterval(() => this.drain(), 2);
  }

  drain(): void {
    if (this.closed) return;
    for (let i = 0; i < 1000; i++) {
      const m = this.native.recv(this.fd);
      if (!m) return;
      const raw = m.data.toString('utf8');
      this.messages.push({ fields: parseNotification(raw), raw, pid: m.pid, at: performance.now() });
    }
  }

  /** Messages having field `key` (optionally with value `value`). */
  having(key: string, value?: string): Received[] {
    return this.messages.filter((m) => m.fields.has(key) && (value === undefined || m.fields.get(key) === value));
  }

  /** Resolves with the first message matching, or rejects after timeoutMs (bounded wait). */
  async waitFor(key: string, value: string | undefined, timeoutMs: number, after = 0): Promise<Received> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.drain();
      const hit = this.having(key, value).find((m) => m.at >= after);
      if (hit) return hit;
      if (performance.now() > deadline) {
        throw new Error(`no ${key}${value === undefined ? '' : '=' + value} within ${timeoutMs} ms; got: ${JSON.stringify(this.messages.map((m) => m.raw))}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    try {
      this.native.close(this.fd);
    } catch {
      // already closed
    }
  }
}

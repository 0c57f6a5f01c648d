/**
 * A cross-process mutex for test files that must not overlap (tap runs files in
 * parallel): whole-lab runs compare the namespaces present before and after, and
 * a second lab starting meanwhile would look like a leftover. Bounded wait; a lock
 * left by a process that died is taken over.
 */
import { openSync, writeFileSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function exclusive<T>(name: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const path = join(tmpdir(), `bgp-sidecar-test-${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').trim() || 'NaN');
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lock ${path} still held by pid ${owner} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

/** mkfifo(1) synchronously (Node has no mkfifo binding). */
import { spawnSync } from 'node:child_process';

export function mkfifoSync(path: string): void {
  const r = spawnSync('mkfifo', ['-m', '0600', path], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr?.trim() || r.error?.message || `exit ${r.status}`}`);
}

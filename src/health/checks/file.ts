/**
 * `file`: a maintenance file. Present -> maintenance; absent -> not. Any other error
 * (EACCES, EIO) leaves `maintenance` undefined so the machine keeps what it knew.
 */
import { stat } from 'node:fs/promises';
import type { FileCheckConfig } from '../../config/health.js';
import type { CheckRunner } from '../types.js';

export function fileRunner(c: FileCheckConfig): CheckRunner {
  return {
    async run() {
      const t0 = performance.now();
      try {
        await stat(c.path);
        return { ok: false, maintenance: true, detail: `maintenance file ${c.path} present`, latencyMs: performance.now() - t0 };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          return { ok: true, maintenance: false, detail: 'no maintenance file', latencyMs: performance.now() - t0 };
        }
        return { ok: false, detail: `cannot stat ${c.path}: ${code ?? String(err)}`, latencyMs: performance.now() - t0 };
      }
    },
  };
}

/**
 * `http` / `https`: passes when the answer's status is within `expect-status` and, if
 * set, the first 64 KiB of the body contain `body-contains`. TLS certificates are
 * verified against the system store (or `ca`) unless `tls-verify: false`.
 * A fresh connection per run (no keep-alive): a health check must see what a new
 * client would see.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { HttpCheckConfig } from '../../config/health.js';
import type { CheckResult, CheckRunner } from '../types.js';

const BODY_LIMIT = 64 * 1024;

export function httpRunner(c: HttpCheckConfig): CheckRunner {
  let ca: Promise<Buffer> | undefined;
  return {
    async run(signal) {
      const t0 = performance.now();
      const fail = (detail: string): CheckResult => ({ ok: false, detail, latencyMs: performance.now() - t0 });
      let caPem: Buffer | undefined;
      if (c.caFile !== undefined) {
        ca ??= readFile(c.caFile);
        try {
          caPem = await ca;
        } catch (err) {
          ca = undefined; // retry next run; the file may appear
          return fail(`cannot read ca ${c.caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
      }
      return new Promise<CheckResult>((resolve) => {
        let done = false;
        const finish = (r: CheckResult) => {
          if (done) return;
          done = true;
          signal.removeEventListener('abort', onAbort);
          req.destroy();
          resolve(r);
        };
        const onAbort = () => finish(fail(`timeout after ${c.timeoutMs}ms`));
        const opts: https.RequestOptions = {
          method: c.method,
          headers: { 'user-agent': 'bgp-sidecar-healthcheck', connection: 'close', ...c.headers },
          agent: false,
        };
        if (c.type === 'https') {
          opts.rejectUnauthorized = c.tlsVerify;
          if (caPem) opts.ca = caPem;
        }
        const mod = c.type === 'https' ? https : http;
        const req = mod.request(c.url, opts, (res) => {
          const status = res.statusCode ?? 0;
          const [lo, hi] = c.expectStatus;
          if (status < lo || status > hi) {
            finish(fail(`status ${status}, expected ${lo === hi ? lo : `${lo}-${hi}`}`));
            return;
          }
          if (c.bodyContains === undefined) {
            finish({ ok: true, detail: `status ${status}`, latencyMs: performance.now() - t0 });
            return;
          }
          const needle = c.bodyContains;
          const chunks: Buffer[] = [];
          let size = 0;
          const check = (final: boolean) => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (body.includes(needle)) {
              finish({ ok: true, detail: `status ${status}, body matched`, latencyMs: performance.now() - t0 });
            } else if (final) {
              finish(fail(`status ${status}, body does not contain ${JSON.stringify(needle)}`));
            }
          };
          res.on('data', (chunk: Buffer) => {
            if (size >= BODY_LIMIT) return;
            chunks.push(chunk.subarray(0, BODY_LIMIT - size));
            size += Math.min(chunk.length, BODY_LIMIT - size);
            if (size >= BODY_LIMIT) check(true);
          });
          res.on('end', () => check(true));
          res.on('error', (err) => finish(fail(`response: ${err.message}`)));
        });
        req.on('error', (err: NodeJS.ErrnoException) => finish(fail(err.code ?? err.message)));
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        req.end();
      });
    },
  };
}

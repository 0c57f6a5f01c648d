/** `tcp`: passes when a TCP connection to host:port is established before the timeout. */
import net from 'node:net';
import type { TcpCheckConfig } from '../../config/health.js';
import type { CheckResult, CheckRunner } from '../types.js';

export function tcpRunner(c: TcpCheckConfig): CheckRunner {
  return {
    run(signal) {
      const t0 = performance.now();
      return new Promise<CheckResult>((resolve) => {
        let done = false;
        const sock = net.connect({ host: c.host, port: c.port });
        const finish = (ok: boolean, detail: string) => {
          if (done) return;
          done = true;
          signal.removeEventListener('abort', onAbort);
          sock.destroy();
          resolve({ ok, detail, latencyMs: performance.now() - t0 });
        };
        const onAbort = () => finish(false, `timeout after ${c.timeoutMs}ms`);
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        sock.once('connect', () => finish(true, 'connected'));
        sock.once('error', (err: NodeJS.ErrnoException) => finish(false, err.code ?? err.message));
      });
    },
  };
}

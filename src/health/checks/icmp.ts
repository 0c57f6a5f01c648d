/**
 * `icmp`: up to `count` echo requests, one after the other, each waiting `timeout`;
 * passes as soon as `min-replies` answers came back (fails as soon as that became
 * impossible). Uses net-ping (raw socket: needs root or CAP_NET_RAW), loaded only when
 * an icmp check is configured. Any ICMP error (unreachable, time exceeded) is a miss.
 */
import net from 'node:net';
import type { IcmpCheckConfig } from '../../config/health.js';
import type { CheckResult, CheckRunner } from '../types.js';

type Ping = typeof import('net-ping');
type Session = import('net-ping').Session;

let nextSession = 0;
/** Distinct ICMP identifiers per check, so two checks never take each other's replies. */
function sessionId(): number {
  nextSession = (nextSession + 1) % 1000;
  return ((process.pid * 1000 + nextSession) % 65534) + 1;
}

export function icmpRunner(c: IcmpCheckConfig): CheckRunner {
  let session: Session | undefined;
  let broken: string | undefined;
  const id = sessionId();

  async function open(): Promise<Session> {
    if (session) return session;
    const mod = (await import('net-ping')) as unknown as { default?: Ping } & Ping;
    const ping = mod.default ?? mod;
    const s = ping.createSession({
      networkProtocol: net.isIPv6(c.host) ? ping.NetworkProtocol.IPv6 : ping.NetworkProtocol.IPv4,
      retries: 0,
      timeout: c.timeoutMs,
      sessionId: id,
    });
    // An unhandled 'error' would crash the daemon; drop the session and reopen on the next run.
    s.on('error', (err) => { broken = err.message; if (session === s) session = undefined; try { s.close(); } catch { /* closed */ } });
    s.on('close', () => { if (session === s) session = undefined; });
    session = s;
    return s;
  }

  const echo = (s: Session): Promise<{ ok: boolean; rtt: number; error?: string }> =>
    new Promise((resolve) => {
      s.pingHost(c.host, (err, _t, sent, rcvd) => {
        if (err) resolve({ ok: false, rtt: 0, error: err.message });
        else resolve({ ok: true, rtt: sent && rcvd ? rcvd.getTime() - sent.getTime() : 0 });
      });
    });

  return {
    async run(signal) {
      const t0 = performance.now();
      let s: Session;
      try {
        s = await open();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { ok: false, detail: `cannot open raw socket: ${e.message}`, latencyMs: performance.now() - t0 };
      }
      let replies = 0;
      let lastError = '';
      const rtts: number[] = [];
      for (let sent = 0; sent < c.count; sent++) {
        if (signal.aborted) return { ok: false, detail: `timeout after ${sent} echo(s), ${replies} repl(ies)`, latencyMs: performance.now() - t0 };
        const aborted = new Promise<null>((resolve) => signal.addEventListener('abort', () => resolve(null), { once: true }));
        const r = await Promise.race([echo(s), aborted]);
        if (r === null) return { ok: false, detail: `timeout after ${sent + 1} echo(s), ${replies} repl(ies)`, latencyMs: performance.now() - t0 };
        if (r.ok) { replies++; rtts.push(r.rtt); } else lastError = r.error ?? 'no reply';
        if (replies >= c.minReplies) {
          const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
          return { ok: true, detail: `${replies}/${sent + 1} replies, rtt ${avg.toFixed(1)}ms`, latencyMs: performance.now() - t0 };
        }
        if (replies + (c.count - sent - 1) < c.minReplies) break;
      }
      const why = broken ? `socket error ${broken}` : lastError;
      broken = undefined;
      return { ok: false, detail: `${replies}/${c.count} replies (${why})`, latencyMs: performance.now() - t0 };
    },
    close() {
      const s = session;
      session = undefined;
      try { s?.close(); } catch { /* already closed */ }
    },
  };
}

/**
 * The two small programs of the failover lab, run with this Node binary as
 * child processes inside the namespaces (no extra dependency, no shell):
 *
 * - the appliance service: answers UDP probes sent to the floating IP with its
 *   appliance name (so the client knows who answered; ICMP would not tell) and
 *   accepts TCP connections on 127.0.0.1 (what the health checks look at).
 *   One process: when "the service stops", both go, as on a real appliance.
 * - the prober (client namespace): one UDP probe every `interval` ms with a
 *   sequence number; prints a line when the answering appliance changes and
 *   when answers come back after lost probes; on SIGTERM stops sending, waits
 *   for late answers and prints a JSON summary.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_UDP_PORT = 7007;
export const SERVICE_TCP_PORT = 8080;

const SERVICE = String.raw`
import dgram from 'node:dgram';
import net from 'node:net';
const [name, ip, udpPort, tcpPort] = process.argv.slice(2);
const u = dgram.createSocket('udp4');
const tag = Buffer.from(name + ' ');
u.on('message', (m, r) => u.send(Buffer.concat([tag, m]), r.port, r.address));
u.on('error', (e) => { console.error('udp', e.message); process.exit(1); });
const s = net.createServer((c) => { c.on('error', () => {}); c.end('ok\n'); });
s.on('error', (e) => { console.error('tcp', e.message); process.exit(1); });
let ready = 0;
const up = () => { if (++ready === 2) console.log('ready'); };
u.bind(Number(udpPort), ip, up);
s.listen(Number(tcpPort), '127.0.0.1', up);
process.on('SIGTERM', () => process.exit(0));
`;

// Times are epoch milliseconds with sub-ms precision (timeOrigin + now()), so
// the lab can put them on its own timeline.
const PROBER = String.raw`
import dgram from 'node:dgram';
const [target, port, intervalArg] = process.argv.slice(2);
const interval = Number(intervalArg);
const now = () => performance.timeOrigin + performance.now();
const sock = dgram.createSocket('udp4');
const sentAt = [];
const answeredBy = [];
let seq = 0, stopped = false, last = '', lastSeq = -1;
const t0 = now();
sock.on('message', (m) => {
  const text = m.toString('latin1');
  const sp = text.indexOf(' ');
  const who = text.slice(0, sp);
  const s = m.readUInt32BE(sp + 1);
  if (s >= sentAt.length || answeredBy[s] !== undefined) return;
  answeredBy[s] = who;
  if (who !== last) { console.log('switch ' + s + ' ' + (last || '-') + ' ' + who + ' ' + sentAt[s]); last = who; }
  if (s > lastSeq + 1) console.log('gap ' + (lastSeq + 1) + ' ' + (s - 1) + ' ' + (sentAt[s] - (lastSeq >= 0 ? sentAt[lastSeq] : t0) - interval));
  if (s > lastSeq) lastSeq = s;
});
function tick() {
  if (stopped) return;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(seq);
  sentAt.push(now());
  sock.send(b, Number(port), target, () => {});
  seq++;
  setTimeout(tick, Math.max(0, t0 + seq * interval - now()));
}
sock.bind(0, () => { console.log('started ' + t0); tick(); });
process.on('SIGTERM', () => {
  stopped = true;
  setTimeout(() => {
    let lost = 0, gap = 0, gapFrom = -1, prev = -1;
    const losses = [];
    const by = {};
    for (let i = 0; i < sentAt.length; i++) {
      const w = answeredBy[i];
      if (w === undefined) {
        lost++;
        const r = losses[losses.length - 1];
        if (r && r[1] === i - 1) r[1] = i; else losses.push([i, i, sentAt[i]]);
        continue;
      }
      by[w] = (by[w] || 0) + 1;
      const g = (prev >= 0 ? sentAt[i] - sentAt[prev] : 0) - interval;
      if (i - prev > 1 && prev >= 0 && g > gap) { gap = g; gapFrom = prev; }
      prev = i;
    }
    const tail = prev >= 0 ? sentAt.length - 1 - prev : sentAt.length;
    // Probes still unanswered at the end: the outage had not ended.
    if (tail > 0 && sentAt.length) { const g = sentAt[sentAt.length - 1] - (prev >= 0 ? sentAt[prev] : t0); if (g > gap) { gap = g; gapFrom = prev; } }
    console.log('summary ' + JSON.stringify({ sent: sentAt.length, lost, gapMs: gap, gapAfterSeq: gapFrom, unansweredAtEnd: tail, byAppliance: by, losses: losses.slice(0, 50), startedAt: t0, endedAt: sentAt[sentAt.length - 1] ?? t0 }));
    process.exit(0);
  }, 400);
});
`;

/** Write both programs into the lab's work directory; returns their paths. */
export function writeAgents(dir: string): { service: string; prober: string } {
  const service = join(dir, 'service.mjs');
  const prober = join(dir, 'prober.mjs');
  writeFileSync(service, SERVICE, { mode: 0o644 });
  writeFileSync(prober, PROBER, { mode: 0o644 });
  return { service, prober };
}

/**
 * Child process that runs our Speaker inside a network namespace for interop
 * tests (a test process lives in the root namespace; sockets follow the
 * process). Started by ./speaker.ts; not a test file.
 *
 * argv[2]: JSON { speaker: SpeakerOptions without logger/clock, logLevel }
 * stdin:   JSON lines { id, cmd: 'set', routes } | { id, cmd: 'status' } |
 *          { id, cmd: 'received', address, limit } | { id, cmd: 'stop', opts }
 * stdout:  JSON lines { id, ok: true, result } | { id, ok: false, error } |
 *          { event: 'peer-state', ... } | { event: 'ready' }
 * Logs (pino JSON) go to stderr.
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { Speaker } from '../../src/speaker/speaker.js';
import type { SpeakerOptions } from '../../src/speaker/types.js';

interface DriverArgs {
  speaker: Omit<SpeakerOptions, 'logger' | 'clock'>;
  logLevel?: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as DriverArgs;
const logger = pino({ level: args.logLevel ?? 'info', base: { role: 'speaker-under-test' } }, pino.destination(2));
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

const speaker = new Speaker({ ...args.speaker, logger });
speaker.on('peer-state', (e) => out({ event: 'peer-state', ...e, at: Date.now() }));
speaker.on('update-sent', (e) => out({ event: 'update-sent', address: e.address, announced: e.announced.length, withdrawn: e.withdrawn.length, at: Date.now() }));

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  void (async () => {
    let msg: { id?: number; cmd?: string; routes?: unknown; address?: string; limit?: number; opts?: unknown };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      out({ ok: false, error: `bad command line: ${line.slice(0, 200)}` });
      return;
    }
    const id = msg.id;
    try {
      switch (msg.cmd) {
        case 'set':
          speaker.set(msg.routes as Parameters<Speaker['set']>[0]);
          out({ id, ok: true });
          break;
        case 'status':
          out({ id, ok: true, result: speaker.status() });
          break;
        case 'received':
          out({ id, ok: true, result: speaker.received(msg.address ?? '', msg.limit ?? 10) });
          break;
        case 'stop':
          await speaker.stop((msg.opts ?? {}) as Parameters<Speaker['stop']>[0]);
          out({ id, ok: true });
          setTimeout(() => process.exit(0), 50);
          break;
        default:
          out({ id, ok: false, error: `unknown command ${String(msg.cmd)}` });
      }
    } catch (err) {
      out({ id, ok: false, error: (err as Error).message });
    }
  })();
});
rl.on('close', () => {
  void speaker.stop({ timeoutMs: 2000 }).finally(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void speaker.stop({ timeoutMs: 2000 }).finally(() => process.exit(0));
});

try {
  await speaker.start();
  out({ event: 'ready', routerId: speaker.bgpId });
} catch (err) {
  out({ event: 'start-failed', error: (err as Error).message });
  process.exit(1);
}

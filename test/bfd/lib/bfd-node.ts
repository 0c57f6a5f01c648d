/**
 * Our BFD side as a separate process, so tests can run it inside a network namespace
 * (`ip netns exec NS node --import tsx test/bfd/lib/bfd-node.ts`). Commands arrive as JSON lines
 * on stdin, answers and 'state' events leave as JSON lines on stdout.
 *   {"id":1,"cmd":"add","key":"k","o":{...}}      -> {"id":1,"ok":true}
 *   {"id":2,"cmd":"update","key":"k","o":{...}}
 *   {"id":3,"cmd":"remove","key":"k"}
 *   {"id":4,"cmd":"status"}                         -> {"id":4,"ok":true,"result":[...]}
 *   {"id":5,"cmd":"pid"}                            -> worker pid
 *   {"id":6,"cmd":"block","ms":2000}                -> busy-loops the main thread
 *   {"id":7,"cmd":"close"}
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { BfdManager } from '../../../src/io/bfd-manager.js';

const logger = pino({ level: process.env.BFD_NODE_LOG ?? 'warn' }, pino.destination(2));
// BFD_NODE_RT: unset = the manager's default, 0 = no SCHED_FIFO, N = priority N.
const rtEnv = process.env.BFD_NODE_RT;
const m = new BfdManager({ logger, ...(rtEnv === undefined ? {} : { workerRealtime: Number(rtEnv) > 0 ? Number(rtEnv) : null }) });
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
m.on('state', (ev) => out({ event: 'state', ev, at: Date.now() }));

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg: { id: number; cmd: string; key?: string; o?: never; ms?: number };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    return;
  }
  void (async () => {
    try {
      let result: unknown;
      switch (msg.cmd) {
        case 'add':
          m.add(msg.key!, msg.o!);
          break;
        case 'update':
          m.update(msg.key!, msg.o!);
          break;
        case 'remove':
          await m.remove(msg.key!);
          break;
        case 'status':
          result = m.status();
          break;
        case 'counters':
          result = m.counters();
          break;
        case 'pid':
          await m.ready();
          result = m.workerPid;
          break;
        case 'block': {
          const until = Date.now() + (msg.ms ?? 0);
          while (Date.now() < until) {
            /* stall the main thread */
          }
          break;
        }
        case 'close':
          await m.close();
          out({ id: msg.id, ok: true });
          process.exit(0);
      }
      out({ id: msg.id, ok: true, result });
    } catch (err) {
      out({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
rl.on('close', () => void m.close().then(() => process.exit(0)));

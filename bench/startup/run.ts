/**
 * Startup latency: time from spawning `bgp-sidecar run --config` (from dist)
 * to the first UPDATE on the wire, seen by a codec-based listener on
 * loopback. Also: to the TCP connect and to the OPEN. N runs, figures in ms.
 *
 *   npm run bench:startup            # 10 runs
 *   node dist/bench/startup/run.js 20
 */
import { startListener } from './lib/bgp-listener.js';
import { machine, stats } from './lib/machine.js';
import { spawnSync } from 'node:child_process';
import { cliMain, PEER_ASN, startSidecar } from './lib/sidecar-process.js';

/** Wall time of a command that exits by itself, ms (baselines). */
function timed(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}`);
  return performance.now() - t0;
}

const runs = Number(process.argv[2] ?? 10);
if (!Number.isInteger(runs) || runs < 1 || runs > 200) {
  console.error('usage: node dist/bench/startup/run.js [runs 1..200]');
  process.exit(2);
}

const bareNode: number[] = [];
const cliVersion: number[] = [];
const connect: number[] = [];
const open: number[] = [];
const update: number[] = [];
for (let i = 0; i < runs; i++) {
  bareNode.push(timed(['-e', '0']));
  cliVersion.push(timed([cliMain(), '--version']));
  const listener = await startListener({ asn: PEER_ASN, bgpId: '10.255.0.254' });
  const sc = startSidecar([{ host: '127.0.0.1', port: listener.port }]);
  let timer: NodeJS.Timeout | undefined;
  try {
    const exited = new Promise<never>((_, rej) => sc.proc.once('exit', (c) => rej(new Error(`sidecar exited (${c}) before sending an UPDATE:\n${sc.output()}`))));
    const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no UPDATE within 20 s:\n${sc.output()}`)), 20_000)));
    const at = await Promise.race([listener.firstUpdate, exited, timeout]);
    const s = listener.sessions[0]!;
    connect.push(s.connectedAt! - sc.startedAt);
    open.push(s.openAt! - sc.startedAt);
    update.push(at - sc.startedAt);
  } finally {
    clearTimeout(timer);
    await sc.stop();
    await listener.close();
  }
}

const f = (x: number) => x.toFixed(0).padStart(5);
const line = (name: string, xs: number[]) => {
  const s = stats(xs);
  return `${name.padEnd(22)} min ${f(s.min)}  median ${f(s.median)}  p90 ${f(s.p90)}  max ${f(s.max)}  ms`;
};
console.log(`bench:startup: ${runs} runs, spawn of \`node dist/src/cli/main.js run --config\` -> ...`);
console.log(line('(node -e 0, exits)', bareNode));
console.log(line('(cli --version, exits)', cliVersion));
console.log(line('TCP connect', connect));
console.log(line('OPEN received', open));
console.log(line('first UPDATE', update));
console.log(`machine: ${machine()}`);

/**
 * What lazy loading of the AWS SDK saves at start-up: wall time of a fresh
 * `node` that imports each SDK client (ESM import of the CJS build), against
 * a `node` that imports nothing. Each figure is the median of N cold runs in
 * separate processes (the OS file cache is warm after the first).
 *
 *   node_modules/.bin/tsx bench/aws-sdk-import.ts [runs]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

const runs = Number(process.argv[2] ?? 7);
const cases: [string, string][] = [
  ['node, nothing imported', ''],
  ['@aws-sdk/client-ec2', "await import('@aws-sdk/client-ec2')"],
  ['@aws-sdk/client-direct-connect', "await import('@aws-sdk/client-direct-connect')"],
  ['@aws-sdk/client-sns', "await import('@aws-sdk/client-sns')"],
  ['all three', "await Promise.all([import('@aws-sdk/client-ec2'), import('@aws-sdk/client-direct-connect'), import('@aws-sdk/client-sns')])"],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${runs} runs each`);
for (const [name, code] of cases) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), stdio: 'ignore', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    times.push(performance.now() - t0);
  }
  console.log(`${name.padEnd(34)} median ${median(times).toFixed(0).padStart(5)} ms  (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
}

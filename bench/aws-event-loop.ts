/**
 * Main-thread event-loop delay while the first AWS call loads the SDK:
 * importing @aws-sdk/client-ec2 in the main thread (what the SDK would do
 * there) against AwsApi, which loads it in its worker thread. Each case in a
 * fresh process; the fake endpoint answers on loopback.
 *
 *   node_modules/.bin/tsx bench/aws-event-loop.ts [runs]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const self = fileURLToPath(import.meta.url);

async function child(mode: string): Promise<void> {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 10 });
  const t0 = performance.now();
  if (mode === 'main') {
    h.enable();
    await import('@aws-sdk/client-ec2');
    await new Promise((r) => setTimeout(r, 100)); // let the histogram record the stall
  } else {
    const { pino } = await import('pino');
    const { AwsApi } = await import('../src/aws/clients.js');
    const { startFakeAws, FAKE_ACCESS_KEY, FAKE_SECRET } = await import('../test/aws/fake/server.js');
    const fake = await startFakeAws({});
    const api = new AwsApi({ region: 'eu-west-1', endpoint: fake.url, credentials: { accessKeyId: FAKE_ACCESS_KEY, secretAccessKey: FAKE_SECRET }, maxAttempts: 1, requestTimeoutMs: 10_000 }, pino({ level: 'silent' }));
    h.enable();
    await api.call('ec2', 'DescribeRouteTables', {}, false);
    await new Promise((r) => setTimeout(r, 100));
    h.disable();
    api.close();
    await fake.close();
  }
  h.disable();
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0 - 100, maxDelay: h.max / 1e6 }));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] ?? 'main');
} else {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${runs} runs each`);
  for (const [mode, name] of [['main', 'import in the main thread'], ['worker', 'AwsApi (SDK in its worker)']] as const) {
    const r: { ms: number; maxDelay: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, [...process.execArgv, self, '--child', mode], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }).toString();
      r.push(JSON.parse(out) as { ms: number; maxDelay: number });
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    console.log(`${name.padEnd(30)} first call ${med(r.map((x) => x.ms)).toFixed(0).padStart(5)} ms, main-thread max event-loop delay median ${med(r.map((x) => x.maxDelay)).toFixed(0).padStart(5)} ms (worst ${Math.max(...r.map((x) => x.maxDelay)).toFixed(0)})`);
  }
}

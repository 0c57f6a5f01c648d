import t from 'tap';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeAws } from './fake/server.js';
import { vif, VIF_1, VIF_2 } from './fixtures.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

t.test('a one-shot process waits for its call (the worker is referenced while a call is pending) and then exits', async (t) => {
  const fake = await startFakeAws({ vifs: [vif(VIF_1), vif(VIF_2)] });
  t.teardown(() => fake.close());
  // The child slows down: the first answer is throttled once, so the call spans a retry delay.
  fake.faults.push({ action: 'DescribeVirtualInterfaces', kind: 'throttle', times: 1 });
  const child = fileURLToPath(new URL('./oneshot-child.ts', import.meta.url));
  const { stdout } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), child, fake.url], { timeout: 60_000 });
  t.equal(stdout, 'interfaces 2\n', 'the answer arrived before the process ended');
  t.same(fake.callsOf('DescribeVirtualInterfaces').map((c) => c.result), ['ThrottlingException', 'ok']);
  t.notOk(Object.keys(require.cache).some((k) => k.includes('@aws-sdk/client-')), 'this process never loaded an SDK client');
});

// Runs tap over the test suite and turns its summary into the plain closing
// line CI reads: "tests: N passed, N failed, N skipped". Exit code is tap's.
import { spawn } from 'node:child_process';

const args = ['--reporter=terse', '--no-color', ...process.argv.slice(2)];
const child = spawn('node_modules/.bin/tap', args, { stdio: ['ignore', 'pipe', 'inherit'] });
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString('utf8')).slice(-4096);
});
child.on('close', (code, signal) => {
  const m = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?(?:, skip: (\d+))?(?:, todo: (\d+))?/.exec(tail);
  const pass = Number(m?.[2] ?? 0);
  const fail = Number(m?.[3] ?? 0);
  const skip = Number(m?.[4] ?? 0);
  const rc = code ?? 1;
  // A run that crashed or found nothing must not look green.
  const failed = m ? fail : Math.max(fail, 1);
  console.log(`tests: ${pass} passed, ${failed} failed, ${skip} skipped`);
  if (signal) console.error(`tap ended by ${signal}`);
  process.exit(rc !== 0 ? rc : m ? 0 : 1);
});

/**
 * The worker entry must resolve both under tap/tsx (src/io/*.ts) and from the built code
 * (dist/src/io/*.js) run by plain node. The second case is tested for real: the BFD modules are
 * compiled with tsc into a scratch folder inside the repo (so node_modules resolves), and a
 * plain-node script (no tsx, no NODE_OPTIONS) brings two sessions Up over loopback.
 */
import t from 'tap';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveWorkerEntry } from '../../src/io/bfd-manager.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

t.test('resolution from source and from dist', async (t) => {
  const dev = resolveWorkerEntry();
  t.ok(dev.path.endsWith(join('src', 'io', 'bfd-worker.ts')), dev.path);
  t.ok(existsSync(dev.path));
  t.equal(dev.execArgv[0], '--import');
  t.match(dev.execArgv[1], /tsx/);
  const dist = resolveWorkerEntry(pathToFileURL(join(repo, 'dist', 'src', 'io', 'bfd-manager.js')).href);
  t.equal(dist.path, join(repo, 'dist', 'src', 'io', 'bfd-worker.js'));
  t.same(dist.execArgv, [], 'plain node for built code');
});

t.test('built code runs the worker with plain node', async (t) => {
  const out = mkdtempSync(join(repo, '.bfd-build-test-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const tsc = spawnSync(
    process.execPath,
    [
      join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--outDir', out, '--rootDir', repo, '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--target', 'ES2022', '--strict', '--skipLibCheck', '--types', 'node', '--noUncheckedIndexedAccess',
      join(repo, 'src', 'io', 'bfd-manager.ts'), join(repo, 'src', 'io', 'bfd-worker.ts'),
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  t.equal(tsc.status, 0, `tsc: ${tsc.stdout}${tsc.stderr}`);
  t.ok(existsSync(join(out, 'src', 'io', 'bfd-worker.js')));
  const port = 30000 + Math.floor(Math.random() * 20000);
  const script = join(out, 'run.mjs');
  writeFileSync(
    script,
    `import pino from 'pino';
import { BfdManager } from './src/io/bfd-manager.js';
const logger = pino({ level: 'silent' });
const a = new BfdManager({ logger, ports: { single: ${port}, multi: ${port + 2} } });
const b = new BfdManager({ logger, ports: { single: ${port + 1}, multi: ${port + 3} } });
const o = { peer: '127.0.0.1', multihop: false, minTxMs: 100, minRxMs: 100, multiplier: 3, passive: false };
a.add('p', { ...o, peerPort: ${port + 1} });
b.add('p', { ...o, peerPort: ${port} });
const deadline = Date.now() + 15000;
while (Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 100));
  if (a.status('p')[0]?.state === 'up' && b.status('p')[0]?.state === 'up') { console.log('UP'); break; }
}
await Promise.all([a.close(), b.close()]);
console.log('CLOSED');
`,
  );
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [script], { env, cwd: out, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.equal(code, 0, stderr);
  t.match(stdout, /UP\nCLOSED/, 'both sessions Up under plain node, then closed');
});

/**
 * Commands are registered by name and description only; a command's module is imported
 * when it runs (or shows its own --help). Checked three ways: the registry agrees with
 * every module; with stand-in entries, which modules a given argv loads; and the real
 * bin in a child process, whose resolved imports are recorded: `--version` loads no
 * command module, `run` without aws/fallback config loads neither src/aws nor the AWS SDK
 * nor another command's module.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { commands, runCli, type CommandEntry } from '../../src/cli/cli.js';
import type { CliCommand, CliIo } from '../../src/cli/types.js';

const root = join(import.meta.dirname, '..', '..');
const hook = join(import.meta.dirname, 'lib', 'record-imports.mjs');

function io() {
  const o = { out: '', err: '' };
  const cio: CliIo = { stdout: (s) => void (o.out += s), stderr: (s) => void (o.err += s), env: {} };
  return { o, cio };
}

t.test('the registry names and describes each command exactly as its module does', async (t) => {
  t.ok(commands.length >= 12);
  for (const e of commands) {
    const m = await e.load();
    t.equal(m.command, e.command, `${e.command}: command string`);
    t.equal(m.describe, e.describe, `${e.command}: description`);
    t.type(m.handler, 'function');
  }
});

t.test('stand-in entries: only the command that runs is loaded, once', async (t) => {
  const loads: string[] = [];
  const ran: unknown[] = [];
  const entry = (name: string, command = name): CommandEntry => ({
    command,
    describe: `the ${name} command`,
    load: async () => {
      loads.push(name);
      const c: CliCommand<{ n?: number; what?: string }> = {
        command,
        describe: `the ${name} command`,
        options: { n: { type: 'number', describe: 'a number' } },
        async handler(args) {
          ran.push([name, args.n, args.what]);
          return 3;
        },
      };
      return c;
    },
  });
  const entries = [entry('alpha'), entry('beta', 'beta [what]')];

  let r = io();
  t.equal(await runCli(['--version'], r.cio, entries), 0);
  t.match(r.o.out, /^\d+\.\d+\.\d+/);
  t.same(loads, [], '--version loads no command');

  r = io();
  t.equal(await runCli(['--help'], r.cio, entries), 0);
  t.match(r.o.out, /alpha\s+the alpha command/);
  t.match(r.o.out, /beta \[what\]\s+the beta command/);
  t.same(loads, [], '--help lists every command without loading one');

  r = io();
  t.equal(await runCli(['beta', '--help'], r.cio, entries), 0);
  t.match(r.o.out, /-n\s+a number\s+\[number\]/);
  t.same(loads, ['beta'], 'a command\'s --help loads that command only');

  loads.length = 0;
  r = io();
  t.equal(await runCli(['beta', 'x', '--n', '7'], r.cio, entries), 3, 'the handler\'s exit code');
  t.same(loads, ['beta'], 'loaded once for builder and handler');
  t.same(ran, [['beta', 7, 'x']]);

  r = io();
  t.equal(await runCli(['alpha', '--bogus'], r.cio, entries), 2, 'strict: the loaded options are enforced');
  t.match(r.o.err, /Unknown argument: bogus/);
  r = io();
  t.equal(await runCli(['gamma'], r.cio, entries), 2);
  t.match(r.o.err, /Unknown argument: gamma/);
});

/** Source files under src/ a child process resolved, relative to the repo. */
function srcImports(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((u) => u.startsWith('file://'))
    .map((u) => u.slice('file://'.length)).filter((p) => p.startsWith(`${root}/`)).map((p) => p.slice(root.length + 1));
}

t.test('the real bin: --version and run load only what they need', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-lazy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, NOTIFY_SOCKET: '', RECORD_IMPORTS: join(dir, 'version.txt') };
  const v = spawnSync(process.execPath, ['--import', 'tsx', '--import', hook, join(root, 'src/cli/main.ts'), '--version'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  t.equal(v.status, 0, v.stderr);
  const vi = srcImports(env.RECORD_IMPORTS);
  t.ok(vi.includes('src/cli/cli.ts'), 'the recorder saw the bin\'s imports');
  t.same(vi.filter((p) => p.startsWith('src/cli/cmds/')), [], '--version imports no command module');
  t.same(vi.filter((p) => p.startsWith('src/config/') || p.startsWith('src/daemon/d')), [], 'nor the config schema or the daemon');

  // run: a peer nobody listens on (the daemon starts anyway), no aws, no fallback.
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, `local-asn: 65001\nrouter-id: 10.0.0.1\nprefixes: [172.16.1.1/32]\npeers: [{ address: 127.0.0.1, asn: 65000, port: 9 }]\ncontrol: { socket: ${join(dir, 'c.sock')} }\nmetrics: false\nlog-level: info\n`);
  const record = join(dir, 'run.txt');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', hook, join(root, 'src/cli/main.ts'), 'run', '-c', cfg], {
    cwd: root, env: { ...env, RECORD_IMPORTS: record }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('bgp-sidecar started') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  t.match(out, /bgp-sidecar started/, 'the daemon started');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean stop');
  const ri = srcImports(record);
  const all = readFileSync(record, 'utf8');
  t.ok(ri.includes('src/speaker/speaker.ts'), 'the recorder saw the daemon\'s imports');
  t.same(ri.filter((p) => p.startsWith('src/cli/cmds/') && !p.startsWith('src/cli/cmds/run/') && p !== 'src/cli/cmds/install/capabilities.ts'), [], 'no other command module');
  t.same(ri.filter((p) => p.startsWith('src/aws/')), [], 'no src/aws module without aws/fallback config');
  t.notMatch(all, /@aws-sdk|@smithy/, 'no AWS SDK');
});

/**
 * The daemon's logger: pino JSON lines on stdout; under journald (stdout is
 * the stream JOURNAL_STREAM names) each line carries the syslog priority
 * prefix that journald strips, so `journalctl -p` filters by level.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';

const root = join(import.meta.dirname, '..', '..');

function logLines(journal: boolean): string[] {
  const script = `
    import { fstatSync } from 'node:fs';
    import { createLogger } from ${JSON.stringify(join(root, 'src/daemon/logger.ts'))};
    if (${journal}) { const st = fstatSync(1); process.env.JOURNAL_STREAM = st.dev + ':' + st.ino; }
    const log = createLogger('info');
    log.child({ peer: '10.0.1.230' }).warn({ state: 'Idle' }, 'peer down');
    log.debug('not shown');
    log.info('started');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

t.test('plain stdout: one JSON record per line, level as a label', async (t) => {
  const lines = logLines(false);
  t.equal(lines.length, 2);
  t.match(JSON.parse(lines[0] ?? '{}'), { level: 'warn', peer: '10.0.1.230', state: 'Idle', msg: 'peer down', name: 'bgp-sidecar', time: /^\d{4}-\d\d-\d\dT/ });
  t.match(JSON.parse(lines[1] ?? '{}'), { level: 'info', msg: 'started' });
});

t.test('journald stream: the same JSON behind the syslog priority', async (t) => {
  const lines = logLines(true);
  t.equal(lines.length, 2);
  t.match(lines[0], /^<4>\{/, 'warn -> priority 4 (warning)');
  t.match(lines[1], /^<6>\{/, 'info -> priority 6');
  t.match(JSON.parse((lines[0] ?? '').slice(3)), { level: 'warn', peer: '10.0.1.230', msg: 'peer down' });
});

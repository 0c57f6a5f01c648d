/**
 * journald-friendly log lines: the "<N>" syslog priority prefix journald
 * strips and uses as PRIORITY= (systemd.exec(5) SyslogLevelPrefix=), from a
 * real pino logger, and JOURNAL_STREAM detection.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { packageRoot } from '../../src/daemon/sdnotify.js';
import { formatJournalLine, isJournalStream, journalDestination, journalPriority, recordLevel } from '../../src/daemon/journal.js';

t.test('pino levels map to syslog priorities', async (t) => {
  t.same([10, 20, 30, 40, 50, 60].map(journalPriority), [7, 7, 6, 4, 3, 2]);
  t.same(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'bogus'].map(recordLevel), [10, 20, 30, 40, 50, 60, 30]);
});

t.test('text format: message first, fields as key=value, journald-owned fields dropped', async (t) => {
  const line = formatJournalLine(JSON.stringify({
    level: 'warn', time: '2026-01-01T00:00:00Z', pid: 7, hostname: 'fw1', name: 'bgp-sidecar',
    msg: 'peer down', peer: '10.0.1.10', state: 'Idle', reason: 'hold timer expired', code: 4, bfd: { up: false },
  }) + '\n');
  t.equal(line, '<4>peer down peer=10.0.1.10 state=Idle reason="hold timer expired" code=4 bfd={"up":false}\n');
  t.equal(formatJournalLine('{"level":30,"msg":"two\\nlines","err":"a\\nb"}'), '<6>two lines err="a\\nb"\n', 'one record = one journal line');
  t.equal(formatJournalLine('not json\nat all'), '<6>not json at all\n', 'foreign text passes through as info');
  t.equal(formatJournalLine('{"level":50,"msg":"x"}', 'json'), '<3>{"level":50,"msg":"x"}\n');
});

t.test('a real pino logger through journalDestination', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'out');
  const fd = openSync(file, 'w');
  const dest = journalDestination({ fd, sync: true });
  const log = pino({ level: 'debug', base: { pid: process.pid }, formatters: { level: (label) => ({ level: label }) } }, dest);
  log.child({ peer: '10.0.1.11' }).info({ state: 'Established' }, 'peer up');
  log.error({ err: 'boom' }, 'cannot start');
  log.debug('tick');
  dest.flushSync();
  closeSync(fd);
  t.equal(readFileSync(file, 'utf8'), '<6>peer up peer=10.0.1.11 state=Established\n<3>cannot start err=boom\n<7>tick\n');
});

t.test('JOURNAL_STREAM counts only when it names our stdout', async (t) => {
  t.equal(isJournalStream({}), false);
  t.equal(isJournalStream({ JOURNAL_STREAM: 'garbage' }), false);
  const dir = mkdtempSync(join(tmpdir(), 'bgp-sidecar-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fd = openSync(join(dir, 'f'), 'w');
  const st = fstatSync(fd);
  t.equal(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd), true);
  t.equal(isJournalStream({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }, fd), false, 'redirected elsewhere: not the journal');
  closeSync(fd);
  // Same check from a child whose stdout is the file, as systemd would set it up.
  const fd2 = openSync(join(dir, 'g'), 'w');
  const st2 = fstatSync(fd2);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e',
    "import('./src/daemon/journal.ts').then((j) => process.stderr.write(String(j.isJournalStream())))"], {
    env: { ...process.env, JOURNAL_STREAM: `${st2.dev}:${st2.ino}` },
    cwd: packageRoot(),
    stdio: ['ignore', fd2, 'pipe'],
    encoding: 'utf8',
    timeout: 30_000,
  });
  closeSync(fd2);
  t.equal(r.stderr.trim().split('\n').pop(), 'true', r.stderr);
});

import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { hooksSchema } from '../../src/config/health.js';
import { StateHooks, QUEUE_MAX } from '../../src/host/hooks.js';
import { loadSnsClient, snsSubject, type SnsLike } from '../../src/host/sns.js';

const dir = mkdtempSync(join(tmpdir(), 'bgpsc-hooks-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

// Real processes, servers and namespaces: more than tap's 30 s default on a loaded CI machine.
t.setTimeout(120_000);

t.test('command gets STATE, PREVIOUS, PREFIXES, REASON, HEALTH_STATE; runs in order', async (t) => {
  const out = join(dir, 'env.log');
  const cmd = script('notify.sh', `echo "$1 $STATE $PREVIOUS [$PREFIXES] $HEALTH_STATE $REASON" >> ${out}`);
  const hooks = new StateHooks({ config: hooksSchema.parse({ command: [cmd, 'arg1'], timeout: '2s' }) });
  const prefixes = ['172.16.1.1/32', '2001:db8::1/128'];
  hooks.onTransition({ verdict: 'up', previousVerdict: 'init', state: 'up', reason: 'check web up (status 200)' }, prefixes);
  hooks.onTransition({ verdict: 'up', previousVerdict: 'up', state: 'falling', reason: 'x' }, prefixes);
  hooks.onTransition({ verdict: 'down', previousVerdict: 'up', state: 'down', reason: 'check web down (status 503)' }, prefixes);
  await hooks.idle(5000);
  t.same(readFileSync(out, 'utf8').trim().split('\n'), [
    'arg1 up init [172.16.1.1/32 2001:db8::1/128] up check web up (status 200)',
    'arg1 down up [172.16.1.1/32 2001:db8::1/128] down check web down (status 503)',
  ], 'falling (no verdict change) ran nothing');
  t.match(hooks.status(), { enabled: true, queued: 0, dropped: 0, last: { state: 'down', command: { ok: true, detail: 'exit 0' } } });
});

t.test('a hanging hook is killed with its process group at the timeout; failures never throw', async (t) => {
  const pidFile = join(dir, 'hook.pid');
  const cmd = script('hang.sh', `sleep 600 & echo $! > ${pidFile}; wait`);
  const hooks = new StateHooks({ config: hooksSchema.parse({ command: [cmd], timeout: '300ms' }) });
  hooks.notify({ state: 'down', previous: 'up', prefixes: [], reason: 'r' });
  await hooks.idle(10_000);
  t.match(hooks.status().last, { command: { ok: false, detail: 'timeout after 300ms, process group killed' } });
  const pid = Number(readFileSync(pidFile, 'utf8'));
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    try { process.kill(pid, 0); alive = !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { alive = false; }
    if (alive) await new Promise((r) => setTimeout(r, 20));
  }
  t.notOk(alive, 'the hook child was killed');

  const missing = new StateHooks({ config: hooksSchema.parse({ command: [join(dir, 'nope')] }) });
  missing.notify({ state: 'down', previous: 'up', prefixes: [], reason: 'r' });
  await missing.idle(5000);
  t.match(missing.status().last, { command: { ok: false, detail: /cannot run: ENOENT/ } });
});

t.test('queue is bounded: the oldest waiting notifications are dropped', async (t) => {
  const gate = join(dir, 'gate');
  const cmd = script('slow.sh', `i=0; while [ ! -e ${gate} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`);
  const hooks = new StateHooks({ config: hooksSchema.parse({ command: [cmd], timeout: '20s' }) });
  for (let i = 0; i < QUEUE_MAX + 6; i++) hooks.notify({ state: `s${i}`, previous: 'p', prefixes: [], reason: 'r' });
  // the first one is running (not queued); QUEUE_MAX + 5 were queued, 5 dropped
  t.equal(hooks.status().dropped, 5);
  t.equal(hooks.status().queued, QUEUE_MAX);
  writeFileSync(gate, '');
  await hooks.idle(30_000);
  t.equal(hooks.status().last?.state, `s${QUEUE_MAX + 5}`, 'the newest one ran last');
});

t.test('SNS: published through the injected client, FIFO fields, timeout, load failure', async (t) => {
  const sent: Array<Record<string, unknown>> = [];
  let regionSeen: string | undefined;
  const fake: SnsLike = { publish: async (input) => { sent.push(input); return { MessageId: 'm-1' }; } };
  const hooks = new StateHooks({
    config: hooksSchema.parse({ 'sns-topic-arn': 'arn:aws:sns:eu-west-1:123456789012:bgp' }),
    snsFactory: async (region) => { regionSeen = region; return fake; },
  });
  hooks.notify({ state: 'maintenance', previous: 'up', prefixes: ['172.16.1.1/32'], reason: 'drain: patching', healthState: 'maintenance' });
  await hooks.idle(5000);
  t.equal(regionSeen, 'eu-west-1', 'region from the ARN');
  t.equal(sent.length, 1);
  t.equal(sent[0]?.['TopicArn'], 'arn:aws:sns:eu-west-1:123456789012:bgp');
  t.match(sent[0]?.['Subject'], /^bgp-sidecar .+: up -> maintenance$/);
  t.match(JSON.parse(String(sent[0]?.['Message'])), { source: 'bgp-sidecar', state: 'maintenance', previous: 'up', prefixes: ['172.16.1.1/32'], reason: 'drain: patching' });
  t.equal(sent[0]?.['MessageGroupId'], undefined);
  t.match(hooks.status().last, { sns: { ok: true, detail: 'published m-1' } });

  const fifo: Array<Record<string, unknown>> = [];
  const h2 = new StateHooks({
    config: hooksSchema.parse({ 'sns-topic-arn': 'arn:aws:sns:eu-west-1:123456789012:bgp.fifo', timeout: '200ms' }),
    snsFactory: async () => ({ publish: async (input, signal) => {
      fifo.push(input);
      if (fifo.length === 2) await new Promise((_r, rej) => signal.addEventListener('abort', () => rej(new Error('aborted'))));
      return {};
    } }),
  });
  h2.notify({ state: 'down', previous: 'up', prefixes: [], reason: 'r' });
  await h2.idle(5000);
  t.equal(fifo[0]?.['MessageGroupId'], 'bgp-sidecar');
  t.match(fifo[0]?.['MessageDeduplicationId'], /^[A-Za-z0-9_-]+$/);
  h2.notify({ state: 'up', previous: 'down', prefixes: [], reason: 'r' });
  await h2.idle(5000);
  t.match(h2.status().last, { sns: { ok: false, detail: 'timeout after 200ms' } });

  let loads = 0;
  const h3 = new StateHooks({
    config: hooksSchema.parse({ 'sns-topic-arn': 'arn:aws:sns:eu-west-1:123456789012:bgp' }),
    snsFactory: async () => { loads++; throw new Error('no credentials'); },
  });
  h3.notify({ state: 'down', previous: 'up', prefixes: [], reason: 'r' });
  h3.notify({ state: 'up', previous: 'down', prefixes: [], reason: 'r' });
  await h3.idle(5000);
  t.match(h3.status().last, { sns: { ok: false, detail: 'no credentials' } });
  t.equal(loads, 2, 'a failed load is retried at the next notification');
});

t.test('real loader: loads @aws-sdk/client-sns when installed, clear error otherwise', async (t) => {
  let installed = true;
  try { createRequire(import.meta.url).resolve('@aws-sdk/client-sns'); } catch { installed = false; }
  if (installed) {
    const c = await loadSnsClient('eu-west-1');
    t.type(c.publish, 'function');
    c.destroy?.();
  } else {
    await t.rejects(loadSnsClient('eu-west-1'), /hooks\.sns-topic-arn is set but @aws-sdk\/client-sns cannot be loaded .*npm install @aws-sdk\/client-sns/);
  }
});

t.test('no hooks configured: disabled, notify is a no-op', async (t) => {
  const hooks = new StateHooks({ config: hooksSchema.parse({}) });
  t.equal(hooks.enabled, false);
  hooks.notify({ state: 'up', previous: 'init', prefixes: [], reason: 'r' });
  t.same(hooks.status(), { enabled: false, queued: 0, dropped: 0 });
  t.ok(!existsSync(join(dir, 'never')));
});

t.test('subject is ASCII and at most 100 characters', async (t) => {
  const s = snsSubject({ state: 'up', previous: 'down', prefixes: [], reason: '', at: '' }, `h\u00e9${'x'.repeat(200)}`);
  t.ok(s.length <= 100);
  t.match(s, /^bgp-sidecar h\?x+\.\.\.$/);
});

t.test('run(): the daemon HookPort shape, prefixes from the options', async (t) => {
  const out = join(dir, 'run.log');
  const cmd = script('run.sh', `echo "$STATE $PREVIOUS [$PREFIXES] $HEALTH_STATE" >> ${out}`);
  const hooks = new StateHooks({ config: hooksSchema.parse({ command: [cmd] }), prefixes: ['172.16.1.1/32'] });
  await hooks.run({ verdict: 'maintenance', previous: 'up', reason: 'drain' });
  t.equal(readFileSync(out, 'utf8'), 'maintenance up [172.16.1.1/32] maintenance\n', 'resolved after the command ran');
});

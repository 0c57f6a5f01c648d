/**
 * sd_notify spoken for real: a stand-in daemon (fixtures/notify-harness.ts)
 * runs with NOTIFY_SOCKET pointing at a unix datagram socket this test owns,
 * the way systemd runs the unit. Checks READY after sessions start, watchdog
 * cadence, STOPPING on SIGTERM, RELOADING/READY on SIGHUP, a blocked event loop
 * stopping the pings, and the sender pid being the daemon's own (what
 * NotifyAccess=main requires).
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { createNotifier, parseNotification, watchdogFromEnv } from '../../src/daemon/sdnotify.js';
import { ensureNative, NotifyReceiver, ROOT } from './helpers/native.js';

const native = ensureNative();
const HARNESS = join(ROOT, 'test', 'systemd', 'fixtures', 'notify-harness.ts');

interface Harness {
  child: ChildProcess;
  events: Array<{ event: string; t: number; [k: string]: unknown }>;
  waitEvent(name: string, timeoutMs: number): Promise<{ event: string; at: number; [k: string]: unknown }>;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
// tap ends a test that runs over its timeout with SIGTERM: 'exit' handlers do not run then.
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  });
}

function startHarness(t: Test, env: NodeJS.ProcessEnv): Harness {
  const child = spawn(process.execPath, ['--import', 'tsx', HARNESS], {
    cwd: ROOT,
    env: { ...process.env, NOTIFY_SOCKET: undefined, WATCHDOG_USEC: undefined, WATCHDOG_PID: undefined, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  const events: Harness['events'] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push({ ...(JSON.parse(line) as { event: string; t: number }), at: performance.now() });
    } catch {
      events.push({ event: 'raw', t: 0, line });
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const waitEvent = async (name: string, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = events.find((e) => e.event === name);
      if (hit) return hit as unknown as { event: string; at: number };
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`harness never said ${name}; events: ${JSON.stringify(events)}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, Math.min(left, 50));
        waiters.push(() => { clearTimeout(timer); r(); });
      });
    }
  };
  return { child, events, waitEvent, exited };
}

t.test('READY after sessions start, watchdog pings at half WatchdogSec, STOPPING on SIGTERM', async (t) => {
  const rx = new NotifyReceiver(native);
  t.teardown(() => rx.close());
  const h = startHarness(t, { NOTIFY_SOCKET: rx.address, WATCHDOG_USEC: '1000000', HARNESS_START_MS: '300' });

  const started = await h.waitEvent('started', 15_000);
  t.equal(started.enabled, true, 'notifier enabled by NOTIFY_SOCKET');
  t.equal(started.watchdogUsec, 1000000);
  t.equal(started.periodMs, 500, 'ping period is half of WATCHDOG_USEC');
  t.same(started.envLeft, [], 'NOTIFY_SOCKET/WATCHDOG_* removed from the environment children inherit');

  const ready = await rx.waitFor('READY', '1', 10_000);
  const sessions = await h.waitEvent('sessions-started', 1000);
  t.equal(ready.fields.get('STATUS'), 'sessions started');
  t.equal(ready.pid, h.child.pid, 'datagram comes from the daemon process itself (NotifyAccess=main)');
  // READY was sent after the sessions were started: the harness wrote its line first.
  const firstPingBeforeReady = rx.having('WATCHDOG', '1').filter((m) => m.at <= ready.at).length;
  t.ok(firstPingBeforeReady >= 1, 'watchdog pings start before READY (start-up is covered too)');
  t.ok(sessions.t !== undefined, 'sessions started before READY');

  // Let ~3 s of pings accumulate, then look at the gaps.
  const from = ready.at;
  await new Promise((r) => setTimeout(r, 3000));
  rx.drain();
  const pings = rx.having('WATCHDOG', '1').filter((m) => m.at >= from);
  t.ok(pings.length >= 4, `several pings in 3 s at a 500 ms period (got ${pings.length})`);
  const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
  // The contract is "never a gap of WatchdogSec (1000 ms)"; half of it is the margin for a loaded machine.
  t.ok(gaps.every((g) => g < 1000), `every gap below WatchdogSec: ${gaps.map((g) => g.toFixed(0)).join(',')}`);
  t.ok(pings.every((p) => p.pid === h.child.pid), 'pings from the daemon pid');

  h.child.kill('SIGTERM');
  const stopping = await rx.waitFor('STOPPING', '1', 5000);
  t.equal(stopping.fields.get('STATUS'), 'draining');
  t.equal(await h.exited, 0, 'clean exit after the drain');
});

t.test('a blocked event loop stops the pings; they resume when it unblocks', async (t) => {
  const rx = new NotifyReceiver(native);
  t.teardown(() => rx.close());
  const h = startHarness(t, { NOTIFY_SOCKET: rx.address, WATCHDOG_USEC: '200000', HARNESS_START_MS: '10' });
  await rx.waitFor('READY', '1', 15_000);
  await rx.waitFor('WATCHDOG', '1', 2000, performance.now());

  h.child.stdin!.write('block 2000\n');
  const blocking = await h.waitEvent('blocking', 5000);
  const unblocked = await h.waitEvent('unblocked', 10_000);
  const after = await rx.waitFor('WATCHDOG', '1', 3000, unblocked.at);
  t.ok(after, 'pings resume after the loop unblocks');
  // Receipt times are the test's: leave 500 ms at each end for a slow reader.
  const during = rx.having('WATCHDOG', '1').filter((m) => m.at > blocking.at + 500 && m.at < unblocked.at - 500);
  t.equal(during.length, 0, 'no ping while the loop was blocked');
  const all = rx.having('WATCHDOG', '1').map((m) => m.at);
  const maxGap = Math.max(...all.slice(1).map((a, i) => a - all[i]!));
  t.ok(maxGap >= 1500, `the longest gap covers the block (${maxGap.toFixed(0)} ms >= 1500), so systemd with WatchdogSec=200ms would restart it`);
  // The log line travels over stdout, the ping over the datagram socket: wait (bounded) for the line.
  let stall: (typeof h.events)[number] | undefined;
  for (let i = 0; i < 100 && !stall; i++) {
    // Only a stall logged after the block began: a loaded machine may log shorter stalls earlier.
    stall = h.events.find((e) => e.event === 'log-warn' && e.msg === 'event loop stalled' && Number(e.at) >= blocking.at);
    if (!stall) await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(stall, 'the stall is logged after the fact');
  t.ok(Number((stall?.o as { lagMs?: number } | undefined)?.lagMs) >= 1000, 'with the length of the stall');

  h.child.kill('SIGTERM');
  await rx.waitFor('STOPPING', '1', 5000);
  t.equal(await h.exited, 0);
});

t.test('SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1', async (t) => {
  const rx = new NotifyReceiver(native);
  t.teardown(() => rx.close());
  const h = startHarness(t, { NOTIFY_SOCKET: rx.address, HARNESS_START_MS: '10' });
  const started = await h.waitEvent('started', 15_000);
  t.equal(started.watchdogUsec, null, 'no WATCHDOG_USEC: watchdog off');
  const ready = await rx.waitFor('READY', '1', 10_000);
  h.child.kill('SIGHUP');
  const reloading = await rx.waitFor('RELOADING', '1', 5000);
  t.match(reloading.fields.get('MONOTONIC_USEC'), /^\d+$/);
  const again = await rx.waitFor('READY', '1', 5000, reloading.at);
  t.ok(again.at >= reloading.at && again !== ready, 'READY again after the reload');
  t.equal(rx.having('WATCHDOG').length, 0, 'no pings when systemd armed no watchdog');
  h.child.kill('SIGTERM');
  t.equal(await h.exited, 0);
});

t.test('WATCHDOG_PID naming another process disarms the watchdog (sd_watchdog_enabled)', async (t) => {
  const rx = new NotifyReceiver(native);
  t.teardown(() => rx.close());
  const h = startHarness(t, { NOTIFY_SOCKET: rx.address, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1', HARNESS_START_MS: '10' });
  const started = await h.waitEvent('started', 15_000);
  t.equal(started.watchdogUsec, null);
  await rx.waitFor('READY', '1', 10_000);
  await new Promise((r) => setTimeout(r, 400));
  rx.drain();
  t.equal(rx.having('WATCHDOG').length, 0);
  h.child.kill('SIGTERM');
  await h.exited;
});

t.test('abstract and path sockets interoperate with systemd\'s own tools', async (t) => {
  const rx = new NotifyReceiver(native);
  t.teardown(() => rx.close());
  const notifyBin = spawnSync('systemd-notify', ['--version'], { encoding: 'utf8' });
  if (notifyBin.error) {
    if (process.env.CI) t.fail('systemd-notify missing (apt package systemd)');
    else t.comment('skip: systemd-notify not installed');
  } else {
    // systemd's own sender (libsystemd sd_pid_notify) addressing our abstract socket.
    const r = spawnSync('systemd-notify', ['--no-block', '--status=from systemd-notify', 'X_TEST=1'], {
      env: { ...process.env, NOTIFY_SOCKET: rx.address },
      encoding: 'utf8',
      timeout: 10_000,
    });
    t.equal(r.status, 0, `systemd-notify exit: ${r.stderr}`);
    const m = await rx.waitFor('X_TEST', '1', 3000);
    t.equal(m.fields.get('STATUS'), 'from systemd-notify', 'libsystemd reaches our @abstract address: same addressing');
  }

  // And an independent receiver for our sender: Python binds "\0name" with the exact length, as systemd does.
  const py = spawnSync('python3', ['-c', 'import sys; sys.exit(0)']);
  if (py.error || py.status !== 0) {
    t.comment('skip: python3 not available for the independent receiver check');
  } else {
    const name = `bgp-sidecar-py-${process.pid}`;
    const script = [
      'import socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      `s.bind("\\0${name}")`,
      's.settimeout(10)',
      'print("bound", flush=True)',
      'print(s.recv(4096).decode(), end="", flush=True)',
    ].join('\n');
    const pyChild = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => pyChild.kill('SIGKILL'));
    let out = '';
    pyChild.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 500 && !out.includes('bound'); i++) await new Promise((r) => setTimeout(r, 10));
    const n = createNotifier({ env: { NOTIFY_SOCKET: `@${name}` } });
    t.ok(n.ready('py'), 'sent');
    const code = await new Promise<number | null>((r) => pyChild.on('exit', r));
    t.equal(code, 0);
    t.equal(out.replace(/^bound\n/, ''), 'READY=1\nSTATUS=py\n', 'exact datagram on the wire');
  }
});

t.test('notifier without NOTIFY_SOCKET is a no-op; bad values are refused', async (t) => {
  const env: NodeJS.ProcessEnv = {};
  const n = createNotifier({ env });
  t.equal(n.enabled, false);
  t.equal(n.ready(), false);
  t.equal(n.watchdog(), false);

  const sent: string[] = [];
  const transport = { send: (_p: string, b: Buffer) => { sent.push(b.toString()); return b.length; } };
  const rel = createNotifier({ env: { NOTIFY_SOCKET: 'relative/path' }, transport });
  t.equal(rel.enabled, false, 'relative NOTIFY_SOCKET refused (sd_notify accepts only / and @)');

  const e2: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '5000000', WATCHDOG_PID: String(process.pid) };
  const ok = createNotifier({ env: e2, transport });
  t.equal(ok.watchdogUsec, 5_000_000);
  t.same(Object.keys(e2), [], 'environment unset after reading');
  ok.status('line one\nREADY=1');
  t.same(sent, ['STATUS=line one READY=1\n'], 'a newline in a value cannot smuggle a second assignment');
  ok.extendTimeout(1500);
  t.equal(sent[1], 'EXTEND_TIMEOUT_USEC=1500000\n');

  // Send errors are reported once per kind, never thrown to the caller.
  const errors: object[] = [];
  const failing = createNotifier({
    env: { NOTIFY_SOCKET: '/run/x' },
    transport: { send: () => { throw Object.assign(new Error('sendmsg: Connection refused'), { code: 'ECONNREFUSED' }); } },
    logger: { debug: () => undefined, warn: () => undefined, error: (o) => errors.push(o) },
  });
  t.equal(failing.watchdog(), false);
  t.equal(failing.watchdog(), false);
  t.equal(errors.length, 1, 'logged once');

  const real = createNotifier({ env: { NOTIFY_SOCKET: `@bgp-sidecar-nobody-${process.pid}` }, logger: { debug: () => undefined, warn: () => undefined, error: () => undefined } });
  t.equal(real.ready(), false, 'nobody listening: ECONNREFUSED is returned as false, not thrown');
});

t.test('watchdogFromEnv follows sd_watchdog_enabled(3)', async (t) => {
  t.equal(watchdogFromEnv({}), undefined);
  t.equal(watchdogFromEnv({ WATCHDOG_USEC: '0' }), undefined);
  t.equal(watchdogFromEnv({ WATCHDOG_USEC: '-5' }), undefined);
  t.equal(watchdogFromEnv({ WATCHDOG_USEC: '10s' }), undefined);
  t.equal(watchdogFromEnv({ WATCHDOG_USEC: '10000000' }), 10_000_000);
  t.equal(watchdogFromEnv({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '42' }, 42), 10_000_000);
  t.equal(watchdogFromEnv({ WATCHDOG_USEC: '10000000', WATCHDOG_PID: '43' }, 42), undefined);
  t.same([...parseNotification('READY=1\nSTATUS=a=b\n\nbogus\n')], [['READY', '1'], ['STATUS', 'a=b']]);
});

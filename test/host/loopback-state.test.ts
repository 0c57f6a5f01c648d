/**
 * Loopback ownership across crashes: the state file lists the addresses we added,
 * so a restart after a crash removes them instead of taking them for the
 * operator's. `ip` is an in-memory fake (test/host/lib/fake-ip.ts) injected as
 * runIp; the state file is real, in a temporary directory.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { loopbackStateFile, realComponents } from '../../src/daemon/components.js';
import { parseConfigText } from '../../src/config/load.js';
import { LoopbackManager, type LoopbackState } from '../../src/host/loopback.js';
import { FakeIp } from './lib/fake-ip.js';

function dir(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'bgp-sidecar-lostate-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function capture() {
  const logs: { event?: string; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void logs.push(JSON.parse(l) as { event?: string; msg: string }) });
  return { logs, logger };
}

const readState = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as LoopbackState;

t.test('after a crash, the addresses the previous run added are ours; the operator\'s stay', async (t) => {
  const stateFile = join(dir(t), 'loopback.json');
  const ip = new FakeIp('lo', ['127.0.0.1/8', '198.51.100.9/32']);
  const first = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile });
  await first.start();
  t.same(await first.ensure(['172.16.1.1/32', '2001:db8::1/128']), []);
  t.same(readState(stateFile), { version: 1, interface: 'lo', added: ['172.16.1.1/32', '2001:db8::1/128'] }, 'recorded');
  // The first run dies here (SIGKILL, OOM): nothing removed.

  const second = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile });
  await second.start();
  const st = second.status();
  t.same(st.preexisting, ['198.51.100.9/32'], 'only the operator\'s address is pre-existing');
  t.same(st.added.sort(), ['172.16.1.1/32', '2001:db8::1/128'], 'the crashed run\'s addresses are ours');
  t.same(st.inherited.sort(), ['172.16.1.1/32', '2001:db8::1/128']);
  t.equal(st.stateFile, stateFile);

  await second.release(['172.16.1.1/32', '198.51.100.9/32']);
  t.notOk(ip.addrs.has('172.16.1.1/32'), 'an inherited address is removed when its prefix is withdrawn');
  t.ok(ip.addrs.has('198.51.100.9/32'), 'the operator\'s is not');
  t.same(readState(stateFile).added, ['2001:db8::1/128']);
  await second.releaseAll();
  t.notOk(ip.addrs.has('2001:db8::1/128'), 'and the rest at stop');
  t.same(readState(stateFile).added, [], 'the file says we hold nothing');
  t.same([...ip.addrs].sort(), ['127.0.0.1/8', '198.51.100.9/32']);
});

t.test('an inherited address whose prefix left the config is removed at start; current ones and the operator\'s stay', async (t) => {
  const stateFile = join(dir(t), 'loopback.json');
  const ip = new FakeIp('lo', ['198.51.100.9/32']);
  const first = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile });
  t.same(await first.ensure(['172.16.1.1/32', '172.16.1.2/32']), []);
  // Crash; the config now has only 172.16.1.1/32 (and lists the operator's address too).
  const second = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile });
  await second.start();
  t.same(await second.releaseInheritedExcept(['172.16.1.1/32', '198.51.100.9/32']), ['172.16.1.2/32']);
  t.same([...ip.addrs].sort(), ['172.16.1.1/32', '198.51.100.9/32']);
  t.same(second.status().added, ['172.16.1.1/32'], 'the current one is still ours');
  t.same(readState(stateFile).added, ['172.16.1.1/32']);
  t.same(await second.releaseInheritedExcept([]), ['172.16.1.1/32'], 'addresses added by a previous run only');
  t.ok(ip.addrs.has('198.51.100.9/32'), 'never the operator\'s');
});

t.test('without a state file the old behaviour stays: what is there at start is never removed', async (t) => {
  const ip = new FakeIp('lo', ['172.16.1.1/32']);
  const lo = new LoopbackManager({ interface: 'lo', runIp: ip.run });
  await lo.start();
  await lo.releaseAll();
  await lo.release(['172.16.1.1/32']);
  t.ok(ip.addrs.has('172.16.1.1/32'));
  t.same(lo.status().inherited, []);
});

t.test('written before ip addr add, rewritten after ip addr del, atomically', async (t) => {
  const d = dir(t);
  const stateFile = join(d, 'loopback.json');
  const ip = new FakeIp('lo');
  const seen: string[] = [];
  ip.onCall = (argv) => {
    if (argv[0] === 'addr') seen.push(`${argv[1]} ${argv[2]}: file has ${existsSync(stateFile) ? readState(stateFile).added.join(',') : '(none)'}`);
  };
  const lo = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile });
  await lo.ensure(['172.16.1.1/32']);
  await lo.release(['172.16.1.1/32']);
  t.same(seen, ['add 172.16.1.1/32: file has 172.16.1.1/32', 'del 172.16.1.1/32: file has 172.16.1.1/32'],
    'a crash right after the add still finds the address listed');
  t.same(readState(stateFile).added, []);
  t.same(readdirSync(d), ['loopback.json'], 'no temporary file left');
  t.equal(statSync(stateFile).mode & 0o777, 0o640);
});

t.test('a failed add is taken off the list; one that raced with someone else is not ours', async (t) => {
  const stateFile = join(dir(t), 'loopback.json');
  const ip = new FakeIp('lo');
  ip.failing.add('172.16.1.1/32');
  const lo = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile });
  t.same(await lo.ensure(['172.16.1.1/32']), ['172.16.1.1/32']);
  t.same(readState(stateFile).added, []);

  const raced = new FakeIp('lo');
  const lo2 = new LoopbackManager({ interface: 'lo', runIp: raced.run, stateFile });
  await lo2.start();
  raced.onCall = (argv) => {
    if (argv[0] === 'addr' && argv[1] === 'add') raced.addrs.add('172.16.1.2/32'); // the operator got there first: "File exists"
  };
  t.same(await lo2.ensure(['172.16.1.2/32']), []);
  t.same(lo2.status().added, []);
  t.same(readState(stateFile).added, []);
});

t.test('listed but absent at start: forgotten; another interface, damaged or hostile content: not trusted', async (t) => {
  const d = dir(t);
  const stateFile = join(d, 'loopback.json');
  const ip = new FakeIp('lo', ['172.16.1.1/32', '172.16.1.2/32']);

  writeFileSync(stateFile, JSON.stringify({ version: 1, interface: 'lo', added: ['172.16.1.1/32', '172.16.1.3/32'] }));
  const a = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile });
  await a.start();
  t.same(a.status().added, ['172.16.1.1/32']);
  t.same(a.status().preexisting, ['172.16.1.2/32']);
  t.same(readState(stateFile).added, ['172.16.1.1/32'], 'the absent one is dropped from the file');

  writeFileSync(stateFile, JSON.stringify({ version: 1, interface: 'dummy0', added: ['172.16.1.1/32'] }));
  const c1 = capture();
  const b = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile, logger: c1.logger });
  await b.start();
  t.same(b.status().added, [], 'a file for another interface claims nothing here');
  t.ok(c1.logs.some((l) => l.event === 'state-other-interface'));

  for (const [what, text] of [
    ['not JSON', '{"version":1,'],
    ['unknown version', JSON.stringify({ version: 2, interface: 'lo', added: ['172.16.1.1/32'] })],
    ['not a list', JSON.stringify({ version: 1, interface: 'lo', added: '172.16.1.1/32' })],
    ['null', 'null'],
  ] as const) {
    writeFileSync(stateFile, text);
    const c = capture();
    const m = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile, logger: c.logger });
    await m.start();
    t.same(m.status().added, [], `${what}: nothing claimed`);
    t.ok(c.logs.some((l) => l.event === 'state-damaged'), `${what}: warned`);
  }

  writeFileSync(stateFile, JSON.stringify({ version: 1, interface: 'lo', added: ['172.16.1.1/32', '172.16.1.0/24', '; ip link del lo', 42, '172.016.1.2/32', '172.16.1.2/32'] }));
  const c2 = capture();
  const h = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile, logger: c2.logger });
  await h.start();
  t.same(h.status().added.sort(), ['172.16.1.1/32', '172.16.1.2/32'], 'only canonical host addresses are taken');
  t.equal(c2.logs.filter((l) => l.event === 'state-entry-ignored').length, 4);
});

t.test('an unwritable state file (directory in its place) is logged and does not stop the loopback', async (t) => {
  const d = dir(t);
  const stateFile = join(d, 'loopback.json');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(stateFile);
  writeFileSync(join(stateFile, 'x'), 'x'); // rename(2) over a non-empty directory fails, even for root
  const ip = new FakeIp('lo');
  const c = capture();
  const lo = new LoopbackManager({ interface: 'lo', runIp: ip.run, stateFile, logger: c.logger });
  t.same(await lo.ensure(['172.16.1.1/32']), []);
  t.ok(ip.addrs.has('172.16.1.1/32'));
  t.ok(c.logs.some((l) => l.event === 'state-write-failed'));
  t.ok(c.logs.some((l) => l.event === 'state-unreadable'), 'reading a directory is reported too');
  t.same(readdirSync(d).sort(), ['loopback.json'], 'no temporary file left');
});

t.test('the daemon keeps the state file next to the control socket', async (t) => {
  const cfg = parseConfigText('local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers: [{ address: 10.0.1.230, asn: 65000 }]\nloopback: { manage: true }\ncontrol: { socket: /run/x/control.sock }\n', { format: 'yaml' }).config;
  t.equal(loopbackStateFile(cfg), '/run/x/loopback.json');
  const def = parseConfigText('local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers: [{ address: 10.0.1.230, asn: 65000 }]\n', { format: 'yaml' }).config;
  t.equal(loopbackStateFile(def), '/run/bgp-sidecar/loopback.json');
  const lo = realComponents().createLoopback!(cfg, pino({ level: 'silent' }));
  t.equal(lo.status().stateFile, '/run/x/loopback.json', 'the real component is built with it');
});

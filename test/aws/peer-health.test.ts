import t from 'tap';
import { createServer } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { httpProbe, PeerHealth } from '../../src/aws/peer-health.js';
import { ManualClock } from '../../src/util/clock.js';
import { captureLogger } from './fixtures.js';

t.test('rise and fall', async (t) => {
  const seen: boolean[] = [];
  const { logger } = captureLogger();
  const p = new PeerHealth(async () => ({ ok: true, detail: '' }), { intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3 }, new ManualClock(), logger, (h) => seen.push(h));
  p.record(true, 'a');
  t.equal(p.state, undefined, 'unknown until rise');
  p.record(true, 'b');
  t.equal(p.state, true);
  p.record(false, 'x');
  p.record(false, 'x');
  t.equal(p.state, true, 'two failures < fall');
  p.record(true, 'ok');
  p.record(false, 'x');
  p.record(false, 'x');
  p.record(false, 'x');
  t.equal(p.state, false);
  t.same(seen, [true, false]);
});

t.test('http probe: peer sidecar metrics, JSON state, plain 2xx, errors', async (t) => {
  let body = '';
  let type = 'text/plain';
  let status = 200;
  const srv = createServer((_q, r) => r.writeHead(status, { 'content-type': type }).end(body));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const probe = httpProbe(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/metrics`, 500);
  const sig = new AbortController().signal;
  body = '# HELP bgp_sidecar_verdict x\nbgp_sidecar_verdict{verdict="init"} 0\nbgp_sidecar_verdict{verdict="up"} 1\nbgp_sidecar_verdict{verdict="down"} 0\n';
  t.same(await probe(sig), { ok: true, detail: 'verdict up' });
  body = 'bgp_sidecar_verdict{verdict="up"} 0\nbgp_sidecar_verdict{verdict="maintenance"} 1\n';
  t.same(await probe(sig), { ok: false, detail: 'verdict maintenance' });
  type = 'application/json';
  body = '{"state":"up"}';
  t.same(await probe(sig), { ok: true, detail: 'state up' });
  body = '{"state":"down"}';
  t.equal((await probe(sig)).ok, false);
  body = '{not json';
  t.same(await probe(sig), { ok: false, detail: 'invalid JSON' });
  type = 'text/plain';
  body = 'OK';
  t.equal((await probe(sig)).ok, true);
  status = 503;
  t.same(await probe(sig), { ok: false, detail: 'HTTP 503' });
});

t.test('SDK clients are only imported dynamically (start-up stays fast without them)', async (t) => {
  const dirs = ['src/aws', 'src/config', 'src/daemon', 'src/cli'];
  const offenders: string[] = [];
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${d}/${e.name}`) : e.name.endsWith('.ts') ? [`${d}/${e.name}`] : []));
  for (const f of dirs.flatMap(walk)) {
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*import\s+(?!type\b)[^;]*?from\s+'(@aws-sdk\/[^']+)'/gm)) offenders.push(`${f}: ${m[1]}`);
  }
  t.same(offenders, [], 'no static value import of @aws-sdk/*');
});

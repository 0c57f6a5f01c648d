import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discoverIdentity, ImdsClient } from '../../src/aws/imds.js';
import { startFakeImds } from './fake/imds.js';

const ID = { instanceId: 'i-0123456789abcdef0', region: 'eu-west-1', zone: 'eu-west-1b', mac: '0a:1b:2c:3d:4e:5f', eni: 'eni-0123456789abcdef0', privateIp: '10.10.2.15' };

t.test('IMDSv2: token PUT first, then GETs carrying it', async (t) => {
  const imds = await startFakeImds(ID);
  t.teardown(() => imds.close());
  const id = await discoverIdentity(new ImdsClient({ endpoint: imds.url }), {}, ['instanceId', 'region', 'zone', 'eni', 'privateIp']);
  t.same(id, ID);
  t.same(imds.requests[0], { method: 'PUT', path: '/latest/api/token', token: false });
  t.ok(imds.requests.slice(1).every((r) => r.method === 'GET' && r.token), 'every GET carries the token');
  t.equal(imds.requests.filter((r) => r.method === 'PUT').length, 1, 'token reused');
});

t.test('fields the config gives are not fetched; nothing needed: no request', async (t) => {
  const imds = await startFakeImds(ID);
  t.teardown(() => imds.close());
  const c = new ImdsClient({ endpoint: imds.url });
  const id = await discoverIdentity(c, { region: 'us-east-1', eni: 'eni-0fffffffffffffff0' }, ['region', 'eni']);
  t.same(id, { region: 'us-east-1', eni: 'eni-0fffffffffffffff0' });
  t.equal(imds.requests.length, 0);
  const id2 = await discoverIdentity(c, { region: 'us-east-1' }, ['region', 'privateIp']);
  t.equal(id2.privateIp, ID.privateIp);
  t.notOk(imds.requests.some((r) => r.path.includes('placement')), 'region not fetched');
});

t.test('an expired token is renewed once', async (t) => {
  const imds = await startFakeImds(ID);
  t.teardown(() => imds.close());
  const c = new ImdsClient({ endpoint: imds.url });
  t.equal(await c.get('instance-id'), ID.instanceId);
  imds.expireTokens();
  t.equal(await c.get('local-ipv4'), ID.privateIp);
  t.equal(imds.requests.filter((r) => r.method === 'PUT').length, 2);
});

t.test('hostile or missing answers are clear errors', async (t) => {
  const imds = await startFakeImds(ID);
  t.teardown(() => imds.close());
  imds.data.set('mac', 'not-a-mac');
  await t.rejects(discoverIdentity(new ImdsClient({ endpoint: imds.url }), {}, ['eni']), /IMDS mac: unexpected value "not-a-mac"/);
  imds.data.delete('placement/region');
  await t.rejects(discoverIdentity(new ImdsClient({ endpoint: imds.url }), {}, ['region']), /IMDS GET \/latest\/meta-data\/placement\/region: HTTP 404/);
});

t.test('IMDSv1-only or no IMDS: token refused / no answer', async (t) => {
  const srv = createServer((req, res) => res.writeHead(req.method === 'PUT' ? 403 : 200).end('x'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  await t.rejects(new ImdsClient({ endpoint: url }).get('instance-id'), /token refused/);
  const silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { silent.closeAllConnections(); silent.close(() => r()); }));
  const url2 = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  await t.rejects(new ImdsClient({ endpoint: url2, timeoutMs: 200 }).get('instance-id'), /no answer .* within 200 ms/);
});

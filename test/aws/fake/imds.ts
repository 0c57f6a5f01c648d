/**
 * A fake IMDSv2 on loopback: PUT /latest/api/token with a TTL header gives a
 * token; GETs below /latest/meta-data/ need it (401 otherwise, as IMDSv2 in
 * "required" mode). Records every request.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeImds {
  url: string;
  requests: { method: string; path: string; token: boolean }[];
  /** Path below /latest/meta-data/ -> value. */
  data: Map<string, string>;
  /** Invalidate issued tokens (the next GET gets 401). */
  expireTokens(): void;
  close(): Promise<void>;
}

export async function startFakeImds(identity: { instanceId: string; region: string; zone: string; mac: string; eni: string; privateIp: string }): Promise<FakeImds> {
  const tokens = new Set<string>();
  const requests: FakeImds['requests'] = [];
  const data = new Map<string, string>([
    ['instance-id', identity.instanceId],
    ['placement/region', identity.region],
    ['placement/availability-zone', identity.zone],
    ['mac', identity.mac],
    [`network/interfaces/macs/${identity.mac}/interface-id`, identity.eni],
    ['local-ipv4', identity.privateIp],
  ]);
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const token = req.headers['x-aws-ec2-metadata-token'];
    requests.push({ method: req.method ?? '?', path, token: typeof token === 'string' });
    if (req.method === 'PUT' && path === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) {
        res.writeHead(400).end();
        return;
      }
      const t = randomBytes(24).toString('base64url');
      tokens.add(t);
      res.writeHead(200, { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) }).end(t);
      return;
    }
    if (req.method === 'GET' && path.startsWith('/latest/meta-data/')) {
      if (typeof token !== 'string' || !tokens.has(token)) {
        res.writeHead(401).end();
        return;
      }
      const v = data.get(path.slice('/latest/meta-data/'.length));
      if (v === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(v);
      return;
    }
    res.writeHead(405).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    data,
    expireTokens: () => tokens.clear(),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

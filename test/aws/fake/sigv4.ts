/**
 * A small, independent AWS Signature Version 4 verifier for the fake
 * endpoint: the fake recomputes the signature from the request it received,
 * so a test passes only if the real SDK signed what it sent.
 * (Canonical request and key derivation as in the SigV4 documentation.)
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

export interface SigV4Result {
  ok: boolean;
  reason?: string;
  accessKeyId?: string;
  region?: string;
  service?: string;
}

function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function verifySigV4(req: IncomingMessage, body: Buffer, secrets: ReadonlyMap<string, string>): SigV4Result {
  const auth = req.headers.authorization;
  if (!auth) return { ok: false, reason: 'no Authorization header' };
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, reason: `malformed Authorization: ${auth.slice(0, 80)}` };
  const [, akid = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] = m;
  const secret = secrets.get(akid);
  if (secret === undefined) return { ok: false, reason: `unknown access key ${akid}`, accessKeyId: akid };
  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(date)) return { ok: false, reason: 'x-amz-date missing or not matching the credential scope' };
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname.split('/').map((seg) => uriEncode(decodeURIComponent(seg))).join('/') || '/';
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonHeaders = names
    .map((n) => {
      const v = req.headers[n];
      const text = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${n}:${String(text).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash = typeof req.headers['x-amz-content-sha256'] === 'string' ? req.headers['x-amz-content-sha256'] : sha256(body);
  if (payloadHash !== sha256(body) && payloadHash !== 'UNSIGNED-PAYLOAD') return { ok: false, reason: 'x-amz-content-sha256 does not match the body' };
  const canonical = [req.method ?? 'POST', path, query, canonHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', kSigning).update(toSign).digest('hex');
  if (expected !== signature) return { ok: false, reason: 'signature does not match', accessKeyId: akid, region, service };
  return { ok: true, accessKeyId: akid, region, service };
}

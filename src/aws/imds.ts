/**
 * IMDSv2: a session token by PUT, then GETs that carry it. Only what the
 * fallback needs: instance id, zone, region, primary ENI and private IP.
 * IMDSv1 (token-less GETs) is never used.
 */
import { isIPv4 } from 'node:net';

export interface InstanceIdentity {
  instanceId: string;
  region: string;
  zone: string;
  eni: string;
  privateIp: string;
  mac: string;
}

export class ImdsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImdsError';
  }
}

export interface ImdsOptions {
  /** Base URL, default http://169.254.169.254. */
  endpoint: string;
  /** Per request. IMDS answers in a few ms; a long wait means we are not on EC2. */
  timeoutMs?: number;
  /** Token lifetime requested in the PUT (seconds). */
  tokenTtlSeconds?: number;
}

export class ImdsClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly ttl: number;
  private token: { value: string; expires: number } | undefined;

  constructor(o: ImdsOptions) {
    this.endpoint = o.endpoint.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 1000;
    this.ttl = o.tokenTtlSeconds ?? 21600;
  }

  private async request(method: 'PUT' | 'GET', path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const url = `${this.endpoint}${path}`;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error' });
    } catch (err) {
      throw new ImdsError(`IMDS ${method} ${path}: no answer from ${this.endpoint} within ${this.timeoutMs} ms (not on EC2, or the hop limit is too low): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const body = await res.text();
    if (body.length > 65536) throw new ImdsError(`IMDS ${method} ${path}: answer too long (${body.length} bytes)`);
    return { status: res.status, body };
  }

  private async getToken(): Promise<string> {
    const now = Date.now();
    if (this.token && this.token.expires > now + 60_000) return this.token.value;
    const r = await this.request('PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': String(this.ttl) });
    if (r.status !== 200) throw new ImdsError(`IMDS PUT /latest/api/token: HTTP ${r.status} (IMDSv2 token refused)`);
    const value = r.body.trim();
    if (!value || /\s/.test(value)) throw new ImdsError('IMDS PUT /latest/api/token: empty or malformed token');
    this.token = { value, expires: now + this.ttl * 1000 };
    return value;
  }

  /** GET a metadata path (below /latest/meta-data/); one retry with a fresh token on 401. */
  async get(path: string): Promise<string> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.getToken();
      const r = await this.request('GET', `/latest/meta-data/${path}`, { 'X-aws-ec2-metadata-token': token });
      if (r.status === 200) return r.body.trim();
      if (r.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      throw new ImdsError(`IMDS GET /latest/meta-data/${path}: HTTP ${r.status}`);
    }
    throw new ImdsError(`IMDS GET /latest/meta-data/${path}: token rejected twice`);
  }
}

function check(path: string, v: string, re: RegExp | ((s: string) => boolean)): string {
  const ok = typeof re === 'function' ? re(v) : re.test(v);
  if (!ok) throw new ImdsError(`IMDS ${path}: unexpected value ${JSON.stringify(v.slice(0, 80))}`);
  return v;
}

/**
 * Discover what the config leaves out. Fields already known are not fetched,
 * so a fully specified config never touches IMDS.
 */
export async function discoverIdentity(
  imds: ImdsClient,
  known: Partial<Omit<InstanceIdentity, 'mac'>>,
  need: ReadonlyArray<keyof Omit<InstanceIdentity, 'mac'>>,
): Promise<Partial<InstanceIdentity>> {
  const out: Partial<InstanceIdentity> = { ...known };
  const missing = need.filter((k) => out[k] === undefined);
  if (missing.length === 0) return out;
  if (missing.includes('instanceId')) out.instanceId = check('instance-id', await imds.get('instance-id'), /^i-[0-9a-f]{8,17}$/);
  if (missing.includes('zone') || (missing.includes('region') && out.zone === undefined)) {
    out.zone ??= check('placement/availability-zone', await imds.get('placement/availability-zone'), /^[a-z]{2}(-[a-z]+)+-\d{1,2}[a-z]$/);
  }
  if (missing.includes('region')) {
    out.region = check('placement/region', await imds.get('placement/region'), /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/);
  }
  if (missing.includes('eni') || missing.includes('privateIp')) {
    // The primary interface is the one whose MAC /mac returns.
    const mac = check('mac', await imds.get('mac'), /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    out.mac = mac;
    if (missing.includes('eni')) {
      out.eni = check(`network/interfaces/macs/${mac}/interface-id`, await imds.get(`network/interfaces/macs/${mac}/interface-id`), /^eni-[0-9a-f]{8,17}$/);
    }
    if (missing.includes('privateIp')) {
      out.privateIp = check('local-ipv4', await imds.get('local-ipv4'), (s) => isIPv4(s));
    }
  }
  return out;
}

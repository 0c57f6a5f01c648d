/**
 * Worker thread that holds the AWS SDK clients. Importing @aws-sdk/client-ec2
 * alone keeps a thread busy for 1.4 to 2 s (bench/aws-sdk-import.ts), and
 * request signing and XML parsing cost CPU too: done here, none of it delays
 * the main thread's BGP keepalives, hold timers or health checks.
 *
 * Protocol (structured clone): the main thread sends `call` / `abort` /
 * `loaded`; the worker answers `result` (output, or the error's fields the
 * main thread classifies) and `loaded`.
 */
import { parentPort } from 'node:worker_threads';

export type SdkService = 'ec2' | 'directconnect' | 'sns';

export interface SdkClientSettings {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  requestTimeoutMs: number;
}

export type ToSdkWorker =
  | { t: 'call'; id: number; owner: number; service: SdkService; name: string; input: object; settings: SdkClientSettings }
  | { t: 'abort'; owner: number }
  | { t: 'loaded'; id: number };

export interface SdkErrorFields {
  name?: string;
  message: string;
  Code?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

export type FromSdkWorker =
  | { t: 'result'; id: number; ok: true; out: unknown }
  | { t: 'result'; id: number; ok: false; err: SdkErrorFields }
  | { t: 'loaded'; id: number; services: SdkService[] };

interface Client {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}
type Module = Record<string, unknown>;

const modules = new Map<SdkService, Promise<Module>>();
const clients = new Map<string, Client>();
const aborts = new Map<number, AbortController>();

function load(service: SdkService): Promise<Module> {
  let p = modules.get(service);
  if (!p) {
    p = (service === 'ec2'
      ? import('@aws-sdk/client-ec2')
      : service === 'directconnect'
        ? import('@aws-sdk/client-direct-connect')
        : import('@aws-sdk/client-sns')) as Promise<unknown> as Promise<Module>;
    p.catch(() => modules.delete(service));
    modules.set(service, p);
  }
  return p;
}

const CLIENT_CLASS: Record<SdkService, string> = { ec2: 'EC2Client', directconnect: 'DirectConnectClient', sns: 'SNSClient' };

async function clientFor(service: SdkService, s: SdkClientSettings): Promise<{ mod: Module; client: Client }> {
  const mod = await load(service);
  const key = `${service}\n${JSON.stringify(s)}`;
  let client = clients.get(key);
  if (!client) {
    const Ctor = mod[CLIENT_CLASS[service]] as new (c: object) => Client;
    client = new Ctor({
      region: s.region,
      maxAttempts: s.maxAttempts,
      retryMode: 'standard',
      // NodeHttpHandler options: connect and per-attempt response timeouts.
      requestHandler: {
        requestTimeout: s.requestTimeoutMs,
        connectionTimeout: Math.min(s.requestTimeoutMs, 3000),
        // Without this the handler only logs a warning and keeps waiting.
        throwOnRequestTimeout: true,
      },
      ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {}),
      ...(s.credentials !== undefined ? { credentials: s.credentials } : {}),
    });
    clients.set(key, client);
  }
  return { mod, client };
}

function errorFields(err: unknown): SdkErrorFields {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const meta = e.$metadata as SdkErrorFields['$metadata'] | undefined;
  return {
    message: typeof e.message === 'string' ? e.message : String(err),
    ...(typeof e.name === 'string' ? { name: e.name } : {}),
    ...(typeof e.Code === 'string' ? { Code: e.Code } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.$fault === 'string' ? { $fault: e.$fault } : {}),
    ...(meta ? { $metadata: { httpStatusCode: meta.httpStatusCode, requestId: meta.requestId, attempts: meta.attempts } } : {}),
  };
}

function post(m: FromSdkWorker): void {
  try {
    parentPort?.postMessage(m);
  } catch {
    // Something in the output that structured clone refuses: send its JSON form.
    parentPort?.postMessage(JSON.parse(JSON.stringify(m)) as FromSdkWorker);
  }
}

async function call(m: Extract<ToSdkWorker, { t: 'call' }>): Promise<void> {
  let ac = aborts.get(m.owner);
  if (!ac) aborts.set(m.owner, (ac = new AbortController()));
  try {
    const { mod, client } = await clientFor(m.service, m.settings);
    const Cmd = mod[`${m.name}Command`] as (new (i: object) => unknown) | undefined;
    if (typeof Cmd !== 'function') throw Object.assign(new Error(`${m.service}:${m.name} is not in the installed SDK`), { name: 'UnknownCommand' });
    const out = await client.send(new Cmd(m.input), { abortSignal: ac.signal });
    post({ t: 'result', id: m.id, ok: true, out });
  } catch (err) {
    post({ t: 'result', id: m.id, ok: false, err: errorFields(err) });
  }
}

parentPort?.on('message', (m: ToSdkWorker) => {
  if (m.t === 'call') void call(m);
  else if (m.t === 'abort') {
    aborts.get(m.owner)?.abort();
    aborts.delete(m.owner);
  } else if (m.t === 'loaded') {
    void Promise.allSettled([...modules.values()]).then(() => post({ t: 'loaded', id: m.id, services: [...modules.keys()] }));
  }
});

/**
 * AWS API calls. The SDK v3 clients live in a worker thread
 * (src/aws/sdk-worker.ts), started on the first call: the daemon starts
 * without them when no fallback is configured, and loading them (1.4 to 2 s
 * of CPU for the EC2 client) never stalls the main thread's timers.
 *
 * One wrapper, `AwsApi`, makes every call: it turns SDK errors into
 * AwsCallError (naming the IAM action) and logs every mutating call with its
 * request id and attempts. Retries are the SDK's "standard" mode: throttling
 * (RequestLimitExceeded, ThrottlingException, 429), 5xx and timeouts are
 * retried with jittered exponential backoff up to `max-attempts`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AwsConfig } from '../config/aws.js';
import { AwsCallError, classifyAwsError } from './errors.js';
import type { FromSdkWorker, SdkClientSettings, SdkService, ToSdkWorker } from './sdk-worker.js';

/** What a test or lab overrides: where the calls go and with which static credentials. */
export interface ClientOverrides {
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Milliseconds; tests shorten it to exercise timeouts. */
  requestTimeoutMs?: number;
  maxAttempts?: number;
}

export interface ResolvedAwsSettings {
  region: string;
  /** The topic's own region (from its ARN) when it differs: SNS is called there. */
  snsRegion?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  requestTimeoutMs: number;
}

export function resolveSettings(aws: AwsConfig, region: string, o: ClientOverrides = {}): ResolvedAwsSettings {
  const endpoint = o.endpoint ?? aws.endpoint;
  const credentials = o.credentials ?? aws.credentials;
  const snsRegion = aws.snsTopicArn?.split(':')[3];
  return {
    region,
    ...(snsRegion && snsRegion !== region ? { snsRegion } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    maxAttempts: o.maxAttempts ?? aws.maxAttempts,
    requestTimeoutMs: o.requestTimeoutMs ?? aws.requestTimeoutMs,
  };
}

/** The output metadata every SDK v3 answer carries. */
interface WithMetadata {
  $metadata?: { requestId?: string; attempts?: number; httpStatusCode?: number };
}

// ------------------------------------------------------------ worker host

/** Where the worker entry is and how to start it: .ts under tsx (dev, tap), .js under plain node (dist). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Worker threads do not inherit --import loaders on Node 20: register tsx in the worker first.
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./sdk-worker.ts', here).href;
    const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true });
  }
  const path = fileURLToPath(new URL('./sdk-worker.js', here));
  if (!existsSync(path)) throw new Error(`aws: SDK worker entry not found at ${path}`);
  return new Worker(path);
}

interface PendingCall {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** One worker shared by every AwsApi of the process. */
class SdkHost {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  private users = 0;

  acquire(): void {
    this.users++;
  }

  /**
   * The worker stays (idle, unref'ed) when the last user goes: a config
   * reload makes a new AwsApi at once, and loading the SDK again would cost
   * seconds of CPU for nothing.
   */
  release(): void {
    this.users = Math.max(0, this.users - 1);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker();
    w.on('message', (m: FromSdkWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.t === 'loaded') p.resolve(m.services);
      else if (m.ok) p.resolve(m.out);
      else p.reject(Object.assign(new Error(m.err.message), m.err));
    });
    const gone = (why: string) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failAll(Object.assign(new Error(`AWS SDK worker ${why}`), { name: 'WorkerExit' }));
    };
    w.on('error', (e) => gone(`failed: ${e.message}`));
    w.on('exit', (code) => gone(`exited with code ${code}`));
    // Unreferenced while idle (after the listeners: adding one refs it again).
    w.unref();
    this.worker = w;
    return w;
  }

  /**
   * Referenced only while a call waits: an idle worker must not keep a
   * stopping process alive, and a one-shot CLI must not exit mid-call.
   */
  private holdWhilePending(w: Worker): void {
    if (this.pending.size > 0) w.ref();
    else w.unref();
  }

  private send(m: ToSdkWorker, id: number): Promise<unknown> {
    const w = this.ensure();
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.holdWhilePending(w);
      w.postMessage(m);
    }).finally(() => {
      if (this.worker === w) this.holdWhilePending(w);
    });
  }

  call(owner: number, service: SdkService, name: string, input: object, settings: SdkClientSettings): Promise<unknown> {
    const id = this.nextId++;
    return this.send({ t: 'call', id, owner, service, name, input, settings }, id);
  }

  abort(owner: number): void {
    this.worker?.postMessage({ t: 'abort', owner } satisfies ToSdkWorker);
  }

  /** Which SDK clients the worker has loaded (none if it is not running). */
  async loaded(): Promise<SdkService[]> {
    if (!this.worker) return [];
    const id = this.nextId++;
    return (await this.send({ t: 'loaded', id }, id)) as SdkService[];
  }
}

const host = new SdkHost();
let nextOwner = 1;

/** Which SDK clients are loaded in this process (they only ever load in the worker). */
export function loadedSdkClients(): Promise<SdkService[]> {
  return host.loaded();
}

// ------------------------------------------------------------------ AwsApi

export class AwsApi {
  private readonly s: ResolvedAwsSettings;
  private readonly log: Logger;
  private readonly owner = nextOwner++;
  private acquired = false;
  private closed = false;
  /** Count of calls per API action (for metrics and tests). */
  readonly calls = new Map<string, number>();

  constructor(settings: ResolvedAwsSettings, logger: Logger) {
    this.s = settings;
    this.log = logger;
  }

  get region(): string {
    return this.s.region;
  }

  private settings(service: SdkService): SdkClientSettings {
    return {
      region: service === 'sns' ? (this.s.snsRegion ?? this.s.region) : this.s.region,
      maxAttempts: this.s.maxAttempts,
      requestTimeoutMs: this.s.requestTimeoutMs,
      ...(this.s.endpoint !== undefined ? { endpoint: this.s.endpoint } : {}),
      ...(this.s.credentials !== undefined ? { credentials: this.s.credentials } : {}),
    };
  }

  /**
   * Call `<name>Command` of `service`. `mutating` calls are logged at info
   * with their request id; reads at debug. Errors are AwsCallError.
   */
  async call<O>(service: SdkService, name: string, input: object, mutating: boolean): Promise<O & WithMetadata> {
    const action = `${service}:${name}`;
    if (this.closed) throw classifyAwsError(Object.assign(new Error('closed'), { name: 'AbortError' }), action);
    if (!this.acquired) {
      host.acquire();
      this.acquired = true;
    }
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    const started = performance.now();
    try {
      const out = (await host.call(this.owner, service, name, input, this.settings(service))) as O & WithMetadata;
      const meta = { aws: action, requestId: out?.$metadata?.requestId, attempts: out?.$metadata?.attempts, ms: Math.round(performance.now() - started) };
      if (mutating) this.log.info({ ...meta, input }, 'aws change');
      else this.log.debug(meta, 'aws read');
      return out;
    } catch (err) {
      const e: AwsCallError = this.closed ? classifyAwsError(Object.assign(new Error('closed'), { name: 'AbortError' }), action) : classifyAwsError(err, action);
      this.log[mutating || e.kind === 'permission' ? 'error' : 'warn'](
        { aws: action, requestId: e.requestId, attempts: e.attempts, kind: e.kind, code: e.code, ...(mutating ? { input } : {}) },
        e.message,
      );
      throw e;
    }
  }

  /** Abort this wrapper's calls in progress (and their retries); later calls fail at once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.acquired) {
      host.abort(this.owner);
      host.release();
      this.acquired = false;
    }
  }
}

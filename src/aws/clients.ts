/**
 * AWS SDK v3 clients, loaded with a dynamic import on first use so the daemon
 * starts without them when no fallback is configured. One wrapper, `AwsApi`,
 * makes every call: it turns SDK errors into AwsCallError (naming the IAM
 * action), and logs every mutating call with its request id and attempts.
 *
 * Retries are the SDK's "standard" mode: throttling (RequestLimitExceeded,
 * ThrottlingException, 429), 5xx and timeouts are retried with jittered
 * exponential backoff up to `max-attempts`.
 */
import type { Logger } from 'pino';
import type { AwsConfig } from '../config/aws.js';
import { classifyAwsError } from './errors.js';

type Ec2Module = typeof import('@aws-sdk/client-ec2');
type DxModule = typeof import('@aws-sdk/client-direct-connect');
type SnsModule = typeof import('@aws-sdk/client-sns');

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

interface SendableClient {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

type Service = 'ec2' | 'directconnect' | 'sns';

interface CommandModule {
  [name: string]: unknown;
}

/** The output metadata every SDK v3 answer carries. */
interface WithMetadata {
  $metadata?: { requestId?: string; attempts?: number; httpStatusCode?: number };
}

export class AwsApi {
  private readonly s: ResolvedAwsSettings;
  private readonly log: Logger;
  private readonly modules = new Map<Service, Promise<{ mod: CommandModule; client: SendableClient }>>();
  /** Count of calls per API action (for metrics and tests). */
  readonly calls = new Map<string, number>();
  /** Aborted by close(): a stopping daemon does not wait for retries in progress. */
  private readonly abort = new AbortController();

  constructor(settings: ResolvedAwsSettings, logger: Logger) {
    this.s = settings;
    this.log = logger;
  }

  get region(): string {
    return this.s.region;
  }

  private common(service: Service): Record<string, unknown> {
    return {
      region: service === 'sns' ? (this.s.snsRegion ?? this.s.region) : this.s.region,
      maxAttempts: this.s.maxAttempts,
      retryMode: 'standard',
      // NodeHttpHandler options: connect and per-attempt response timeouts.
      requestHandler: {
        requestTimeout: this.s.requestTimeoutMs,
        connectionTimeout: Math.min(this.s.requestTimeoutMs, 3000),
        // Without this the handler only logs a warning and keeps waiting.
        throwOnRequestTimeout: true,
      },
      ...(this.s.endpoint !== undefined ? { endpoint: this.s.endpoint } : {}),
      ...(this.s.credentials !== undefined ? { credentials: this.s.credentials } : {}),
    };
  }

  private load(service: Service): Promise<{ mod: CommandModule; client: SendableClient }> {
    let p = this.modules.get(service);
    if (!p) {
      p = (async () => {
        const started = performance.now();
        let mod: CommandModule;
        let client: SendableClient;
        if (service === 'ec2') {
          const m: Ec2Module = await import('@aws-sdk/client-ec2');
          mod = m as unknown as CommandModule;
          client = new m.EC2Client(this.common(service));
        } else if (service === 'directconnect') {
          const m: DxModule = await import('@aws-sdk/client-direct-connect');
          mod = m as unknown as CommandModule;
          client = new m.DirectConnectClient(this.common(service));
        } else {
          const m: SnsModule = await import('@aws-sdk/client-sns');
          mod = m as unknown as CommandModule;
          client = new m.SNSClient(this.common(service));
        }
        this.log.debug({ service, ms: Math.round(performance.now() - started) }, 'aws sdk loaded');
        return { mod, client };
      })();
      p.catch(() => this.modules.delete(service));
      this.modules.set(service, p);
    }
    return p;
  }

  /**
   * Call `<name>Command` of `service`. `mutating` calls are logged at info
   * with their request id; reads at debug. Errors are AwsCallError.
   */
  async call<O>(service: Service, name: string, input: object, mutating: boolean): Promise<O & WithMetadata> {
    const action = `${service}:${name}`;
    if (this.abort.signal.aborted) throw classifyAwsError(Object.assign(new Error('closed'), { name: 'AbortError' }), action);
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
    const { mod, client } = await this.load(service);
    const Ctor = mod[`${name}Command`] as (new (i: object) => unknown) | undefined;
    if (typeof Ctor !== 'function') throw new Error(`${action}: not in the installed SDK (update @aws-sdk/client-${service === 'directconnect' ? 'direct-connect' : service})`);
    const started = performance.now();
    try {
      const out = (await client.send(new Ctor(input), { abortSignal: this.abort.signal })) as O & WithMetadata;
      const meta = { aws: action, requestId: out?.$metadata?.requestId, attempts: out?.$metadata?.attempts, ms: Math.round(performance.now() - started) };
      if (mutating) this.log.info({ ...meta, input }, 'aws change');
      else this.log.debug(meta, 'aws read');
      return out;
    } catch (err) {
      const e = classifyAwsError(err, action);
      this.log[mutating || e.kind === 'permission' ? 'error' : 'warn'](
        { aws: action, requestId: e.requestId, attempts: e.attempts, kind: e.kind, code: e.code, ...(mutating ? { input } : {}) },
        e.message,
      );
      throw e;
    }
  }

  close(): void {
    this.abort.abort();
    for (const p of this.modules.values()) p.then(({ client }) => client.destroy(), () => undefined);
    this.modules.clear();
  }
}

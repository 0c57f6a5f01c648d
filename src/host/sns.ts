/**
 * SNS publisher for state changes. @aws-sdk/client-sns is imported dynamically, only
 * when a topic is configured, so a daemon without SNS never loads the AWS SDK.
 */
import os from 'node:os';

/** The slice of SNSClient we use (so tests can inject a fake). */
export interface SnsLike {
  publish(input: { TopicArn: string; Subject: string; Message: string; MessageGroupId?: string; MessageDeduplicationId?: string },
    signal: AbortSignal): Promise<{ MessageId?: string }>;
  destroy?(): void;
}

export type SnsFactory = (region: string | undefined) => Promise<SnsLike>;

const SNS_MODULE = '@aws-sdk/client-sns';

/** The real client: dynamic import, clear error when the package is missing. */
export const loadSnsClient: SnsFactory = async (region) => {
  let mod: {
    SNSClient: new (cfg: { region?: string }) => { send(cmd: unknown, o: { abortSignal: AbortSignal }): Promise<{ MessageId?: string }>; destroy(): void };
    PublishCommand: new (input: unknown) => unknown;
  };
  try {
    const spec: string = SNS_MODULE; // a variable: TypeScript must not require the package at build time
    mod = (await import(spec)) as typeof mod;
  } catch (err) {
    throw new Error(`hooks.sns-topic-arn is set but ${SNS_MODULE} cannot be loaded (${(err as Error).message}); install it with: npm install ${SNS_MODULE}`);
  }
  const client = new mod.SNSClient(region ? { region } : {});
  return {
    publish: (input, signal) => client.send(new mod.PublishCommand(input), { abortSignal: signal }),
    destroy: () => client.destroy(),
  };
};

export interface StateMessage {
  state: string;
  previous: string;
  prefixes: string[];
  reason: string;
  healthState?: string;
  at: string;
}

/** Subject: ASCII, at most 100 characters (SNS limit). */
export function snsSubject(m: StateMessage, host = os.hostname()): string {
  const s = `bgp-sidecar ${host}: ${m.previous} -> ${m.state}`.replace(/[^\x20-\x7e]/g, '?');
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

export function snsMessage(m: StateMessage, host = os.hostname()): string {
  return JSON.stringify({ source: 'bgp-sidecar', host, ...m });
}

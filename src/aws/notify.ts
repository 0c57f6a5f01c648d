/**
 * Every fallback action and every refusal is logged, and published to SNS
 * when a topic is configured. A failed publish is logged, never thrown: the
 * notification must not stop the action it reports.
 */
import type { Logger } from 'pino';
import type { AwsApi } from './clients.js';
import { errorText } from './errors.js';

export type NoticeKind = 'action' | 'refusal' | 'dry-run' | 'error';

export interface Notice {
  kind: NoticeKind;
  /** 'route-tables' | 'tgw-vpn' | 'direct-connect' */
  fallback: string;
  /** One line a human can act on. */
  summary: string;
  details?: Record<string, unknown>;
}

export interface Notifier {
  notify(n: Notice): Promise<void>;
  /** The last notices, newest last (for status). */
  recent(): Notice[];
}

const KEEP = 20;

export function createNotifier(o: { logger: Logger; api?: AwsApi; topicArn?: string; instanceId?: string }): Notifier {
  const recent: Notice[] = [];
  return {
    async notify(n) {
      recent.push(n);
      if (recent.length > KEEP) recent.shift();
      const level = n.kind === 'error' ? 'error' : n.kind === 'refusal' ? 'warn' : 'info';
      o.logger[level]({ fallback: n.fallback, notice: n.kind, ...n.details }, n.summary);
      if (!o.topicArn || !o.api) return;
      const message = JSON.stringify({ source: 'bgp-sidecar', instanceId: o.instanceId, ...n });
      try {
        await o.api.call('sns', 'Publish', {
          TopicArn: o.topicArn,
          // SNS subjects: ASCII, at most 100 characters, no line breaks.
          Subject: `bgp-sidecar ${n.fallback} ${n.kind}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
          Message: message,
        }, false);
      } catch (err) {
        o.logger.warn({ fallback: n.fallback, err: errorText(err) }, 'sns publish failed');
      }
    },
    recent: () => [...recent],
  };
}

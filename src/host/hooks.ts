/**
 * State-change hooks: a command (argv, no shell; STATE, PREVIOUS, PREFIXES, REASON,
 * HEALTH_STATE in its environment; killed with its process group at the timeout) and,
 * optionally, an SNS publish. Fired on verdict changes (up, down, maintenance; init only
 * as PREVIOUS), not on every rising/falling step, so a flapping check cannot spam.
 * Runs one notification at a time, in order; at most QUEUE_MAX wait (the oldest is
 * dropped, with a warning). Never throws: a failing hook is logged, nothing else.
 */
import pino, { type Logger } from 'pino';
import type { HooksConfig } from '../config/health.js';
import { runCommand } from './run-command.js';
import { loadSnsClient, snsMessage, snsSubject, type SnsFactory, type SnsLike, type StateMessage } from './sns.js';

export const QUEUE_MAX = 32;

export interface HookEvent {
  /** New verdict: up, down, maintenance. */
  state: string;
  previous: string;
  /** The configured floating prefixes. */
  prefixes: readonly string[];
  reason: string;
  /** The 6-state health state behind the verdict. */
  healthState?: string;
}

export interface HooksOptions {
  config: HooksConfig;
  /** Floating prefixes for PREFIXES when an event does not carry them (run(), onTransition()). */
  prefixes?: readonly string[];
  logger?: Logger;
  /** Tests inject a fake SNS client. */
  snsFactory?: SnsFactory;
}

export interface HookRunRecord {
  state: string;
  previous: string;
  command?: { ok: boolean; detail: string };
  sns?: { ok: boolean; detail: string };
}

export class StateHooks {
  private readonly log: Logger;
  private readonly queue: StateMessage[] = [];
  private running: Promise<void> | undefined;
  private sns: Promise<SnsLike> | undefined;
  private lastRun: HookRunRecord | undefined;
  private dropped = 0;

  constructor(private readonly o: HooksOptions) {
    this.log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'hooks' });
  }

  get enabled(): boolean {
    return this.o.config.command !== undefined || this.o.config.snsTopicArn !== undefined;
  }

  /** Feed a health monitor `verdict` event: notifies only when the verdict changed. */
  onTransition(t: { verdict: string; previousVerdict: string; state: string; reason: string }, prefixes?: readonly string[]): void {
    if (t.verdict === t.previousVerdict) return;
    this.notify({ state: t.verdict, previous: t.previousVerdict, prefixes: prefixes ?? this.o.prefixes ?? [], reason: t.reason, healthState: t.state });
  }

  /** The daemon's HookPort: queue a verdict change; resolves once the queue has run (bounded by the hook timeout). */
  run(e: { verdict: string; previous: string; reason: string; state?: string; prefixes?: readonly string[] }): Promise<void> {
    const ev: HookEvent = { state: e.verdict, previous: e.previous, prefixes: e.prefixes ?? this.o.prefixes ?? [], reason: e.reason };
    if (e.state !== undefined) ev.healthState = e.state;
    this.notify(ev);
    return this.idle(this.o.config.timeoutMs * (QUEUE_MAX + 1) + 1000);
  }

  /** Queue a notification. Returns at once. */
  notify(e: HookEvent): void {
    if (!this.enabled) return;
    const m: StateMessage = { state: e.state, previous: e.previous, prefixes: [...e.prefixes], reason: e.reason, at: new Date().toISOString() };
    if (e.healthState !== undefined) m.healthState = e.healthState;
    this.queue.push(m);
    while (this.queue.length > QUEUE_MAX) {
      const old = this.queue.shift();
      this.dropped++;
      this.log.warn({ event: 'hook-dropped', state: old?.state, previous: old?.previous }, 'hook queue full: oldest notification dropped');
    }
    this.running ??= this.pump();
  }

  /** Wait until the queue is empty (shutdown), at most `timeoutMs`. */
  async idle(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((r) => { t = setTimeout(r, timeoutMs); })]);
    if (t) clearTimeout(t);
  }

  status(): { enabled: boolean; queued: number; dropped: number; last?: HookRunRecord } {
    const s: { enabled: boolean; queued: number; dropped: number; last?: HookRunRecord } = { enabled: this.enabled, queued: this.queue.length, dropped: this.dropped };
    if (this.lastRun) s.last = this.lastRun;
    return s;
  }

  close(): void {
    void this.sns?.then((c) => c.destroy?.(), () => undefined);
  }

  private async pump(): Promise<void> {
    try {
      for (let m = this.queue.shift(); m; m = this.queue.shift()) {
        const rec: HookRunRecord = { state: m.state, previous: m.previous };
        const [cmd, sns] = await Promise.all([this.runCommand(m), this.publish(m)]);
        if (cmd) rec.command = cmd;
        if (sns) rec.sns = sns;
        this.lastRun = rec;
      }
    } finally {
      this.running = undefined;
    }
  }

  private async runCommand(m: StateMessage): Promise<{ ok: boolean; detail: string } | undefined> {
    const argv = this.o.config.command;
    if (!argv || argv[0] === undefined) return undefined;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STATE: m.state, PREVIOUS: m.previous, PREFIXES: m.prefixes.join(' '), REASON: m.reason,
      HEALTH_STATE: m.healthState ?? m.state,
    };
    const r = await runCommand(argv[0], argv.slice(1), { env, timeoutMs: this.o.config.timeoutMs, outputLimit: 4096 });
    const detail = r.spawnError !== undefined ? `cannot run: ${r.spawnError}`
      : r.timedOut ? `timeout after ${this.o.config.timeoutMs}ms, process group killed`
        : r.code !== null ? `exit ${r.code}` : `killed by ${r.signal ?? 'signal'}`;
    const ok = r.spawnError === undefined && !r.timedOut && r.code === 0;
    const fields = { event: 'hook-command', command: argv[0], state: m.state, previous: m.previous, ok, detail, output: r.output || undefined, durationMs: Math.round(r.durationMs) };
    if (ok) this.log.info(fields, 'state hook ran');
    else this.log.warn(fields, 'state hook failed');
    return { ok, detail };
  }

  private async publish(m: StateMessage): Promise<{ ok: boolean; detail: string } | undefined> {
    const arn = this.o.config.snsTopicArn;
    if (!arn) return undefined;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.o.config.timeoutMs);
    try {
      this.sns ??= (this.o.snsFactory ?? loadSnsClient)(this.o.config.snsRegion);
      let client: SnsLike;
      try {
        client = await this.sns;
      } catch (err) {
        this.sns = undefined; // try loading again next time
        throw err;
      }
      const input: Parameters<SnsLike['publish']>[0] = { TopicArn: arn, Subject: snsSubject(m), Message: snsMessage(m) };
      if (arn.endsWith('.fifo')) {
        input.MessageGroupId = 'bgp-sidecar';
        input.MessageDeduplicationId = `${m.at}-${m.previous}-${m.state}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
      }
      const out = await client.publish(input, ac.signal);
      this.log.info({ event: 'hook-sns', topic: arn, messageId: out.MessageId, state: m.state }, 'state published to SNS');
      return { ok: true, detail: `published ${out.MessageId ?? ''}`.trim() };
    } catch (err) {
      const detail = ac.signal.aborted ? `timeout after ${this.o.config.timeoutMs}ms` : (err as Error).message;
      this.log.warn({ event: 'hook-sns-failed', topic: arn, state: m.state, error: detail }, 'SNS publish failed');
      return { ok: false, detail };
    } finally {
      clearTimeout(timer);
    }
  }
}

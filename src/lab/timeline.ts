/**
 * The lab's timeline: every event with its wall-clock time and the time since
 * the lab started, printed as it happens and kept for the summary. Scenarios
 * measure intervals between marks ("route moved 3.1 s after the stop").
 */

export interface TimelineEvent {
  /** Milliseconds since the timeline started (monotonic). */
  t: number;
  /** Wall-clock time, ISO 8601. */
  at: string;
  /** Short kind: "stop", "route", "peer", "step". */
  kind: string;
  text: string;
  fields?: Record<string, unknown>;
}

export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly t0 = performance.now();

  constructor(private readonly print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  /** Milliseconds since start. */
  now(): number {
    return performance.now() - this.t0;
  }

  mark(kind: string, text: string, fields?: Record<string, unknown>): TimelineEvent {
    const e: TimelineEvent = { t: this.now(), at: new Date().toISOString(), kind, text, ...(fields ? { fields } : {}) };
    this.events.push(e);
    this.print(formatEvent(e));
    return e;
  }

  /** Free text (headers, tables) without a timestamp, not recorded. */
  say(text: string): void {
    this.print(text);
  }

  /** The first event of `kind` at or after time t (optionally matching a predicate). */
  find(kind: string, after = 0, pred?: (e: TimelineEvent) => boolean): TimelineEvent | undefined {
    return this.events.find((e) => e.kind === kind && e.t >= after && (!pred || pred(e)));
  }
}

export function formatEvent(e: TimelineEvent): string {
  const clock = e.at.slice(11, 23); // HH:MM:SS.mmm UTC
  const rel = `+${(e.t / 1000).toFixed(3)}s`.padStart(10);
  return `${clock} ${rel}  ${e.kind.padEnd(7)} ${e.text}`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

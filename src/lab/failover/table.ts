/** Runs -> medians -> the scenario x system table (markdown, pasted into docs). */
import type { LabScenario } from './scenarios.js';
import { SYSTEMS, type LabTimers, type SystemId } from './systems.js';

export interface RunRecord {
  system: SystemId;
  scenario: string;
  rep: number;
  /** ok; n/a (the system cannot do it); no-move (the route never got where it should); failed (lab error). */
  status: 'ok' | 'n/a' | 'no-move' | 'failed';
  lost?: number;
  gapMs?: number;
  sent?: number;
  /** Changes of the appliance the VPC route points at, after the act. */
  moves?: number;
  /** Act -> VPC route via the standby, ms (failovers only). */
  moveMs?: number;
  /** When the first lost probe was sent, relative to the act (prober clock). */
  firstLossAfterActMs?: number;
  note?: string;
}

export interface Cell {
  system: SystemId;
  status: 'ok' | 'n/a' | 'no-move' | 'failed' | 'none';
  runs: number;
  lost?: number;
  gapMs?: number;
  moves?: number;
  moveMs?: number;
  note?: string;
}

export interface Row {
  scenario: string;
  target: string;
  /** Whether bgp-sidecar's medians meet the target (undefined when not measured). */
  sidecarMeetsTarget?: boolean;
  cells: Cell[];
}

export function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

function def<T>(k: string, v: T | undefined): Record<string, T> {
  return v === undefined ? {} : { [k]: v };
}

export function summarise(records: RunRecord[], scenarios: LabScenario[], systems: SystemId[], timers?: LabTimers): Row[] {
  void timers;
  return scenarios.map((sc) => {
    const cells: Cell[] = systems.map((system) => {
      const rs = records.filter((r) => r.scenario === sc.name && r.system === system);
      if (!rs.length) return { system, status: 'none', runs: 0 };
      if (rs.some((r) => r.status === 'n/a')) return { system, status: 'n/a', runs: 0, note: rs[0]!.note ?? '' };
      const measured = rs.filter((r) => r.status === 'ok' || r.status === 'no-move');
      if (!measured.length) return { system, status: 'failed', runs: rs.length, note: rs[0]!.note ?? '' };
      const status = measured.filter((r) => r.status === 'no-move').length * 2 > measured.length ? 'no-move' : 'ok';
      return {
        system,
        status,
        runs: measured.length,
        ...def('lost', median(measured.map((r) => r.lost ?? 0))),
        ...def('gapMs', median(measured.map((r) => r.gapMs ?? 0))),
        ...def('moves', median(measured.map((r) => r.moves ?? 0))),
        ...def('moveMs', median(measured.flatMap((r) => (r.moveMs === undefined ? [] : [r.moveMs])))),
        ...(status === 'no-move' ? { note: measured.find((r) => r.note)?.note ?? '' } : {}),
      };
    });
    const row: Row = { scenario: sc.name, target: '', cells };
    return row;
  });
}

export function cellText(c: Cell, withMoves: boolean): string {
  if (c.status === 'none') return '-';
  if (c.status === 'n/a') return `n/a (${c.note ?? 'cannot'})`;
  if (c.status === 'failed') return `lab error (${(c.note ?? '').slice(0, 60)})`;
  const base = `${c.lost} lost, ${c.gapMs} ms${withMoves ? `, ${c.moves} moves` : ''}`;
  return c.status === 'no-move' ? `${base}, never moved` : base;
}

/** Markdown table; fills each row's target and whether bgp-sidecar meets it. */
export function formatTable(rows: Row[], scenarios: LabScenario[], systems: SystemId[], timers: LabTimers): string {
  const lines = [
    `| scenario | target (bgp-sidecar) | ${systems.map((s) => SYSTEMS[s].label).join(' | ')} |`,
    `|---|---|${systems.map(() => '---').join('|')}|`,
  ];
  for (const row of rows) {
    const sc = scenarios.find((s) => s.name === row.scenario)!;
    const tg = sc.target(timers);
    row.target = tg.text;
    const mine = row.cells.find((c) => c.system === 'sidecar');
    if (mine && (mine.status === 'ok' || mine.status === 'no-move')) {
      row.sidecarMeetsTarget =
        mine.status === 'ok' &&
        (tg.gapMs === undefined || (mine.gapMs ?? 0) <= tg.gapMs) &&
        (tg.lost === undefined || (mine.lost ?? 0) <= tg.lost) &&
        (tg.moves === undefined || (mine.moves ?? 0) <= tg.moves);
    }
    const withMoves = tg.moves !== undefined;
    const met = row.sidecarMeetsTarget === undefined ? '' : row.sidecarMeetsTarget ? ' (met)' : ' (NOT met)';
    lines.push(`| ${row.scenario} | ${tg.text}${met} | ${row.cells.map((c) => cellText(c, withMoves)).join(' | ')} |`);
  }
  return lines.join('\n');
}

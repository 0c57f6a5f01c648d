/**
 * Adj-RIB-Out of one peer (RFC 4271 3.2): what it was last sent. Diffing the
 * wanted routes against it gives the only UPDATEs worth sending.
 */
import type { ExportedRoute } from './export.js';

export interface RibDiff {
  /** Routes new or changed, grouped by attribute key (one group = one UPDATE, or a few if large). */
  announce: ExportedRoute[][];
  withdraw: ExportedRoute[];
}

export class AdjRibOut {
  private sent = new Map<string, ExportedRoute>();

  get size(): number {
    return this.sent.size;
  }

  routes(): ExportedRoute[] {
    return [...this.sent.values()];
  }

  /** What to send so that the peer holds exactly `want`. Does not change the RIB; call commit() once sent. */
  diff(want: ReadonlyMap<string, ExportedRoute>): RibDiff {
    const groups = new Map<string, ExportedRoute[]>();
    for (const [k, r] of want) {
      const had = this.sent.get(k);
      if (had && had.key === r.key) continue;
      const g = groups.get(r.key);
      if (g) g.push(r);
      else groups.set(r.key, [r]);
    }
    const withdraw: ExportedRoute[] = [];
    for (const [k, r] of this.sent) if (!want.has(k)) withdraw.push(r);
    return { announce: [...groups.values()], withdraw };
  }

  /** `want` is now what the peer holds. Takes ownership of the map (exportRoutes makes a new one per call). */
  commit(want: Map<string, ExportedRoute>): void {
    this.sent = want;
  }

  /** Session down or refresh: the peer holds nothing we know of. */
  clear(): void {
    this.sent.clear();
  }
}

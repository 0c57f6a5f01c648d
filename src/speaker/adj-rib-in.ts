/**
 * What a peer sent us, kept for display only (we install nothing).
 * Built to survive a full table: IPv4 prefixes are numeric keys, attribute
 * summaries are interned, attributes are kept only for the first
 * `storeLimit` prefixes, and past `keyLimit` prefixes only a running count
 * is kept (marked approximate).
 */
import { formatPrefix } from '../bgp/index.js';
import { AFI_IPV4, type PathAttributes, type Prefix, type UpdateMessage } from '../bgp/types.js';

export const DEFAULT_STORE_LIMIT = 10_000;
/** Past this many distinct prefixes we stop tracking keys: about 100 MB worst case. */
export const DEFAULT_KEY_LIMIT = 2_000_000;
const MAX_INTERNED = 10_000;
const NOT_KEPT = 0;

export interface ReceivedRoute {
  prefix: string;
  attributes: string;
}

function v4Key(p: Prefix): number | null {
  const parts = p.addr.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const x of parts) n = n * 256 + Number(x);
  return n * 64 + p.len;
}

function v4Text(k: number): string {
  const len = k % 64;
  let n = Math.floor(k / 64);
  const o: number[] = [];
  for (let i = 0; i < 4; i++) {
    o.unshift(n % 256);
    n = Math.floor(n / 256);
  }
  return `${o.join('.')}/${len}`;
}

function summarize(a: PathAttributes): string {
  const path = (a.asPath ?? []).map((s) => (s.type === 'sequence' ? s.asns.join(' ') : `{${s.asns.join(',')}}`)).join(' ');
  const nh = a.mpReach?.nextHops.join(',') ?? a.nextHop ?? '';
  return `as-path [${path}] next-hop ${nh}${a.med !== undefined ? ` med ${a.med}` : ''}`;
}

export class ReceivedRoutes {
  private v4 = new Map<number, number>();
  private v6 = new Map<string, number>();
  private interned = new Map<string, number>();
  private summaries: string[] = ['(attributes not kept)'];
  private approx = 0;
  /** Prefixes stored with their attributes (at most storeLimit). */
  private withAttrs = 0;
  private countOnlyMode = false;

  constructor(
    private readonly storeLimit = DEFAULT_STORE_LIMIT,
    private readonly keyLimit = DEFAULT_KEY_LIMIT,
  ) {}

  get count(): number {
    return this.countOnlyMode ? this.approx : this.v4.size + this.v6.size;
  }

  /** Prefixes of one family (AFI 1 or 2); in count-only mode everything counts as IPv4. */
  countOf(afi: number): number {
    if (this.countOnlyMode) return afi === AFI_IPV4 ? this.approx : 0;
    return afi === AFI_IPV4 ? this.v4.size : this.v6.size;
  }

  /** True once past keyLimit: the count is a running sum of announcements minus withdrawals. */
  get countOnly(): boolean {
    return this.countOnlyMode;
  }

  clear(): void {
    this.v4.clear();
    this.v6.clear();
    this.interned.clear();
    this.summaries = ['(attributes not kept)'];
    this.approx = 0;
    this.withAttrs = 0;
    this.countOnlyMode = false;
  }

  /** Apply one UPDATE; returns how many prefixes it announced and withdrew. */
  apply(u: UpdateMessage): { announced: number; withdrawn: number } {
    const withdrawn = [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])];
    const announced = [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])];
    for (const p of withdrawn) this.remove(p);
    if (announced.length > 0) {
      const id = this.intern(u.attributes);
      for (const p of announced) this.add(p, id);
    }
    return { announced: announced.length, withdrawn: withdrawn.length };
  }

  list(limit = 1000): ReceivedRoute[] {
    const out: ReceivedRoute[] = [];
    for (const [k, id] of this.v4) {
      if (out.length >= limit) return out;
      out.push({ prefix: v4Text(k), attributes: this.summaries[id] ?? '' });
    }
    for (const [k, id] of this.v6) {
      if (out.length >= limit) return out;
      out.push({ prefix: k, attributes: this.summaries[id] ?? '' });
    }
    return out;
  }

  private intern(a: PathAttributes): number {
    const s = summarize(a);
    const id = this.interned.get(s);
    if (id !== undefined) return id;
    if (this.summaries.length > MAX_INTERNED) return NOT_KEPT;
    this.summaries.push(s);
    this.interned.set(s, this.summaries.length - 1);
    return this.summaries.length - 1;
  }

  private add(p: Prefix, id: number): void {
    if (this.countOnlyMode) {
      this.approx++;
      return;
    }
    const v4 = p.afi === AFI_IPV4;
    const k4 = v4 ? v4Key(p) : null;
    const k6 = v4 ? '' : formatPrefix(p);
    if (v4 && k4 === null) return;
    const old = v4 ? this.v4.get(k4!) : this.v6.get(k6);
    // Attributes are kept for at most storeLimit prefixes; one that had them keeps them.
    let keep = id;
    if (keep !== NOT_KEPT && (old === undefined || old === NOT_KEPT) && this.withAttrs >= this.storeLimit) keep = NOT_KEPT;
    if (old !== undefined && old !== NOT_KEPT) this.withAttrs--;
    if (keep !== NOT_KEPT) this.withAttrs++;
    if (v4) this.v4.set(k4!, keep);
    else this.v6.set(k6, keep);
    if (this.v4.size + this.v6.size > this.keyLimit) {
      // Too many to track one by one: keep counting, drop the keys.
      this.countOnlyMode = true;
      this.approx = this.v4.size + this.v6.size;
      this.v4.clear();
      this.v6.clear();
      this.withAttrs = 0;
    }
  }

  private remove(p: Prefix): void {
    if (this.countOnlyMode) {
      this.approx = Math.max(0, this.approx - 1);
      return;
    }
    let old: number | undefined;
    if (p.afi === AFI_IPV4) {
      const k = v4Key(p);
      if (k === null) return;
      old = this.v4.get(k);
      this.v4.delete(k);
    } else {
      const k = formatPrefix(p);
      old = this.v6.get(k);
      this.v6.delete(k);
    }
    if (old !== undefined && old !== NOT_KEPT) this.withAttrs--;
  }
}

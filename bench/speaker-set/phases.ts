/**
 * CPU of the phases of speaker.set() without a socket: parse, export, Adj-RIB-Out
 * diff, pack+encode, for 10,000 /32s sharing attributes whose prepend flips
 * 0 <-> 3 every round. 60 rounds; the mean of rounds 21-60 is printed (JIT warm).
 *
 *   node --import tsx bench/speaker-set/phases.ts
 */
import { parseAnnouncements, exportRoutes } from '../../src/speaker/export.js';
import { AdjRibOut } from '../../src/speaker/adj-rib-out.js';
import { encodeRibUpdates } from '../../src/speaker/updates.js';
const N = 10000;
const list = Array.from({ length: N }, (_, i) => `172.16.${(i >> 8) & 255}.${i & 255}/32`);
const ctx = { localAsn: 65001, families: new Set(['1/1', '2/1']), localAddress: '10.0.0.1' };
const rib = new AdjRibOut();
const acc = { parse: 0, exp: 0, diff: 0, enc: 0 };
for (let r = 0; r < 60; r++) {
  const routes = list.map((prefix) => ({ prefix, prepend: r % 2 ? 3 : 0, communities: ['65001:100'] }));
  let t = performance.now();
  const d = parseAnnouncements(routes); const t1 = performance.now();
  const { routes: w } = exportRoutes(d, ctx); const t2 = performance.now();
  const df = rib.diff(w); const t3 = performance.now();
  const m = encodeRibUpdates(df.announce, df.withdraw, { fourOctetAs: true, extendedMessage: false }); const t4 = performance.now();
  rib.commit(w);
  if (r >= 20) { acc.parse += t1 - t; acc.exp += t2 - t1; acc.diff += t3 - t2; acc.enc += t4 - t3; }
}
console.log(Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, (v / 40).toFixed(2) + ' ms'])));

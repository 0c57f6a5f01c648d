/**
 * Human lines for `bgp-sidecar status`: the fallback's status as it arrives
 * over the control socket (JSON, so typed loosely and read defensively).
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const s = (v: unknown, d = '-'): string => (v === undefined || v === null ? d : String(v));

function lastRun(last: unknown): string {
  if (!isObj(last)) return 'no run yet';
  const planned = Array.isArray(last.planned) ? last.planned.length : 0;
  const applied = typeof last.applied === 'number' ? last.applied : 0;
  const bits = [s(last.outcome)];
  if (planned) bits.push(`${applied}/${planned} change(s)`);
  if (typeof last.reason === 'string' && last.reason) bits.push(last.reason);
  return bits.join(', ');
}

export function formatFallbackStatus(status: unknown): string[] {
  if (!isObj(status)) return [];
  const configured = Array.isArray(status.configured) ? status.configured.map(String) : [];
  if (configured.length === 0) return [];
  const out: string[] = [`Fallback: ${configured.join(', ')}; verdict ${s(status.selfState, 'not yet known')}${status.running ? '; running' : ''}`];
  if (typeof status.error === 'string') out.push(`  error: ${status.error}`);
  const rt = status.routeTables;
  if (isObj(rt)) {
    const peer = isObj(status.peer) ? status.peer : {};
    const ph = peer.healthy === true ? 'up' : peer.healthy === false ? 'down' : 'unknown';
    out.push(`  route-tables: this ${s(rt.selfEni)}, peer ${s(rt.peerEni)} ${ph}${peer.detail ? ` (${s(peer.detail)})` : ''}; last: ${lastRun(rt.last)}`);
    if (isObj(rt.desired)) for (const [table, eni] of Object.entries(rt.desired)) out.push(`    ${table} -> ${s(eni)}`);
  }
  const tgw = status.tgwVpn;
  if (isObj(tgw)) {
    out.push(`  tgw-vpn: last: ${lastRun(tgw.last)}`);
    for (const p of Array.isArray(tgw.pairs) ? tgw.pairs : []) {
      if (!isObj(p)) continue;
      const side = (x: unknown) => (isObj(x) ? `${s(x.vpn)} ${s(x.tunnelsUp)}/${s(x.tunnels)} up` : '?');
      out.push(`    ${s(p.pair)}: primary ${side(p.primary)}, backup ${side(p.backup)}; routes on ${s(p.routesOn, '?')}${p.outcome ? `; ${s(p.outcome)}` : ''}`);
    }
  }
  const dx = status.directConnect;
  if (isObj(dx)) {
    out.push(`  direct-connect: ${s(dx.available)} available (minimum ${s(dx.minAvailable)}); last: ${lastRun(dx.last)}`);
    for (const i of Array.isArray(dx.interfaces) ? dx.interfaces : []) {
      if (!isObj(i)) continue;
      out.push(`    ${s(i.id)}: ${s(i.state, '?')}${i.bgpPeers !== undefined ? `, BGP ${s(i.bgpUp)}/${s(i.bgpPeers)} up` : ''}${i.ourTest ? `, in a failover test we started (${s(i.ourTest)})` : ''}`);
    }
  }
  const recent = Array.isArray(status.recent) ? status.recent.filter(isObj).slice(-3) : [];
  for (const n of recent) out.push(`  ${s(n.kind)}: ${s(n.summary)}`);
  return out;
}

/**
 * The plain `status` output: compact tables in the spirit of
 * `gobgp neighbor` and `birdc show protocols`. Input is the daemon's status
 * JSON, treated as untrusted shape (fields may be missing).
 */

import { formatFallbackStatus } from '../../../aws/status-format.js';

type Obj = Record<string, unknown>;

const str = (v: unknown, dflt = '-'): string => (v === undefined || v === null || v === '' ? dflt : String(v));
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** 3723000 -> "1h02m03s" */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d${pad(h)}h${pad(m)}m`;
  if (h > 0) return `${h}h${pad(m)}m${pad(sec)}s`;
  if (m > 0) return `${m}m${pad(sec)}s`;
  return `${sec}s`;
}

function since(iso: unknown, now: number): string {
  if (typeof iso !== 'string') return '-';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${iso} (${formatDuration(now - t)} ago)`;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function stateName(v: unknown): string {
  const s = str(v);
  const names: Record<string, string> = { idle: 'Idle', connect: 'Connect', active: 'Active', opensent: 'OpenSent', openconfirm: 'OpenConfirm', established: 'Established' };
  return names[s.toLowerCase()] ?? s;
}

export function formatStatus(status: unknown, now = Date.now()): string {
  const s = obj(status);
  const d = obj(s['daemon']);
  const v = obj(s['verdict']);
  const drain = obj(s['drain']);
  const out: string[] = [];
  const started = typeof d['startedAt'] === 'string' ? formatDuration(now - Date.parse(d['startedAt'])) : '-';
  out.push(`bgp-sidecar ${str(d['version'])}  router-id ${str(d['routerId'])}  local AS ${str(d['localAsn'])}  pid ${str(d['pid'])}  up ${started}`);
  out.push(`Verdict: ${str(v['verdict'])} (${str(v['state'])}) since ${since(v['since'], now)}${v['reason'] ? `: ${String(v['reason'])}` : ''}`);
  out.push(drain['on'] === true ? `Drain:   ON since ${since(drain['since'], now)}: ${str(drain['reason'])}` : 'Drain:   off');
  const policy = obj(s['policy']);
  if (policy['phase'] === 'failback') {
    const rem = policy['failbackRemainingMs'];
    out.push(`Policy:  failback ${typeof rem === 'number' ? `in ${formatDuration(rem)}` : 'paused (health not steadily up)'}`);
  }

  const peers = arr(s['peers']).map(obj);
  out.push('');
  out.push(table(
    ['Peer', 'AS', 'State', 'Uptime', 'Hold', 'BFD', 'Sent/Rcvd', 'Last error'],
    peers.map((p) => {
      const bfd = p['bfd'] === null || p['bfd'] === undefined ? '-' : str(obj(p['bfd'])['state']);
      const uptime = typeof p['uptimeMs'] === 'number' ? formatDuration(p['uptimeMs']) : p['since'] ? `(${formatDuration(now - Date.parse(String(p['since'])))})` : '-';
      const held = p['heldDownByBfd'] === true ? ' (held: bfd)' : '';
      return [
        str(p['address']),
        str(p['asn']),
        stateName(p['state']) + held,
        uptime,
        p['holdTime'] === null || p['holdTime'] === undefined ? `(${str(p['configuredHoldTime'])})` : str(p['holdTime']),
        bfd,
        `${str(p['updatesSent'], '0')}/${str(p['updatesReceived'], '0')}`,
        str(p['lastError']),
      ];
    }),
  ));

  const routes: string[][] = [];
  for (const p of peers) {
    for (const r of arr(p['announced']).map(obj)) {
      routes.push([
        str(p['address']),
        str(r['prefix']),
        arr(r['asPath']).join(' ') || '-',
        str(r['nextHop']),
        str(r['med']),
        [...arr(r['communities']), ...arr(r['largeCommunities'])].join(' ') || '-',
      ]);
    }
    for (const problem of arr(p['problems'])) routes.push([str(p['address']), `! ${String(problem)}`, '', '', '', '']);
  }
  out.push('');
  if (routes.length) {
    out.push('Announced');
    out.push(table(['Peer', 'Prefix', 'AS path (as sent)', 'Next hop', 'MED', 'Communities'], routes));
  } else {
    out.push('Announced: nothing');
  }

  const health = obj(s['health']);
  const checks = arr(health['checks']).map(obj);
  if (checks.length) {
    out.push('');
    out.push('Checks');
    out.push(table(
      ['Check', 'Type', 'State', 'Last result', 'Latency', 'Streak', 'Since'],
      checks.map((c) => {
        const last = obj(c['last']);
        return [
          str(c['name']),
          str(c['type']),
          str(c['state']),
          last['ok'] === undefined ? '-' : `${last['ok'] ? 'ok' : 'FAIL'} ${str(last['detail'], '')}`.trim(),
          typeof last['latencyMs'] === 'number' ? `${Math.round(last['latencyMs'] as number)}ms` : '-',
          str(c['streak']),
          typeof c['stateSince'] === 'string' ? formatDuration(now - Date.parse(c['stateSince'])) : '-',
        ];
      }),
    ));
  }
  const fallback = formatFallbackStatus(s['fallback']);
  if (fallback.length) out.push('', ...fallback);
  const rs = formatRsStatus(s['rsStatus']);
  if (rs.length) out.push('', ...rs);
  return `${out.join('\n')}\n`;
}

/**
 * The daemon's Route Server status (aws.rs-status-interval): this appliance's peers as
 * Route Server sees them (DescribeRouteServerPeers) and, per floating prefix, the next hop
 * in its FIB (GetRouteServerRoutingDatabase). Empty when not polled.
 */
export function formatRsStatus(rs: unknown): string[] {
  if (rs === null || rs === undefined) return [];
  const r = obj(rs);
  const result = obj(r['result']);
  const age = typeof r['ageMs'] === 'number' ? `${formatDuration(r['ageMs'])} ago` : 'no answer yet';
  const out = [`Route Server (as AWS sees it, ${age}; ${str(r['polls'], '0')} poll(s))`];
  if (typeof r['error'] === 'string') out.push(`  last poll failed: ${r['error']}`);
  const peers = arr(result['peers']).map(obj);
  if (peers.length) {
    out.push(table(
      ['  Endpoint', 'RS peer', 'State', 'BGP', 'BFD', 'Liveness'],
      peers.map((p) => [`  ${str(p['endpointAddress'])}`, str(p['id']), str(p['state']), str(p['bgpStatus']), str(p['bfdStatus']), str(p['liveness'])]),
    ));
  } else if (r['result'] !== undefined) {
    out.push('  no Route Server peer has this appliance\'s address');
  }
  const prefixes = arr(result['prefixes']).map(obj);
  if (prefixes.length) {
    out.push(table(
      ['  Prefix', 'Route server', 'In FIB (next hop)', 'Paths'],
      prefixes.map((d) => {
        const fib = d['inFib'] === undefined || d['inFib'] === null ? undefined : obj(d['inFib']);
        const inFib = fib ? `${str(fib['nextHop'])} (${fib['us'] === true ? 'us' : 'another'})` : 'none';
        return [`  ${str(d['prefix'])}`, str(d['routeServerId']), inFib, String(arr(d['paths']).length)];
      }),
    ));
  }
  return out;
}

/**
 * The normalized configuration written back in the file's own form: kebab-case
 * keys, durations as strings with a unit ("5s"), file modes as quoted octal,
 * listen addresses as "host:port", every default filled in. This is what
 * `bgp-sidecar check-config` prints; loading it back gives the same normalized
 * configuration (`reloadsTheSame` checks that, and the test suite checks it
 * for every example in config/).
 *
 * Every section is written out field by field from the types in
 * src/config/{types,health,bfd,aws}.ts: a field added there without being
 * added here is caught by the round-trip check, not silently dropped.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AwsConfig, FallbackConfig, PeerHealthSource } from './aws.js';
import type { BfdPeerConfig } from './bfd.js';
import { formatDuration, type AnnounceSpec, type CheckConfig, type Combine, type HealthConfig, type HooksConfig, type PolicyConfig } from './health.js';
import type { Config, PeerConfig } from './schema.js';
import type { ListenAddress } from './types.js';

type Doc = Record<string, unknown>;

/** Milliseconds -> the shortest exact duration text ("5s", "1m", "250ms"); 0 -> "0s". */
export function durationText(ms: number): string {
  return ms === 0 ? '0s' : formatDuration(ms);
}

/** { host, port } -> "host:port", "[v6]:port". */
export function hostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** 0o660 -> "0660". */
export function modeText(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Keys whose value is undefined are left out (YAML and JSON have no undefined). */
function compact(d: Doc): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(d)) if (v !== undefined) out[k] = v;
  return out;
}

function bfdDoc(b: BfdPeerConfig): Doc {
  return compact({
    'min-tx-ms': b.minTxMs,
    'min-rx-ms': b.minRxMs,
    multiplier: b.multiplier,
    multihop: b.multihop,
    passive: b.passive,
    strict: b.strict,
    auth: b.auth ? { type: b.auth.type, 'key-id': b.auth.keyId, secret: b.auth.secret } : undefined,
  });
}

function peerDoc(p: PeerConfig): Doc {
  return compact({
    address: p.address,
    asn: p.asn,
    port: p.port,
    'local-address': p.localAddress,
    'hold-time': p.holdTime,
    'open-hold-time': p.openHoldTime,
    passive: p.passive,
    bfd: p.bfd ? bfdDoc(p.bfd) : undefined,
    'ipv6-next-hop': p.ipv6NextHop,
    'ipv4-next-hop': p.ipv4NextHop,
    'max-prefixes': p.maxPrefixes,
  });
}

function combineDoc(c: Combine): unknown {
  return c.mode === 'at-least' ? { 'at-least': c.n } : c.mode;
}

function checkDoc(c: CheckConfig): Doc {
  const timing = {
    interval: durationText(c.intervalMs),
    'fast-interval': durationText(c.fastIntervalMs),
    timeout: durationText(c.timeoutMs),
    rise: c.rise,
    fall: c.fall,
  };
  switch (c.type) {
    case 'tcp':
      return { type: c.type, name: c.name, host: c.host, port: c.port, ...timing };
    case 'icmp':
      return { type: c.type, name: c.name, host: c.host, count: c.count, 'min-replies': c.minReplies, ...timing };
    case 'http':
    case 'https':
      return compact({
        type: c.type,
        name: c.name,
        url: c.url,
        method: c.method,
        'expect-status': [...c.expectStatus],
        'body-contains': c.bodyContains,
        'tls-verify': c.tlsVerify,
        ca: c.caFile,
        headers: { ...c.headers },
        ...timing,
      });
    case 'exec':
      return { type: c.type, name: c.name, command: c.command, args: [...c.args], env: { ...c.env }, 'output-limit': c.outputLimit, ...timing };
    case 'file':
      return { type: c.type, name: c.name, path: c.path, ...timing };
    case 'interface':
      // The interface check names the Linux interface `name`; its own name is `check-name`.
      return { type: c.type, 'check-name': c.name, name: c.interface, ...timing };
  }
}

function healthDoc(h: HealthConfig): Doc {
  return {
    combine: combineDoc(h.combine),
    rise: h.rise,
    fall: h.fall,
    interval: durationText(h.intervalMs),
    'fast-interval': durationText(h.fastIntervalMs),
    'start-state': h.startState,
    'announce-before-verdict': h.announceBeforeVerdict,
    checks: h.checks.map(checkDoc),
  };
}

function specDoc(s: AnnounceSpec): Doc {
  if (s.withdraw) return { withdraw: true };
  return compact({
    prepend: s.prepend,
    med: s.med,
    communities: s.communities ? [...s.communities] : undefined,
    'large-communities': s.largeCommunities ? [...s.largeCommunities] : undefined,
  });
}

function policyDoc(p: PolicyConfig): Doc {
  return compact({
    role: p.role,
    up: specDoc(p.up),
    down: specDoc(p.down),
    maintenance: specDoc(p.maintenance),
    'failback-delay': durationText(p.failbackDelayMs),
    'failback-prepend': p.failbackPrepend,
  });
}

function hooksDoc(h: HooksConfig): Doc {
  return compact({
    command: h.command ? [...h.command] : undefined,
    timeout: durationText(h.timeoutMs),
    'sns-topic-arn': h.snsTopicArn,
    // Only meaningful with a topic (the schema drops it otherwise).
    'sns-region': h.snsTopicArn !== undefined ? h.snsRegion : undefined,
  });
}

function awsDoc(a: AwsConfig): Doc {
  return compact({
    region: a.region,
    endpoint: a.endpoint,
    'imds-endpoint': a.imdsEndpoint,
    'instance-id': a.instanceId,
    eni: a.eni,
    zone: a.zone,
    'private-ip': a.privateIp,
    credentials: a.credentials
      ? compact({ 'access-key-id': a.credentials.accessKeyId, 'secret-access-key': a.credentials.secretAccessKey, 'session-token': a.credentials.sessionToken })
      : undefined,
    'max-attempts': a.maxAttempts,
    'request-timeout': durationText(a.requestTimeoutMs),
    'route-server-id': a.routeServerId,
    'sns-topic-arn': a.snsTopicArn,
    'rs-status-interval': a.rsStatusIntervalMs !== undefined ? durationText(a.rsStatusIntervalMs) : undefined,
  });
}

function peerHealthDoc(h: PeerHealthSource): Doc {
  return h.type === 'tcp' ? { tcp: hostPort(h) } : { http: h.url };
}

function fallbackDoc(f: FallbackConfig): Doc {
  const rt = f.routeTables;
  const tgw = f.tgwVpn;
  const dx = f.directConnect;
  return compact({
    'dry-run': f.dryRun,
    'route-tables': rt
      ? compact({
          'dry-run': rt.dryRun,
          appliances: rt.appliances.map((a) => compact({ eni: a.eni, 'route-tables': [...a.routeTables], health: a.health ? peerHealthDoc(a.health) : undefined })),
          destinations: rt.destinations ? [...rt.destinations] : undefined,
          'peer-check': {
            interval: durationText(rt.peerCheck.intervalMs),
            timeout: durationText(rt.peerCheck.timeoutMs),
            rise: rt.peerCheck.rise,
            fall: rt.peerCheck.fall,
          },
          'reconcile-interval': durationText(rt.reconcileIntervalMs),
        })
      : undefined,
    'tgw-vpn': tgw
      ? compact({
          'dry-run': tgw.dryRun,
          pairs: [...tgw.pairs],
          'route-tables': tgw.routeTables ? [...tgw.routeTables] : undefined,
          'poll-interval': durationText(tgw.pollIntervalMs),
          'failover-after': durationText(tgw.failoverAfterMs),
          'failback-after': tgw.failbackAfterMs === false ? false : durationText(tgw.failbackAfterMs),
        })
      : undefined,
    'direct-connect': dx
      ? {
          'dry-run': dx.dryRun,
          'virtual-interfaces': dx.virtualInterfaces.map((v) => ({ id: v.id, 'alarm-on-verdict': v.alarmOnVerdict })),
          'min-available': dx.minAvailable,
          'test-duration-minutes': dx.testDurationMinutes,
          'poll-interval': durationText(dx.pollIntervalMs),
        }
      : undefined,
  });
}

function metricsDoc(m: ListenAddress | false): unknown {
  return m === false ? false : { listen: hostPort(m) };
}

/** The normalized config as a document in the config file's form (kebab-case, units, defaults filled in). */
export function configToDocument(cfg: Config): Doc {
  return compact({
    'local-asn': cfg.localAsn,
    'router-id': cfg.routerId,
    listen: cfg.listen ? hostPort(cfg.listen) : undefined,
    prefixes: [...cfg.prefixes],
    announce: compact({
      prepend: cfg.announce.prepend,
      med: cfg.announce.med,
      communities: [...cfg.announce.communities],
      'large-communities': [...cfg.announce.largeCommunities],
    }),
    peers: cfg.peers.map(peerDoc),
    health: cfg.health ? healthDoc(cfg.health) : undefined,
    policy: policyDoc(cfg.policy),
    loopback: { manage: cfg.loopback.manage, interface: cfg.loopback.interface },
    hooks: hooksDoc(cfg.hooks),
    aws: cfg.aws ? awsDoc(cfg.aws) : undefined,
    fallback: cfg.fallback ? fallbackDoc(cfg.fallback) : undefined,
    control: compact({ socket: cfg.control.socket, mode: modeText(cfg.control.mode), group: cfg.control.group }),
    metrics: metricsDoc(cfg.metrics),
    'log-level': cfg.logLevel,
  });
}

/**
 * Paths (camelCase, dotted) where `reloaded` differs from `cfg`; empty when the
 * document loads back to the same configuration.
 */
export function configDifferences(cfg: unknown, reloaded: unknown, path = ''): string[] {
  if (isDeepStrictEqual(cfg, reloaded)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObj(cfg) || !isObj(reloaded) || Array.isArray(cfg) !== Array.isArray(reloaded)) return [path || '(root)'];
  const keys = new Set([...Object.keys(cfg), ...Object.keys(reloaded)]);
  const out: string[] = [];
  for (const k of keys) {
    const p = Array.isArray(cfg) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    out.push(...configDifferences(cfg[k], reloaded[k], p));
  }
  return out;
}

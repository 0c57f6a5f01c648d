/**
 * Which Linux capabilities a configuration needs (capabilities(7)), so that
 * `install --capabilities auto` can grant exactly those, and the daemon can
 * say at start which configured feature will fail for lack of one.
 */
import type { Config } from '../../../config/schema.js';

/** Capability numbers from linux/capability.h. */
export const CAP_BITS = { CAP_NET_BIND_SERVICE: 10, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_SYS_NICE: 23 } as const;
export type CapName = keyof typeof CAP_BITS;

export interface CapNeed {
  cap: CapName;
  /** The config path of the feature that needs it. */
  path: string;
  why: string;
}

/** Every (capability, feature) pair the config implies; empty when it needs none. */
export function capabilityNeeds(cfg: Config): CapNeed[] {
  const needs: CapNeed[] = [];
  cfg.peers.forEach((p, i) => {
    // BFD reads the received TTL from a raw IPPROTO_UDP socket (RFC 5881 5: TTL must be 255).
    if (p.bfd !== undefined) {
      needs.push({ cap: 'CAP_NET_RAW', path: `peers[${i}].bfd`, why: 'BFD receives on a raw socket to check TTL 255' });
      // The worker runs at SCHED_FIFO so CPU load cannot delay transmits past the detection time.
      needs.push({ cap: 'CAP_SYS_NICE', path: `peers[${i}].bfd`, why: 'the BFD worker runs at real-time priority' });
    }
  });
  cfg.health?.checks.forEach((c, i) => {
    if (c.type === 'icmp') needs.push({ cap: 'CAP_NET_RAW', path: `health.checks[${i}]`, why: 'ICMP echo needs a raw socket' });
  });
  if (cfg.loopback.manage) needs.push({ cap: 'CAP_NET_ADMIN', path: 'loopback.manage', why: `adds and removes the floating prefixes on ${cfg.loopback.interface}` });
  if (cfg.listen && cfg.listen.port < 1024) needs.push({ cap: 'CAP_NET_BIND_SERVICE', path: 'listen', why: `binds TCP port ${cfg.listen.port}` });
  if (cfg.metrics !== false && cfg.metrics.port < 1024) needs.push({ cap: 'CAP_NET_BIND_SERVICE', path: 'metrics.listen', why: `binds TCP port ${cfg.metrics.port}` });
  return needs;
}

/** The distinct capabilities needed, sorted. */
export function requiredCapabilities(cfg: Config): CapName[] {
  return [...new Set(capabilityNeeds(cfg).map((n) => n.cap))].sort();
}

/** CapEff of this process from /proc/self/status text, or undefined if absent. */
export function effectiveCapabilities(procStatus: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(procStatus);
  return m ? BigInt(`0x${m[1]}`) : undefined;
}

/**
 * The configured features that will fail because the process lacks their
 * capability: one entry per feature, for a warning at start-up. Root without
 * a bounding set restriction has them all and gets [].
 */
export function missingCapabilities(cfg: Config, capEff: bigint): CapNeed[] {
  return capabilityNeeds(cfg).filter((n) => (capEff & (1n << BigInt(CAP_BITS[n.cap]))) === 0n);
}

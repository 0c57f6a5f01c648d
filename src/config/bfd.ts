/**
 * Config fragment for the per-peer `bfd` key.
 *
 *   bfd: true                      # defaults: 300 ms x 3, single hop, active, not strict
 *   bfd:
 *     min-tx-ms: 100               # bfd.DesiredMinTxInterval (RFC 5880 6.8.1), 10..60000
 *     min-rx-ms: 100               # bfd.RequiredMinRxInterval, 10..60000
 *     multiplier: 3                # bfd.DetectMult, 1..255
 *     multihop: false              # RFC 5883 (UDP 4784) instead of RFC 5881 (UDP 3784)
 *     passive: false               # RFC 5880 6.1: wait for the peer to speak first
 *     strict: false                # true: BGP runs only while BFD is Up
 *     auth: { type: keyed-sha1, key-id: 1, secret: "..." }
 *
 * Output is camelCase and fully defaulted; `bfd: false` (or absent) means no BFD.
 */
import { z } from 'zod';
import type { BfdAuthTypeName } from '../bfd/constants.js';

export const BFD_DEFAULTS = { minTxMs: 300, minRxMs: 300, multiplier: 3 } as const;

export interface BfdPeerConfig {
  minTxMs: number;
  minRxMs: number;
  multiplier: number;
  multihop: boolean;
  passive: boolean;
  strict: boolean;
  auth?: { type: BfdAuthTypeName; keyId: number; secret: string };
}

const AUTH_TYPES = ['simple', 'keyed-md5', 'meticulous-keyed-md5', 'keyed-sha1', 'meticulous-keyed-sha1'] as const;
/** RFC 5880 4.2-4.4: password 1..16, MD5 key 1..16, SHA1 key 1..20 bytes. */
const SECRET_MAX: Record<BfdAuthTypeName, number> = {
  simple: 16,
  'keyed-md5': 16,
  'meticulous-keyed-md5': 16,
  'keyed-sha1': 20,
  'meticulous-keyed-sha1': 20,
};

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a map' : typeof v;
}

const int = (min: number, max: number, what: string) =>
  z.unknown().transform((v, ctx): number => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    ctx.addIssue({ code: 'custom', message: `expected ${what}: an integer ${min}..${max}, got ${show(v)}`, input: v });
    return z.NEVER;
  });

const bool = z.unknown().transform((v, ctx): boolean => {
  if (typeof v === 'boolean') return v;
  ctx.addIssue({ code: 'custom', message: `expected true or false, got ${show(v)}`, input: v });
  return z.NEVER;
});

const authSchema = z
  .strictObject(
    {
      type: z.unknown().transform((v, ctx): BfdAuthTypeName => {
        if (typeof v === 'string' && (AUTH_TYPES as readonly string[]).includes(v)) return v as BfdAuthTypeName;
        ctx.addIssue({ code: 'custom', message: `expected one of ${AUTH_TYPES.join(', ')}, got ${show(v)}`, input: v });
        return z.NEVER;
      }),
      'key-id': int(0, 255, 'a key id'),
      secret: z.unknown().transform((v, ctx): string => {
        if (typeof v === 'string' && v.length > 0) return v;
        ctx.addIssue({ code: 'custom', message: `expected a non-empty secret string, got ${v === undefined ? 'nothing' : typeof v}`, input: undefined });
        return z.NEVER;
      }),
    },
    { error: (i) => (i.code === 'invalid_type' ? `expected a map with type, key-id and secret, got ${show(i.input)}` : undefined) },
  )
  .superRefine((a, ctx) => {
    const n = Buffer.byteLength(a.secret, 'utf8');
    const max = SECRET_MAX[a.type];
    // Never echo the secret itself in an error.
    if (n > max) ctx.addIssue({ code: 'custom', path: ['secret'], message: `expected at most ${max} bytes for ${a.type} (RFC 5880 4.2-4.4), got ${n}` });
  })
  .transform((a) => ({ type: a.type, keyId: a['key-id'], secret: a.secret }));

const bfdObject = z.strictObject(
  {
    'min-tx-ms': int(10, 60_000, 'min-tx-ms (milliseconds)').optional(),
    'min-rx-ms': int(10, 60_000, 'min-rx-ms (milliseconds)').optional(),
    multiplier: int(1, 255, 'a detect multiplier').optional(),
    multihop: bool.optional(),
    passive: bool.optional(),
    strict: bool.optional(),
    auth: authSchema.optional(),
  },
  {
    error: (i) =>
      i.code === 'invalid_type'
        ? `expected true, false or a map (min-tx-ms, min-rx-ms, multiplier, multihop, passive, strict, auth), got ${show(i.input)}`
        : undefined,
  },
);

const EXPECTED = 'true, false or a map (min-tx-ms, min-rx-ms, multiplier, multihop, passive, strict, auth)';

/** The per-peer `bfd` value: true, false, or a map. Output undefined means BFD is off. */
export const peerBfdSchema = z.unknown().transform((v, ctx): BfdPeerConfig | undefined => {
  if (v === false) return undefined;
  let o: z.output<typeof bfdObject> = {};
  if (v !== true) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `expected ${EXPECTED}, got ${show(v)}`, input: v });
      return z.NEVER;
    }
    const r = bfdObject.safeParse(v);
    if (!r.success) {
      // Forward each issue with its own path, so the loader prints `peers.0.bfd.min-tx-ms: ...`.
      for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)) });
      return z.NEVER;
    }
    o = r.data;
  }
  return {
    minTxMs: o['min-tx-ms'] ?? BFD_DEFAULTS.minTxMs,
    minRxMs: o['min-rx-ms'] ?? BFD_DEFAULTS.minRxMs,
    multiplier: o.multiplier ?? BFD_DEFAULTS.multiplier,
    multihop: o.multihop ?? false,
    passive: o.passive ?? false,
    strict: o.strict ?? false,
    ...(o.auth ? { auth: o.auth } : {}),
  };
});

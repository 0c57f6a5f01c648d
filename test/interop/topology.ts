/**
 * The two-namespace topology every interop test file shares: `sp` runs our
 * Speaker, `peer` runs the real daemon, one veth link with IPv4 and IPv6.
 */
import { Netns, veth } from '../lib/netns.js';

export interface PairTopology {
  sp: Netns;
  peer: Netns;
  /** Our address on the link. */
  spV4: string;
  spV6: string;
  /** The daemon's address on the link. */
  peerV4: string;
  peerV6: string;
}

/** `net` picks the third octet / hextet so files running in parallel are easy to tell apart in captures. */
export async function pairTopology(tag: string, net: number): Promise<PairTopology> {
  const sp = await Netns.create(`sp${tag}`);
  const peer = await Netns.create(tag);
  const t: PairTopology = {
    sp,
    peer,
    spV4: `10.255.${net}.2`,
    spV6: `fd00:255:${net}::2`,
    peerV4: `10.255.${net}.1`,
    peerV6: `fd00:255:${net}::1`,
  };
  await veth({ ns: sp, ifname: 'eth0', addrs: [`${t.spV4}/24`, `${t.spV6}/64`] }, { ns: peer, ifname: 'eth0', addrs: [`${t.peerV4}/24`, `${t.peerV6}/64`] });
  return t;
}

/** Our ASN in the interop tests: 4-octet (RFC 6793), above 65535 on purpose. */
export const SP_ASN = 4200000001;
export const V4_PREFIX = '172.16.1.1/32';
export const V6_PREFIX = '2001:db8:1::1/128';

/**
 * IPv4 + UDP header parsing for BFD packets received through a raw IPPROTO_UDP socket, which
 * hands us the whole IPv4 datagram: that is how the TTL is read (RFC 5881 5). Pure.
 */
export interface ReceivedUdp {
  ttl: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export type Ipv4ParseResult = { ok: true; udp: ReceivedUdp } | { ok: false; why: string };

/** Parse an IPv4 datagram carrying UDP. Returns why it is not one we can use. */
export function parseIpv4Udp(b: Uint8Array): Ipv4ParseResult {
  if (b.length < 28) return { ok: false, why: 'short' };
  const v = b[0]! >> 4;
  const ihl = (b[0]! & 0x0f) * 4;
  if (v !== 4 || ihl < 20 || b.length < ihl + 8) return { ok: false, why: 'not-ipv4' };
  if (b[9] !== 17) return { ok: false, why: 'not-udp' };
  // A fragment (MF set or offset nonzero) is not a whole BFD packet; BFD packets are tiny and
  // never fragmented, so a fragment is dropped rather than reassembled.
  const frag = ((b[6]! << 8) | b[7]!) & 0x3fff;
  if (frag !== 0) return { ok: false, why: 'fragment' };
  // The UDP length bounds the payload; it must fit in what was received.
  const udpLen = (b[ihl + 4]! << 8) | b[ihl + 5]!;
  if (udpLen < 8 || ihl + udpLen > b.length) return { ok: false, why: 'bad-udp-length' };
  return {
    ok: true,
    udp: {
      ttl: b[8]!,
      src: `${b[12]}.${b[13]}.${b[14]}.${b[15]}`,
      dst: `${b[16]}.${b[17]}.${b[18]}.${b[19]}`,
      srcPort: (b[ihl]! << 8) | b[ihl + 1]!,
      dstPort: (b[ihl + 2]! << 8) | b[ihl + 3]!,
      payload: b.subarray(ihl + 8, ihl + udpLen),
    },
  };
}

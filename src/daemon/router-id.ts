/**
 * The default BGP Identifier: the local address the kernel picks to reach
 * the first peer (a connected UDP socket sends nothing, it only routes).
 */
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';

export async function localAddressFor(peer: string, port = 179): Promise<string> {
  const sock = createSocket(isIPv4(peer) ? 'udp4' : 'udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, peer, () => resolve());
    });
    return sock.address().address;
  } finally {
    sock.close();
  }
}

/** RFC 6286: a non-zero 4-octet value, written as an IPv4 address. */
export async function resolveRouterId(configured: string | undefined, firstPeer: { address: string; localAddress?: string } | undefined): Promise<string> {
  if (configured) return configured;
  if (!firstPeer) throw new Error('router-id: missing and there is no peer to derive it from');
  if (firstPeer.localAddress && isIPv4(firstPeer.localAddress)) return firstPeer.localAddress;
  if (!isIPv4(firstPeer.address)) throw new Error('router-id: missing: required when peers[0] is IPv6');
  let local: string;
  try {
    local = await localAddressFor(firstPeer.address);
  } catch (e) {
    throw new Error(`router-id: missing, and no local address routes to ${firstPeer.address} (${(e as Error).message}); set router-id or peers[0].local-address`);
  }
  if (!isIPv4(local) || local === '0.0.0.0') throw new Error(`router-id: missing, and the route to ${firstPeer.address} has no IPv4 source; set router-id`);
  return local;
}

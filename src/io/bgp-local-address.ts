/**
 * The source address the kernel would use toward a peer, without sending a
 * packet: connect() a UDP socket (no datagram leaves) and read its address.
 * Used for the default BGP Identifier (docs/speaker.md "Router ID").
 */
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';

export function resolveSourceAddress(peer: string, port = 179, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const type = net.isIPv6(peer) ? 'udp6' : 'udp4';
    const sock = dgram.createSocket(type);
    const done = (err: Error | null, addr?: string) => {
      clearTimeout(t);
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      if (err) reject(err);
      else resolve(addr!);
    };
    const t = setTimeout(() => done(new Error(`no route to ${peer}: source address lookup timed out`)), timeoutMs);
    sock.once('error', (err) => done(new Error(`no route to ${peer}: ${err.message}`)));
    sock.connect(port, peer, () => {
      try {
        done(null, sock.address().address);
      } catch (e) {
        done(e as Error);
      }
    });
  });
}

/** First non-internal IPv4 address of the host, for a BGP Identifier when every peer is IPv6. */
export function firstHostIpv4(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

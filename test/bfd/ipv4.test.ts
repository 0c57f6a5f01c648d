import t from 'tap';
import { parseIpv4Udp } from '../../src/io/bfd-ipv4.js';

// An IPv4/UDP datagram as a raw IPPROTO_UDP socket delivers it, written by hand.
const DGRAM = Uint8Array.from([
  0x45, //                   version 4, IHL 5 (20 bytes)
  0xc0, //                   DSCP CS6 (what BIRD and FRR use for BFD)
  0x00, 0x34, //             total length 52
  0x12, 0x34, //             identification
  0x40, 0x00, //             flags DF, fragment offset 0
  0xfe, //                   TTL 254
  0x11, //                   protocol 17 (UDP)
  0x00, 0x00, //             header checksum (not checked)
  10, 0, 0, 2, //            source 10.0.0.2
  10, 0, 0, 1, //            destination 10.0.0.1
  0xc3, 0x50, //             UDP source port 50000
  0x0e, 0xc8, //             UDP destination port 3784
  0x00, 0x20, //             UDP length 32 (8 + 24)
  0x00, 0x00, //             UDP checksum
  ...new Array(24).fill(7), // 24 bytes of payload
]);

t.test('parse TTL, addresses, ports, payload', async (t) => {
  const r = parseIpv4Udp(DGRAM);
  t.ok(r.ok);
  if (!r.ok) return;
  t.match(r.udp, { ttl: 254, src: '10.0.0.2', dst: '10.0.0.1', srcPort: 50000, dstPort: 3784 });
  t.equal(r.udp.payload.length, 24);
});

t.test('refuse what is not a whole IPv4 UDP datagram', async (t) => {
  const mod = (i: number, v: number) => {
    const c = Uint8Array.from(DGRAM);
    c[i] = v;
    return c;
  };
  t.match(parseIpv4Udp(DGRAM.subarray(0, 27)), { ok: false, why: 'short' });
  t.match(parseIpv4Udp(mod(0, 0x65)), { ok: false, why: 'not-ipv4' });
  t.match(parseIpv4Udp(mod(0, 0x44)), { ok: false, why: 'not-ipv4' }, 'IHL 4');
  t.match(parseIpv4Udp(mod(9, 6)), { ok: false, why: 'not-udp' });
  t.match(parseIpv4Udp(mod(6, 0x20)), { ok: false, why: 'fragment' }, 'MF set');
  t.match(parseIpv4Udp(mod(7, 0x01)), { ok: false, why: 'fragment' }, 'offset nonzero');
  t.match(parseIpv4Udp(mod(25, 0x40)), { ok: false, why: 'bad-udp-length' }, 'UDP length past the buffer');
  t.match(parseIpv4Udp(mod(25, 0x04)), { ok: false, why: 'bad-udp-length' }, 'UDP length under 8');
  const fc = await import('fast-check');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => typeof parseIpv4Udp(b).ok === 'boolean'), { numRuns: 3000 });
});

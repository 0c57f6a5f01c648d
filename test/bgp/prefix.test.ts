/** Prefix and address text helpers. */
import t from 'tap';
import { formatIpv6, formatPrefix, parseIpv4, parseIpv6, parsePrefix, prefixKey } from '../../src/bgp/index.js';

t.test('parsePrefix', async (t) => {
  t.same(parsePrefix('172.16.1.1/32'), { afi: 1, addr: '172.16.1.1', len: 32 });
  t.same(parsePrefix(' 10.0.0.0/8 '), { afi: 1, addr: '10.0.0.0', len: 8 });
  t.same(parsePrefix('0.0.0.0/0'), { afi: 1, addr: '0.0.0.0', len: 0 });
  t.same(parsePrefix('172.16.1.1'), { afi: 1, addr: '172.16.1.1', len: 32 }, 'bare address = host route');
  t.same(parsePrefix('2001:DB8:0:0::/32'), { afi: 2, addr: '2001:db8::', len: 32 });
  t.same(parsePrefix('2001:db8::1'), { afi: 2, addr: '2001:db8::1', len: 128 });
  t.same(parsePrefix('10.1.2.3/24', { strict: false }), { afi: 1, addr: '10.1.2.0', len: 24 });
  t.throws(() => parsePrefix('10.1.2.3/24'), /host bits set beyond \/24 \(did you mean 10.1.2.0\/24\?\)/);
  t.throws(() => parsePrefix('10.0.0.0/33'), /above 32/);
  t.throws(() => parsePrefix('2001:db8::/129'), /above 128/);
  t.throws(() => parsePrefix('10.0.0/24'), /not an IPv4 address/);
  t.throws(() => parsePrefix('10.0.0.256/32'), /not an IPv4 address/);
  t.throws(() => parsePrefix('010.0.0.1/32'), /not an IPv4 address/);
  t.throws(() => parsePrefix('10.0.0.0/x'), /not a number/);
  t.throws(() => parsePrefix('10.0.0.0/'), /not a number/);
  t.throws(() => parsePrefix('2001:db8:::1/64'), /not an IPv6 address/);
  t.throws(() => parsePrefix('fe80::1%eth0/64'), /not an IPv6 address/);
  t.throws(() => parsePrefix(''), /not an IPv4 address/);
  t.equal(formatPrefix(parsePrefix('2001:db8::/32')), '2001:db8::/32');
  t.equal(prefixKey({ afi: 1, addr: '10.0.0.0', len: 8, pathId: 3 }), '1:10.0.0.0/8#3');
});

t.test('IPv4 parsing', async (t) => {
  t.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  t.equal(parseIpv4('1.2.3.4'), 0x01020304);
  for (const bad of ['1.2.3', '1.2.3.4.5', '1..3.4', '1.2.3.4 ', 'a.b.c.d', '256.1.1.1', '1.2.3.04', '']) t.equal(parseIpv4(bad), -1, bad);
});

t.test('IPv6 text is canonical (RFC 5952 4)', async (t) => {
  const canon = (s: string) => formatIpv6(parseIpv6(s));
  t.equal(canon('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  t.equal(canon('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1', 'a single zero group is not compressed');
  t.equal(canon('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1', 'the longest run is compressed');
  t.equal(canon('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1', 'first of equal runs');
  t.equal(canon('::'), '::');
  t.equal(canon('::1'), '::1');
  t.equal(canon('fe80::'), 'fe80::');
  t.equal(canon('::ffff:192.0.2.1'), '::ffff:c000:201');
  t.equal(canon('ABCD:EF01:2345:6789:ABCD:EF01:2345:6789'), 'abcd:ef01:2345:6789:abcd:ef01:2345:6789');
  for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '12345::', 'g::', '1:2:3:4:5:6:7:1.2.3.4', ':']) {
    t.throws(() => parseIpv6(bad), /invalid IPv6/, bad);
  }
});

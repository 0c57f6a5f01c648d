/** Stream framing (RFC 4271 4.1, 6.1; RFC 8654; RFC 7313 5): chunks, header errors, fatal stop. */
import t from 'tap';
import { BgpStreamParser, type ParsedItem } from '../../src/bgp/index.js';
import { hex, msg, toHex } from './helpers.js';

const KEEPALIVE = msg(4);

function errOf(items: ParsedItem[]) {
  const last = items[items.length - 1];
  if (last === undefined || last.ok) throw new Error(`expected error, got ${JSON.stringify(items)}`);
  return last.error;
}

t.test('keepalive fixture: 19 octets, marker + length 19 + type 4', async (t) => {
  t.equal(toHex(KEEPALIVE), 'ffffffffffffffffffffffffffffffff' + '0013' + '04');
  const items = new BgpStreamParser().push(KEEPALIVE);
  t.same(items, [{ ok: true, message: { type: 'keepalive' } }]);
});

t.test('merged and split chunks give the same messages', async (t) => {
  const notif = msg(3, '06 02', '05 68656c6c6f'); // Cease/Admin Shutdown "hello"
  const rr = msg(5, '0002 00 01'); // ROUTE-REFRESH AFI 2, subtype 0, SAFI 1
  const stream = Buffer.concat([KEEPALIVE, rr, KEEPALIVE, notif]);
  const whole = new BgpStreamParser().push(stream);
  t.equal(whole.length, 4);
  t.same(whole[1], { ok: true, message: { type: 'route-refresh', afi: 2, subtype: 0, safi: 1 } });
  t.match(whole[3], { ok: true, message: { type: 'notification', code: 6, subcode: 2 } });
  // Every split point, and one octet at a time.
  for (let cut = 1; cut < stream.length; cut++) {
    const p = new BgpStreamParser();
    const got = [...p.push(stream.subarray(0, cut)), ...p.push(stream.subarray(cut))];
    if (JSON.stringify(got) !== JSON.stringify(whole)) t.fail(`split at ${cut}`);
  }
  const p = new BgpStreamParser();
  const got: ParsedItem[] = [];
  for (const b of stream) got.push(...p.push(Uint8Array.of(b)));
  t.same(got, whole, 'one octet at a time');
  t.equal(p.buffered, 0);
});

t.test('the parser copies what it keeps: reusing the chunk buffer is safe', async (t) => {
  const p = new BgpStreamParser();
  const chunk = Buffer.from(KEEPALIVE);
  t.same(p.push(chunk.subarray(0, 10)), []);
  chunk.fill(0); // caller reuses its buffer
  t.same(p.push(Buffer.from(KEEPALIVE).subarray(10)), [{ ok: true, message: { type: 'keepalive' } }]);
});

t.test('marker: Connection Not Synchronized (1/1), detected on the first bad octet', async (t) => {
  const p = new BgpStreamParser();
  const e = errOf(p.push(hex('ffff00')));
  t.match(e, { code: 1, subcode: 1 });
  t.same(e.data, new Uint8Array(0));
  t.same(e.toNotification(), { type: 'notification', code: 1, subcode: 1, data: new Uint8Array(0) });
  t.same(p.push(KEEPALIVE), [], 'refuses input after a fatal error');
  t.equal(p.failed, e);
});

t.test('length out of range: Bad Message Length (1/2) with the length as data', async (t) => {
  const short = KEEPALIVE.slice();
  short[17] = 18;
  let e = errOf(new BgpStreamParser().push(short));
  t.match(e, { code: 1, subcode: 2 });
  t.equal(toHex(e.data), '0012');

  const long = hex('ffffffffffffffffffffffffffffffff 1001 02');
  e = errOf(new BgpStreamParser().push(long));
  t.match(e, { code: 1, subcode: 2 });
  t.equal(toHex(e.data), '1001', '4097 refused before the body arrives');

  // With RFC 8654 extended message negotiated, 4097..65535 is fine for UPDATE...
  const big = new Uint8Array(5000);
  big.fill(0xff, 0, 16);
  big[16] = 5000 >> 8;
  big[17] = 5000 & 0xff;
  big[18] = 2;
  // withdrawn routes: 4977 octets of /8 prefixes (2 octets each) would be odd; use /0 prefixes (1 octet each)
  const body = 5000 - 19;
  big[19] = (body - 4) >> 8;
  big[20] = (body - 4) & 0xff;
  // prefixes of length 0 (one octet each), then total attribute length 0
  big.fill(0, 21, 21 + body - 4);
  big[21 + body - 4] = 0;
  big[22 + body - 4] = 0;
  const ext = new BgpStreamParser({ extendedMessage: true }).push(big);
  t.equal(ext.length, 1);
  t.ok(ext[0]!.ok);
  t.match(errOf(new BgpStreamParser().push(big)), { code: 1, subcode: 2 }, 'refused without extended message');

  // ...but never for OPEN (RFC 8654 4).
  const bigOpen = hex('ffffffffffffffffffffffffffffffff 1388 01');
  t.match(errOf(new BgpStreamParser({ extendedMessage: true }).push(bigOpen)), { code: 1, subcode: 2 });
});

t.test('per-type minimum lengths (RFC 4271 6.1)', async (t) => {
  const cases: [number, number][] = [
    [1, 28], // OPEN < 29
    [2, 22], // UPDATE < 23
    [3, 20], // NOTIFICATION < 21
    [4, 20], // KEEPALIVE != 19
  ];
  for (const [type, len] of cases) {
    const b = new Uint8Array(len);
    b.fill(0xff, 0, 16);
    b[17] = len;
    b[18] = type;
    const e = errOf(new BgpStreamParser().push(b));
    t.match(e, { code: 1, subcode: 2 }, `type ${type} length ${len}`);
    t.same([...e.data], [0, len]);
  }
});

t.test('unknown type: Bad Message Type (1/3) with the type as data', async (t) => {
  for (const type of [0, 6, 255]) {
    const e = errOf(new BgpStreamParser().push(hex(`ffffffffffffffffffffffffffffffff 0013 ${type.toString(16).padStart(2, '0')}`)));
    t.match(e, { code: 1, subcode: 3 });
    t.same([...e.data], [type]);
  }
});

t.test('ROUTE-REFRESH: RFC 7313 subtypes, bad length 7/1, unknown subtype ignored', async (t) => {
  const borr = msg(5, '0001 01 01');
  const eorr = msg(5, '0001 02 01');
  t.same(new BgpStreamParser().push(Buffer.concat([borr, eorr])).map((i) => i.ok && i.message), [
    { type: 'route-refresh', afi: 1, subtype: 1, safi: 1 },
    { type: 'route-refresh', afi: 1, subtype: 2, safi: 1 },
  ]);
  const long = msg(5, '0001 00 01 00');
  const e = errOf(new BgpStreamParser().push(long));
  t.match(e, { code: 7, subcode: 1 });
  t.equal(toHex(e.data), toHex(long), 'data is the whole message');
  // RFC 7313 5: other subtypes are ignored, the stream goes on.
  const items = new BgpStreamParser().push(Buffer.concat([msg(5, '0001 07 01'), KEEPALIVE]));
  t.same(items, [{ ok: true, message: { type: 'keepalive' } }]);
});

t.test('messages before a fatal error are still returned', async (t) => {
  const items = new BgpStreamParser().push(Buffer.concat([KEEPALIVE, KEEPALIVE, hex('00')]));
  t.equal(items.length, 3);
  t.ok(items[0]!.ok && items[1]!.ok);
  t.match(errOf(items), { code: 1, subcode: 1 });
});

t.test('setOptions applies to the octets that follow', async (t) => {
  // An UPDATE whose AS_PATH is 65001 4200000001 in the 4-octet form.
  const four = hex(`
    ffffffffffffffffffffffffffffffff 0033 02
    0000 0018
    40 01 01 00
    40 02 0a 02 02 0000fde9 fa56ea01
    40 03 04 c0000201
    18 cb0071`);
  t.equal(four.length, 0x33);
  const p = new BgpStreamParser();
  const before = p.push(four);
  t.ok(before[0]!.ok && before[0]!.problems !== undefined, 'as 2-octet the path is malformed');
  const q = new BgpStreamParser();
  q.setOptions({ fourOctetAs: true, extendedMessage: false });
  const after = q.push(four);
  t.match(after[0], { ok: true, message: { attributes: { asPath: [{ type: 'sequence', asns: [65001, 4200000001] }] } } });
  t.equal(after[0]!.ok && after[0]!.problems, undefined);
});

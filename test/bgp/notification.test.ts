/** NOTIFICATION encoding and descriptions: RFC 4271, RFC 4486, RFC 8538, RFC 9003, RFC 9384. */
import t from 'tap';
import {
  BgpMessageError,
  BgpStreamParser,
  ERROR_SUBCODE_NAMES,
  describeNotification,
  encodeMessage,
  shutdownCommunication,
} from '../../src/bgp/index.js';
import { hex, msg, toHex } from './helpers.js';

t.test('NOTIFICATION fixture: Cease/Administrative Shutdown with a shutdown communication', async (t) => {
  const bytes = msg(3, `
    06            # error code 6 Cease
    02            # subcode 2 Administrative Shutdown (RFC 4486)
    0b            # RFC 9003 length 11
    6d61696e74656e616e6365  # "maintenance"`);
  const n = { type: 'notification' as const, code: 6, subcode: 2, data: hex('0b 6d61696e74656e616e6365') };
  t.same(new BgpStreamParser().push(bytes), [{ ok: true, message: n }], 'parse');
  t.equal(toHex(encodeMessage(n)), toHex(bytes), 'encode');
  t.equal(toHex(shutdownCommunication('maintenance')), '0b6d61696e74656e616e6365', 'shutdownCommunication');
  t.equal(describeNotification(n), 'Cease/Administrative Shutdown: "maintenance"');
});

t.test('shutdown communication is cut at 255 octets on a UTF-8 boundary', async (t) => {
  const long = 'é'.repeat(200); // 400 octets, 2 each
  const b = shutdownCommunication(long);
  t.equal(b[0], 254, 'an odd cut would split a character: 254, not 255');
  t.equal(b.length, 255);
  t.equal(new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(1)), 'é'.repeat(127));
  const euro = shutdownCommunication('a' + '€'.repeat(100)); // 1 + 300 octets
  t.equal(euro[0], 253);
  t.equal(shutdownCommunication('x'.repeat(300))[0], 255);
  t.equal(toHex(shutdownCommunication('')), '00');
});

t.test('descriptions of every code and subcode', async (t) => {
  const expected: [number, number, string][] = [
    [1, 1, 'Message Header Error/Connection Not Synchronized'],
    [1, 2, 'Message Header Error/Bad Message Length'],
    [1, 3, 'Message Header Error/Bad Message Type'],
    [2, 1, 'OPEN Message Error/Unsupported Version Number'],
    [2, 2, 'OPEN Message Error/Bad Peer AS'],
    [2, 3, 'OPEN Message Error/Bad BGP Identifier'],
    [2, 4, 'OPEN Message Error/Unsupported Optional Parameter'],
    [2, 6, 'OPEN Message Error/Unacceptable Hold Time'],
    [2, 7, 'OPEN Message Error/Unsupported Capability'],
    [3, 1, 'UPDATE Message Error/Malformed Attribute List'],
    [3, 2, 'UPDATE Message Error/Unrecognized Well-known Attribute'],
    [3, 3, 'UPDATE Message Error/Missing Well-known Attribute'],
    [3, 4, 'UPDATE Message Error/Attribute Flags Error'],
    [3, 5, 'UPDATE Message Error/Attribute Length Error'],
    [3, 6, 'UPDATE Message Error/Invalid ORIGIN Attribute'],
    [3, 8, 'UPDATE Message Error/Invalid NEXT_HOP Attribute'],
    [3, 9, 'UPDATE Message Error/Optional Attribute Error'],
    [3, 10, 'UPDATE Message Error/Invalid Network Field'],
    [3, 11, 'UPDATE Message Error/Malformed AS_PATH'],
    [4, 0, 'Hold Timer Expired/Unspecific'],
    [5, 1, 'Finite State Machine Error/Receive Unexpected Message in OpenSent State'],
    [5, 2, 'Finite State Machine Error/Receive Unexpected Message in OpenConfirm State'],
    [5, 3, 'Finite State Machine Error/Receive Unexpected Message in Established State'],
    [6, 1, 'Cease/Maximum Number of Prefixes Reached'],
    [6, 3, 'Cease/Peer De-configured'],
    [6, 5, 'Cease/Connection Rejected'],
    [6, 6, 'Cease/Other Configuration Change'],
    [6, 7, 'Cease/Connection Collision Resolution'],
    [6, 8, 'Cease/Out of Resources'],
    [6, 9, 'Cease/Hard Reset'],
    [6, 10, 'Cease/BFD Down'],
    [7, 1, 'ROUTE-REFRESH Message Error/Invalid Message Length'],
  ];
  for (const [code, subcode, text] of expected) {
    t.equal(describeNotification({ type: 'notification', code, subcode, data: new Uint8Array(0) }), text);
  }
  t.equal(Object.keys(ERROR_SUBCODE_NAMES[6]!).length, 11);
  t.equal(describeNotification({ type: 'notification', code: 9, subcode: 9, data: new Uint8Array(0) }), 'Unknown error code 9/subcode 9');
});

t.test('descriptions decode the data they know', async (t) => {
  const d = (code: number, subcode: number, data: string) => describeNotification({ type: 'notification', code, subcode, data: hex(data) });
  t.equal(d(6, 1, '0001 01 00000064'), 'Cease/Maximum Number of Prefixes Reached: AFI 1 SAFI 1 limit 100');
  t.equal(d(2, 1, '0004'), 'OPEN Message Error/Unsupported Version Number: peer supports version 4');
  t.equal(d(6, 9, '06 02 03 616263'), 'Cease/Hard Reset (Cease/Administrative Shutdown: "abc")');
  t.equal(d(6, 4, '05 6869'), 'Cease/Administrative Reset (invalid shutdown communication: length 5 exceeds the 2 octets present; data 056869)');
  t.equal(d(6, 2, '02 c328'), 'Cease/Administrative Shutdown (invalid shutdown communication: not valid UTF-8; data 02c328)');
  t.equal(d(6, 2, '04 610a620d'), 'Cease/Administrative Shutdown: "a\\nb\\r"', 'control characters escaped');
  t.equal(d(3, 2, '403202abcd'), 'UPDATE Message Error/Unrecognized Well-known Attribute (data 403202abcd)');
});

t.test('BgpMessageError.toNotification', async (t) => {
  const e = new BgpMessageError(6, 10, new Uint8Array(0), 'BFD session down');
  t.same(e.toNotification(), { type: 'notification', code: 6, subcode: 10, data: new Uint8Array(0) });
  t.equal(e.message, 'Cease/BFD Down: BFD session down');
  t.ok(e instanceof Error);
});

t.test('KEEPALIVE and ROUTE-REFRESH encode', async (t) => {
  t.equal(toHex(encodeMessage({ type: 'keepalive' })), 'ffffffffffffffffffffffffffffffff001304');
  t.equal(toHex(encodeMessage({ type: 'route-refresh', afi: 2, subtype: 1, safi: 1 })), 'ffffffffffffffffffffffffffffffff001705' + '0002' + '01' + '01');
});

t.test('RFC 9687 Send Hold Timer Expired (code 8) has a name', async (t) => {
  const n = { type: 'notification' as const, code: 8, subcode: 0, data: new Uint8Array(0) };
  t.match(describeNotification(n), /^Send Hold Timer Expired/);
});

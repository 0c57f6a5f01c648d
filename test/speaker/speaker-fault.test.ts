/**
 * Speaker.fault(): internal errors escaping the speaker's peer event handlers are
 * logged and survived one by one (the session stays up, the max-prefix limit still
 * applies); more than FAULT_ERRORS within FAULT_WINDOW_MS is a fault, which clears once
 * the errors age out. Real loopback sockets, the window on a ManualClock.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { UpdateMessage } from '../../src/bgp/types.js';
import { FAULT_ERRORS, FAULT_WINDOW_MS, Speaker } from '../../src/speaker/speaker.js';
import { ManualClock } from '../../src/util/clock.js';
import { TestPeer } from './bgp-test-peer.js';

function update(i: number): UpdateMessage {
  return {
    type: 'update',
    withdrawn: [],
    attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65002] }], nextHop: '127.0.0.1' },
    nlri: [{ afi: 1, addr: `10.0.${i}.0`, len: 24 }],
  };
}

async function setup(t: Test, maxPrefixes?: number) {
  const lines: { level: number; msg: string; event?: string }[] = [];
  const logger = pino({ level: 'error' }, new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  }));
  const clock = new ManualClock(1_000_000);
  const peer = new TestPeer({ asn: 65002 });
  const port = await peer.listen('127.0.0.1');
  const sp = new Speaker({
    localAsn: 65001,
    routerId: '10.255.0.1',
    peers: [{ address: '127.0.0.1', asn: 65002, port, connectRetryMs: { min: 60_000, max: 60_000 }, ...(maxPrefixes ? { maxPrefixes } : {}) }],
    logger,
    clock,
  });
  t.teardown(async () => {
    await sp.stop({ timeoutMs: 200 });
    await peer.close();
  });
  await sp.start();
  await peer.established();
  await peer.until(() => sp.status()[0]?.state === 'Established', 3_000, 'Established');
  return { sp, peer, clock, lines };
}

t.test('errors escaping a peer handler: survived one by one, a fault above the rate, cleared as they age out', async (t) => {
  const { sp, peer, clock, lines } = await setup(t);
  // A listener that throws stands in for any bug on the path of a received UPDATE.
  sp.on('update-received', () => {
    throw new Error('listener bug');
  });
  t.equal(sp.fault(), undefined, 'no fault at start');
  for (let i = 0; i < FAULT_ERRORS; i++) peer.send(update(i));
  await peer.until(() => sp.status()[0]?.updatesReceived === FAULT_ERRORS, 3_000, 'updates delivered');
  t.equal(sp.fault(), undefined, `${FAULT_ERRORS} errors in a window: not yet a fault`);
  t.equal(sp.status()[0]?.state, 'Established', 'the session survived the errors');
  t.match(lines[0], { msg: 'internal error in a peer event handler', event: 'update', err: 'listener bug' });

  clock.advance(FAULT_WINDOW_MS / 2);
  peer.send(update(100));
  await peer.until(() => sp.status()[0]?.updatesReceived === FAULT_ERRORS + 1, 3_000, 'one more update');
  t.match(sp.fault(), new RegExp(`more than ${FAULT_ERRORS} internal errors in peer event handlers within 60 s \\(last: 127.0.0.1 update: listener bug\\)`));
  t.equal(sp.status()[0]?.state, 'Established');

  // The first ten age out of the window: the rate is back under the threshold.
  clock.advance(FAULT_WINDOW_MS / 2);
  t.equal(sp.fault(), undefined, 'cleared once the errors are older than the window');
});

t.test('a throwing update-received listener does not skip the max-prefix limit', async (t) => {
  const { sp, peer } = await setup(t, 2);
  sp.on('update-received', () => {
    throw new Error('listener bug');
  });
  for (let i = 0; i < 3; i++) peer.send(update(i));
  const cease = await peer.until(() => peer.received.find((r) => r.message.type === 'notification')?.message, 3_000, 'Cease');
  t.match(cease, { type: 'notification', code: 6, subcode: 1 });
  t.equal(sp.fault(), undefined, 'three errors are not a fault');
});

import t from 'tap';
import { bfdChangeResetsBgp, bfdHoldsBgpDown, CEASE, CEASE_BFD_DOWN } from '../../src/bfd/bgp-tie.js';

t.test('RFC 9384 Cease/10 on BFD Down after Up', async (t) => {
  t.equal(CEASE, 6);
  t.equal(CEASE_BFD_DOWN, 10);
  const base = { previous: 'up', wasUp: true, remoteState: 'down', diag: 1 } as const;
  t.equal(bfdChangeResetsBgp({ ...base, state: 'down' }), true, 'detection time expired');
  t.equal(bfdChangeResetsBgp({ ...base, state: 'down', diag: 3, remoteState: 'down' }), true, 'peer said Down');
  t.equal(bfdChangeResetsBgp({ ...base, state: 'down', diag: 3, remoteState: 'admin-down' }), false, 'RFC 5882 3.2: peer AdminDown');
  t.equal(bfdChangeResetsBgp({ ...base, state: 'down', remoteState: 'admin-down', reason: 'worker-exited' }), true, 'our worker died');
  t.equal(bfdChangeResetsBgp({ ...base, state: 'admin-down', diag: 7 }), false, 'our own AdminDown');
  t.equal(bfdChangeResetsBgp({ state: 'down', previous: 'init', wasUp: false, remoteState: 'down', diag: 1 }), false, 'never came up');
  t.equal(bfdChangeResetsBgp({ state: 'init', previous: 'down', wasUp: false, remoteState: 'down', diag: 0 }), false);
});

t.test('strict holds BGP down until BFD is Up', async (t) => {
  t.equal(bfdHoldsBgpDown(false, undefined), false);
  t.equal(bfdHoldsBgpDown(false, { state: 'down' }), false, 'not strict: a BFD that never came up does not hold BGP');
  t.equal(bfdHoldsBgpDown(true, undefined), true);
  t.equal(bfdHoldsBgpDown(true, { state: 'init' }), true);
  t.equal(bfdHoldsBgpDown(true, { state: 'up' }), false);
});

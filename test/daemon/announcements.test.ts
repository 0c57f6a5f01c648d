/** The announcement rules of the daemon: static `announce`, and `announce` as defaults for the policy. */
import t from 'tap';
import { staticAnnouncements, withAnnounceDefaults } from '../../src/daemon/announcements.js';

const announce = { prepend: 2, med: 100, communities: ['65001:100'], largeCommunities: ['65001:1:2'] };

t.test('static: every prefix with the announce settings', async (t) => {
  t.same(staticAnnouncements(['172.16.1.1/32', '2001:db8::1/128'], announce), [
    { prefix: '172.16.1.1/32', prepend: 2, med: 100, communities: ['65001:100'], largeCommunities: ['65001:1:2'] },
    { prefix: '2001:db8::1/128', prepend: 2, med: 100, communities: ['65001:100'], largeCommunities: ['65001:1:2'] },
  ]);
  t.same(staticAnnouncements(['172.16.1.1/32'], { prepend: 0, communities: [], largeCommunities: [] }), [{ prefix: '172.16.1.1/32', prepend: 0 }], 'no empty attributes');
});

t.test('policy announcements take med and communities from announce unless they set their own', async (t) => {
  t.same(withAnnounceDefaults([{ prefix: 'p', prepend: 5 }], announce), [
    { prefix: 'p', prepend: 5, med: 100, communities: ['65001:100'], largeCommunities: ['65001:1:2'] },
  ], 'prepend stays the policy\'s');
  t.same(withAnnounceDefaults([{ prefix: 'p', prepend: 0, med: 7, communities: [] }], announce), [
    { prefix: 'p', prepend: 0, med: 7, communities: [], largeCommunities: ['65001:1:2'] },
  ], 'an explicit empty list is kept');
  t.same(withAnnounceDefaults([], announce), [], 'withdraw stays withdraw');
});

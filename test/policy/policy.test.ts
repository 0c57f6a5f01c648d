import t from 'tap';
import { policySchema, type PolicyConfig } from '../../src/config/health.js';
import { Policy, sameAnnouncements, type PolicyChange } from '../../src/policy/policy.js';
import type { HealthState } from '../../src/config/health.js';
import type { Verdict } from '../../src/health/types.js';
import { ManualClock } from '../../src/util/clock.js';

const P = '172.16.1.1/32';

function policy(raw: unknown, o: { announceBeforeVerdict?: boolean; prefixes?: string[] } = {}) {
  const cfg: PolicyConfig = policySchema.parse(raw);
  const clock = new ManualClock(0);
  const p = new Policy({ config: cfg, prefixes: o.prefixes ?? [P], clock, announceBeforeVerdict: o.announceBeforeVerdict ?? false });
  const changes: PolicyChange[] = [];
  p.on('change', (c) => changes.push(c));
  const feed = (state: HealthState, verdict: Verdict) => p.update({ state, verdict });
  return { p, clock, changes, feed, cfg };
}

t.test('role presets and explicit overrides', async (t) => {
  t.match(policySchema.parse({ role: 'active' }), { up: { withdraw: false, prepend: 0 }, down: { withdraw: true }, maintenance: { withdraw: true }, failbackPrepend: 3 });
  t.match(policySchema.parse({ role: 'standby' }), { up: { withdraw: false, prepend: 2 }, down: { withdraw: true }, failbackPrepend: 3 });
  const o = policySchema.parse({ role: 'standby', up: { med: 100, communities: ['65001:100'] }, down: { prepend: 8 }, maintenance: { prepend: 5 } });
  t.same(o.up, { withdraw: false, prepend: 2, med: 100, communities: ['65001:100'] }, 'preset prepend kept, MED and communities added');
  t.same(o.down, { withdraw: false, prepend: 8 }, 'explicit prepend overrides the preset withdraw');
  t.same(o.maintenance, { withdraw: false, prepend: 5 });
  t.same(policySchema.parse({ role: 'active', up: { prepend: 1 } }).up, { withdraw: false, prepend: 1 });
  t.same(policySchema.parse({ role: 'active', up: { withdraw: true } }).up, { withdraw: true });
  t.equal(policySchema.parse({ up: { prepend: 6 } }).failbackPrepend, 7, 'default failback prepend: one more than max(up, standby)');
  t.equal(policySchema.parse({ 'failback-prepend': 4 }).failbackPrepend, 4);
});

t.test('policy schema errors name the path and what was expected', async (t) => {
  const issues = (raw: unknown) => {
    const r = policySchema.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  t.match(issues({ role: 'primary' }), [/^role: expected role active or standby/]);
  t.match(issues({ down: { med: 10 } }), [/^down\.prepend: expected prepend: N/]);
  t.match(issues({ up: { withdraw: true, prepend: 1 } }), [/^up: expected either withdraw: true or announcement attributes/]);
  t.match(issues({ up: { prepend: 99 } }), [/^up\.prepend: expected a prepend count in 0\.\.32/]);
  t.match(issues({ up: { communities: ['65536:1'] } }), [/^up\.communities\.0: expected a community "asn:value" \(each 0\.\.65535\) or a well-known name .*, got "65536:1"$/]);
  t.match(issues({ up: { 'large-communities': ['1:2'] } }), [/^up\.large-communities\.0: expected a large community/]);
  t.match(issues({ 'failback-delay': 30 }), [/^failback-delay: expected a duration with a unit/]);
  t.match(issues({ up: { prepend: 3 }, 'failback-prepend': 1 }), [/^failback-prepend: expected failback-prepend >= the up prepend/]);
  t.match(issues({ up: { metric: 1 } }), [/^up: unknown key "metric"; expected withdraw, prepend, med/]);
  t.match(issues({ up: 'prepend 1' }), [/^up: expected \{ prepend: N \} or \{ withdraw: true \}/]);
});

t.test('nothing announced before the first verdict, and no change emitted for it', async (t) => {
  const { p, changes, feed } = policy({ role: 'active' });
  t.same(p.current(), []);
  t.equal(feed('init', 'init'), false);
  t.equal(feed('rising', 'init'), false);
  t.equal(feed('falling', 'init'), false);
  t.equal(feed('down', 'down'), false, 'down withdraws: same as nothing, no UPDATE');
  t.equal(changes.length, 0);
});

t.test('announce-before-verdict announces the less preferred failback path while init', async (t) => {
  const { p, changes } = policy({ role: 'active', up: { med: 10 } }, { announceBeforeVerdict: true });
  t.same(p.current(), [{ prefix: P, prepend: 3, med: 10 }]);
  t.equal(changes.length, 0, 'the constructor state is not an event; daemon reads current()');
});

t.test('active: up, falling keeps up, down withdraws; only changes are emitted', async (t) => {
  const { p, changes, feed } = policy({ role: 'active', up: { med: 100, communities: ['65001:1'], 'large-communities': ['65001:1:2'] } });
  t.equal(feed('up', 'up'), true);
  t.same(changes.at(-1)?.announcements, [{ prefix: P, prepend: 0, med: 100, communities: ['65001:1'], largeCommunities: ['65001:1:2'] }]);
  t.equal(changes.at(-1)?.phase, 'up');
  t.equal(feed('falling', 'up'), false, 'falling: hysteresis, keep the route');
  t.equal(feed('up', 'up'), false);
  t.equal(feed('up', 'up'), false, 'repeated verdicts: no change');
  t.equal(feed('down', 'down'), true);
  t.same(changes.at(-1)?.announcements, []);
  t.same(changes.at(-1)?.previous, [{ prefix: P, prepend: 0, med: 100, communities: ['65001:1'], largeCommunities: ['65001:1:2'] }]);
  t.equal(feed('rising', 'down'), false, 'rising: still down');
  t.equal(changes.length, 2);
});

t.test('standby prepends 2 when up; maintenance spec', async (t) => {
  const { p, feed, changes } = policy({ role: 'standby', maintenance: { prepend: 5, med: 500 } });
  feed('up', 'up');
  t.same(p.current(), [{ prefix: P, prepend: 2 }]);
  feed('maintenance', 'maintenance');
  t.same(p.current(), [{ prefix: P, prepend: 5, med: 500 }]);
  t.equal(changes.at(-1)?.phase, 'maintenance');
  t.equal(feed('maintenance', 'maintenance'), false);
});

t.test('failback delay: less preferred path first, preferred only after the delay passed healthy', async (t) => {
  const { p, clock, changes, feed } = policy({ role: 'active', up: { med: 100 }, 'failback-delay': '30s' });
  feed('up', 'up');
  t.same(p.current(), [{ prefix: P, prepend: 3, med: 100 }], 'from init: failback path (prepend 3 > standby 2)');
  t.match(p.status(), { phase: 'failback', failbackAt: 30_000, failbackRemainingMs: 30_000 });
  clock.advance(29_999);
  t.equal(p.status().phase, 'failback');
  clock.advance(1);
  t.equal(p.status().phase, 'up');
  t.same(p.current(), [{ prefix: P, prepend: 0, med: 100 }]);
  t.equal(changes.at(-1)?.reason, 'failback delay passed healthy');
  t.equal(changes.length, 2);

  // fail over and recover: the delay applies again
  feed('down', 'down');
  t.same(p.current(), [], 'down withdraws at once, no delay');
  feed('rising', 'down');
  feed('up', 'up');
  t.same(p.current(), [{ prefix: P, prepend: 3, med: 100 }]);
  clock.advance(30_000);
  t.same(p.current(), [{ prefix: P, prepend: 0, med: 100 }]);
});

t.test('failback delay: a failed check during the delay restarts it from zero', async (t) => {
  const { p, clock, feed, changes } = policy({ role: 'active', 'failback-delay': '30s' });
  feed('up', 'up');
  clock.advance(20_000);
  t.equal(feed('falling', 'up'), false, 'falling: announcement unchanged');
  t.match(p.status(), { phase: 'failback', failbackPaused: true });
  clock.advance(60_000);
  t.equal(p.status().phase, 'failback', 'no countdown while not steadily up');
  feed('up', 'up');
  t.match(p.status(), { failbackRemainingMs: 30_000 }, 'full delay again');
  clock.advance(29_000);
  t.equal(p.status().phase, 'failback');
  clock.advance(1_000);
  t.equal(p.status().phase, 'up');
  t.same(changes.map((c) => c.phase), ['failback', 'up']);
});

t.test('failback delay: down during the delay cancels it; a flapping service never takes the preferred route', async (t) => {
  const { p, clock, feed, changes } = policy({ role: 'active', 'failback-delay': '30s' });
  for (let i = 0; i < 10; i++) {
    feed('up', 'up');
    clock.advance(20_000);
    feed('down', 'down');
    clock.advance(20_000);
  }
  t.ok(changes.every((c) => c.phase !== 'up'), 'never preferred');
  t.equal(clock.timerCount, 0, 'no timer left behind');
  t.same(p.current(), []);
});

t.test('failback delay also after maintenance; maintenance during failback cancels it', async (t) => {
  const { p, clock, feed } = policy({ role: 'active', 'failback-delay': '10s', maintenance: { prepend: 6 } });
  feed('up', 'up');
  clock.advance(10_000);
  t.equal(p.status().phase, 'up');
  feed('maintenance', 'maintenance');
  t.same(p.current(), [{ prefix: P, prepend: 6 }]);
  feed('up', 'up');
  t.equal(p.status().phase, 'failback');
  feed('maintenance', 'maintenance');
  clock.advance(20_000);
  t.equal(p.status().phase, 'maintenance');
});

t.test('no failback delay: straight to up', async (t) => {
  const { p, feed } = policy({ role: 'standby' });
  feed('up', 'up');
  t.equal(p.status().phase, 'up');
  t.same(p.current(), [{ prefix: P, prepend: 2 }]);
});

t.test('several prefixes, setPrefixes, announcementsFor, stop', async (t) => {
  const { p, feed, changes, clock } = policy({ role: 'active', 'failback-delay': '5s' }, { prefixes: [P, '2001:db8::1/128'] });
  feed('up', 'up');
  t.equal(p.current().length, 2);
  t.equal(p.setPrefixes([P, '2001:db8::1/128']), false, 'same prefixes: no change');
  t.equal(p.setPrefixes([P]), true);
  t.same(changes.at(-1)?.announcements, [{ prefix: P, prepend: 3 }]);
  t.same(p.announcementsFor('up', ['10.0.0.1/32']), [{ prefix: '10.0.0.1/32', prepend: 0 }]);
  t.same(p.announcementsFor('falling'), [{ prefix: P, prepend: 0 }]);
  t.same(p.announcementsFor('down'), []);
  p.stop();
  clock.advance(10_000);
  t.equal(p.status().phase, 'failback', 'stopped: the timer never fires');
});

t.test('sameAnnouncements ignores order', async (t) => {
  t.ok(sameAnnouncements([{ prefix: 'a', prepend: 1, communities: ['1:1', '1:2'] }, { prefix: 'b', prepend: 0 }],
    [{ prefix: 'b', prepend: 0 }, { prefix: 'a', prepend: 1, communities: ['1:2', '1:1'] }]));
  t.notOk(sameAnnouncements([{ prefix: 'a', prepend: 1 }], [{ prefix: 'a', prepend: 1, med: 0 }]));
  t.notOk(sameAnnouncements([{ prefix: 'a', prepend: 1 }], [{ prefix: 'a', prepend: 2 }]));
});

t.test('well-known communities by name, normalized like announce', async (t) => {
  t.same(policySchema.parse({ up: { communities: ['no-export', '65001:7'] } }).up, { withdraw: false, prepend: 0, communities: ['65535:65281', '65001:7'] });
  t.notOk(policySchema.safeParse({ up: { communities: ['no-exports'] } }).success);
});

t.test('policy states and announce share one community parser: every name, same result', async (t) => {
  const { WELL_KNOWN_COMMUNITIES } = await import('../../src/config/communities.js');
  const { parseConfigText } = await import('../../src/config/load.js');
  const names = Object.keys(WELL_KNOWN_COMMUNITIES);
  t.same(names.sort(), ['blackhole', 'graceful-shutdown', 'no-advertise', 'no-export', 'no-export-subconfed', 'no-peer'], 'the names docs/config.md lists');
  const written = [...names, 'NO-EXPORT', 'Graceful-Shutdown', '65001:007', '0:0'];
  const large = ['65001:1:2', '0065001:01:2'];
  const cfg = parseConfigText(JSON.stringify({
    'local-asn': 65001,
    prefixes: ['172.16.1.1/32'],
    peers: [{ address: '10.0.1.230', asn: 65000 }],
    announce: { communities: written, 'large-communities': large },
    health: { checks: [{ type: 'tcp', host: '127.0.0.1', port: 1 }] },
    policy: { up: { communities: written, 'large-communities': large }, down: { prepend: 3, communities: written }, maintenance: { prepend: 6, communities: written } },
  }), { format: 'json' }).config;
  const expected = [
    ...names.map((n) => { const v = WELL_KNOWN_COMMUNITIES[n]!; return `${v >>> 16}:${v & 0xffff}`; }),
    '65535:65281', '65535:0', '65001:7', '0:0',
  ];
  t.same(cfg.announce.communities, expected, 'announce');
  t.same(cfg.announce.largeCommunities, ['65001:1:2', '65001:1:2']);
  for (const state of ['up', 'down', 'maintenance'] as const) {
    const spec = cfg.policy[state];
    t.same(spec.withdraw ? [] : spec.communities, expected, `policy.${state}: same canonical values as announce`);
  }
  const up = cfg.policy.up;
  t.same(up.withdraw ? [] : up.largeCommunities, ['65001:1:2', '65001:1:2'], 'large communities normalized the same way');
  t.same(WELL_KNOWN_COMMUNITIES['blackhole'], 0xffff029a, 'RFC 7999 BLACKHOLE');
  t.same(WELL_KNOWN_COMMUNITIES['graceful-shutdown'], 0xffff0000, 'RFC 8326 GRACEFUL_SHUTDOWN');

  // The same refusal text in both places.
  const bad = (where: 'announce' | 'policy') => {
    try {
      parseConfigText(JSON.stringify({
        'local-asn': 65001, prefixes: ['172.16.1.1/32'], peers: [{ address: '10.0.1.230', asn: 65000 }],
        ...(where === 'announce' ? { announce: { communities: ['no-exports'] } } : { policy: { up: { communities: ['no-exports'] } } }),
      }), { format: 'json' });
      return '';
    } catch (e) {
      return (e as Error).message.replace(/^[^:]*: /, '').replace(/ \(line \d+:\d+\)$/, '');
    }
  };
  t.match(bad('announce'), /^expected a community "asn:value" \(each 0\.\.65535\) or a well-known name \(.*blackhole.*\), got "no-exports"$/);
  t.equal(bad('policy'), bad('announce'), 'policy and announce refuse with the same words');
});

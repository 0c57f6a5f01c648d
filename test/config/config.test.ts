/**
 * Config loading: every key of the daemon's own sections valid and invalid
 * (table-driven), error lines with paths, YAML and JSON alike, semantic
 * checks, file positions, and the example files in config/.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { loadConfigFile, parseConfigText, parsePath, formatPath } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/types.js';
import { speakerPeer } from '../../src/daemon/ports.js';

type Doc = Record<string, unknown>;

const base = (): Doc => ({
  'local-asn': 65001,
  prefixes: ['172.16.1.1/32'],
  peers: [{ address: '10.0.1.230', asn: 65000 }],
});

/** Set `value` at `path` ("peers[0].asn") in a copy of the base document; undefined deletes. */
function withValue(path: string, value: unknown, doc: Doc = base()): Doc {
  const segs = parsePath(path);
  let node: Record<PropertyKey, unknown> = doc;
  for (const seg of segs.slice(0, -1)) {
    node[seg] ??= typeof segs[segs.indexOf(seg) + 1] === 'number' ? [] : {};
    node = node[seg] as Record<PropertyKey, unknown>;
  }
  const last = segs[segs.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return doc;
}

/** Problems of a document, loaded as YAML and as JSON; both must agree (positions aside). */
function problems(doc: Doc): string[] {
  const run = (text: string, format: 'yaml' | 'json') => {
    try {
      parseConfigText(text, { format });
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.problems.map((p) => `${p.path}: ${p.message}`);
    }
  };
  const y = run(stringify(doc), 'yaml');
  const j = run(JSON.stringify(doc, null, 2), 'json');
  t.same(j, y, 'YAML and JSON give the same problems');
  return y;
}

t.test('the minimal config loads with its defaults', async (t) => {
  const { config, warnings } = parseConfigText(stringify(base()));
  t.same(warnings, []);
  t.equal(config.localAsn, 65001);
  t.same(config.prefixes, ['172.16.1.1/32']);
  t.same(config.announce, { prepend: 0, communities: [], largeCommunities: [] });
  t.same(config.peers, [{ address: '10.0.1.230', asn: 65000, port: 179, holdTime: 90, openHoldTime: 30, passive: false }]);
  t.same(config.control, { socket: '/run/bgp-sidecar/control.sock', mode: 0o660 });
  t.same(config.metrics, { host: '127.0.0.1', port: 9479 });
  t.equal(config.logLevel, 'info');
  t.equal(config.routerId, undefined, 'resolved by the daemon from the route to the first peer');
  t.equal(config.health, undefined);
  t.same(config.policy.maintenance, { withdraw: true }, 'the policy fragment is composed with its defaults');
});

t.test('valid values are normalized', async (t) => {
  const cases: [string, unknown, (c: ReturnType<typeof parseConfigText>['config']) => unknown, unknown][] = [
    ['local-asn', 4294967295, (c) => c.localAsn, 4294967295],
    ['local-asn', '1.10', (c) => c.localAsn, 65546], // RFC 5396 asdot
    ['router-id', '10.0.1.203', (c) => c.routerId, '10.0.1.203'],
    ['prefixes', ['10.0.0.0/8', '172.16.1.1/32'], (c) => c.prefixes, ['10.0.0.0/8', '172.16.1.1/32']],
    ['peers[0]', { address: '10.0.1.230', asn: 65000, 'ipv6-next-hop': '2001:DB8:0::10' }, (c) => c.peers[0]?.ipv6NextHop, '2001:db8::10'],
    ['announce', { prepend: 2, med: 100, communities: ['65001:100', 'no-export'], 'large-communities': ['65001:1:2'] }, (c) => c.announce,
      { prepend: 2, med: 100, communities: ['65001:100', '65535:65281'], largeCommunities: ['65001:1:2'] }],
    ['announce.communities', ['graceful-shutdown', 'blackhole'], (c) => c.announce.communities, ['65535:0', '65535:666']],
    ['peers[0].port', 1179, (c) => c.peers[0]?.port, 1179],
    ['peers[0].local-address', '10.0.1.203', (c) => [c.peers[0]?.localAddress, c.routerId], ['10.0.1.203', '10.0.1.203']],
    ['peers[0].hold-time', 0, (c) => c.peers[0]?.holdTime, 0],
    ['peers[0].hold-time', 3, (c) => c.peers[0]?.holdTime, 3],
    ['peers[0].open-hold-time', 240, (c) => c.peers[0]?.openHoldTime, 240],
    ['peers[0].open-hold-time', 1, (c) => (c.peers[0] ? speakerPeer(c.peers[0]).openHoldMs : undefined), 1000],
    ['peers[0].passive', true, (c) => [c.peers[0]?.passive, c.listen], [true, { host: '0.0.0.0', port: 179 }]],
    ['peers[0].max-prefixes', 100, (c) => c.peers[0]?.maxPrefixes, 100],
    ['peers[0].bfd', true, (c) => c.peers[0]?.bfd?.multiplier, 3],
    ['peers[0].bfd', { strict: true, 'min-tx-ms': 100 }, (c) => [c.peers[0]?.bfd?.strict, c.peers[0]?.bfd?.minTxMs], [true, 100]],
    ['peers[0].bfd', false, (c) => c.peers[0]?.bfd, undefined],
    ['listen', '[::]:1179', (c) => c.listen, { host: '::', port: 1179 }],
    ['control', { socket: '/tmp/x.sock', mode: '0600', group: 'bgp' }, (c) => c.control, { socket: '/tmp/x.sock', mode: 0o600, group: 'bgp' }],
    ['control.group', 997, (c) => c.control.group, 997],
    ['metrics', false, (c) => c.metrics, false],
    ['metrics', { listen: false }, (c) => c.metrics, false],
    ['metrics', { listen: '[::1]:9100' }, (c) => c.metrics, { host: '::1', port: 9100 }],
    ['metrics', {}, (c) => c.metrics, { host: '127.0.0.1', port: 9479 }],
    ['log-level', 'debug', (c) => c.logLevel, 'debug'],
  ];
  for (const [path, value, get, want] of cases) {
    const doc = withValue(path, value);
    t.same(problems(doc), [], `${path} = ${JSON.stringify(value)} is valid`);
    t.same(get(parseConfigText(stringify(doc)).config), want, `${path} = ${JSON.stringify(value)}`);
  }
});

t.test('invalid values: one line each, naming the path and what was expected', async (t) => {
  const cases: [string, unknown, string][] = [
    ['local-asn', 'abc', 'local-asn: expected an integer 1..4294967295, got "abc"'],
    ['local-asn', 0, 'local-asn: expected an integer 1..4294967295, got 0'],
    ['local-asn', 4294967296, 'local-asn: expected an integer 1..4294967295, got 4294967296'],
    ['local-asn', 1.5, 'local-asn: expected an integer 1..4294967295, got 1.5'],
    ['local-asn', undefined, 'local-asn: missing: expected an integer 1..4294967295'],
    ['router-id', '10.0.1', 'router-id: expected an IPv4 address, got "10.0.1"'],
    ['router-id', '0.0.0.0', 'router-id: expected a non-zero IPv4 address (RFC 6286 2.1), got "0.0.0.0"'],
    ['prefixes', [], 'prefixes: expected at least one prefix'],
    ['prefixes', '172.16.1.1/32', 'prefixes: expected a list of prefixes, got "172.16.1.1/32"'],
    ['prefixes', undefined, 'prefixes: expected a list of prefixes, got nothing'],
    ['prefixes[0]', '172.16.1.1', 'prefixes[0]: expected an IPv4 or IPv6 prefix like "172.16.1.1/32", got "172.16.1.1"'],
    ['prefixes[0]', '172.16.1.1/33', 'prefixes[0]: expected a prefix length 0..32, got "172.16.1.1/33"'],
    ['prefixes[0]', '172.16.1.1/24',
      'prefixes[0]: host bits set in "172.16.1.1/24": write 172.16.1.0/24 for the network or 172.16.1.1/32 for the single address'],
    ['prefixes', ['172.16.1.1/32', '172.16.1.1/32'], 'prefixes[1]: duplicate of prefixes[0] (172.16.1.1/32)'],
    ['announce', 3, 'announce: expected a map (prepend, med, communities, large-communities), got 3'],
    ['announce.prepend', -1, 'announce.prepend: expected an integer 0..32, got -1'],
    ['announce.prepend', 33, 'announce.prepend: expected an integer 0..32, got 33'],
    ['announce.med', 4294967296, 'announce.med: expected an integer 0..4294967295, got 4294967296'],
    ['announce.communities', ['65001:70000'], 'announce.communities[0]: expected a community "asn:value" (each 0..65535)'],
    ['announce.communities', 'x', 'announce.communities: expected a list of communities, got "x"'],
    ['announce.large-communities', ['1:2'], 'announce.large-communities[0]: expected a large community "global:local1:local2"'],
    ['announce.prepnd', 1, 'announce.prepnd: unknown key (did you mean prepend?)'],
    ['peers', [], 'peers: expected at least one peer'],
    ['peers', undefined, 'peers: missing: expected a list of peers'],
    ['peers[0]', 'x', 'peers[0]: expected a map with address and asn, got "x"'],
    ['peers[0].address', '10.0.1.300', 'peers[0].address: expected an IPv4 or IPv6 address, got "10.0.1.300"'],
    ['peers[0].address', undefined, 'peers[0].address: missing: expected an IPv4 or IPv6 address'],
    ['peers[0].asn', 'abc', 'peers[0].asn: expected an integer 1..4294967295, got "abc"'],
    ['peers[0].port', 0, 'peers[0].port: expected an integer 1..65535, got 0'],
    ['peers[0].local-address', 'fe80::1', 'peers[0].local-address: expected an IPv4 address like the peer address 10.0.1.230, got "fe80::1"'],
    ['peers[0].hold-time', 1, 'peers[0].hold-time: expected 0 or an integer 3..65535 (seconds; RFC 4271 4.2 forbids 1 and 2), got 1'],
    ['peers[0].hold-time', 2, 'peers[0].hold-time: expected 0 or an integer 3..65535 (seconds; RFC 4271 4.2 forbids 1 and 2), got 2'],
    ['peers[0].hold-time', 65536, 'peers[0].hold-time: expected 0 or an integer 3..65535'],
    ['peers[0].open-hold-time', 0, 'peers[0].open-hold-time: expected an integer 1..65535 (seconds), got 0'],
    ['peers[0].open-hold-time', -5, 'peers[0].open-hold-time: expected an integer 1..65535 (seconds), got -5'],
    ['peers[0].open-hold-time', 2.5, 'peers[0].open-hold-time: expected an integer 1..65535 (seconds), got 2.5'],
    ['peers[0].open-hold-time', '30s', 'peers[0].open-hold-time: expected an integer 1..65535 (seconds), got "30s"'],
    ['peers[0].passive', 'yes', 'peers[0].passive: expected true or false, got "yes" (YAML 1.2 reads yes/no/on/off as text; write true or false)'],
    ['peers[0].ipv6-next-hop', '10.0.0.1', 'peers[0].ipv6-next-hop: expected an IPv6 address, got "10.0.0.1"'],
    ['peers[0].ipv4-next-hop', '::1', 'peers[0].ipv4-next-hop: expected an IPv4 address, got "::1"'],
    ['peers[0].max-prefixes', 0, 'peers[0].max-prefixes: expected an integer 1..4294967295, got 0'],
    ['peers[0].bfd', 'on', 'peers[0].bfd: expected true, false or a map'],
    ['peers[0].bfd', { multiplier: 0 }, 'peers[0].bfd.multiplier: expected a detect multiplier: an integer 1..255, got 0'],
    ['peers[0].hold_time', 30, 'peers[0].hold_time: unknown key (did you mean hold-time?)'],
    ['peers[1]', { address: '10.0.1.230', asn: 65000 }, 'peers[1].address: duplicate of peers[0] (10.0.1.230)'],
    ['listen', '0.0.0.0', 'listen: expected "host:port" to accept passive sessions on (e.g. "0.0.0.0:179"), got "0.0.0.0"'],
    ['control.socket', 'relative.sock', 'control.socket: expected an absolute path of at most 107 bytes, got "relative.sock"'],
    ['control.socket', `/${'x'.repeat(107)}`, 'control.socket: expected an absolute path of at most 107 bytes'],
    ['control.mode', 660, 'control.mode: expected an octal file mode in quotes, like "0660", got 660 (YAML reads 0660 as the decimal number 660; quote it)'],
    ['control.mode', '0999', 'control.mode: expected an octal file mode in quotes, like "0660", got "0999"'],
    ['control.group', 'has space', 'control.group: expected a group name or a numeric gid, got "has space"'],
    ['control.sockt', '/x', 'control.sockt: unknown key (did you mean socket?)'],
    ['metrics', true, 'metrics: expected false or a map with listen: "host:port", got true'],
    ['metrics.listen', '127.0.0.1', 'metrics.listen: expected "host:port" (e.g. "127.0.0.1:9479" or "[::1]:9479") or false, got "127.0.0.1"'],
    ['metrics.listen', 'localhost:9479', 'metrics.listen: expected "host:port"'],
    ['metrics.listen', '127.0.0.1:70000', 'metrics.listen: expected "host:port"'],
    ['log-level', 'loud', 'log-level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
    ['loglevel', 'info', 'loglevel: unknown key (did you mean log-level?)'],
    ['health.checks', [], 'health.checks: expected at least one check'],
    ['policy.role', 'primary', 'policy.role: expected role active or standby'],
  ];
  for (const [path, value, want] of cases) {
    const got = problems(withValue(path, value));
    t.ok(got.some((l) => l.startsWith(want)), `${path} = ${JSON.stringify(value)} -> ${want}`, { got });
    t.ok(got.every((l) => !l.includes('\n')), 'one line per problem');
  }
});

t.test('IPv6 prefixes are canonical (RFC 5952)', async (t) => {
  const doc = { ...base(), prefixes: ['2001:DB8:0::1/128', '2001:db8:0:0:1::/80'], peers: [{ address: '10.0.1.230', asn: 65000, 'ipv6-next-hop': '2001:db8::10' }] };
  t.same(parseConfigText(JSON.stringify(doc)).config.prefixes, ['2001:db8::1/128', '2001:db8:0:0:1::/80']);
  t.match(problems({ ...doc, prefixes: ['2001:db8::1/64'] }), [/^prefixes\[0\]: host bits set in "2001:db8::1\/64": write 2001:db8::\/64 for the network or 2001:db8::1\/128/]);
});

t.test('semantic checks across keys', async (t) => {
  const v6 = { ...base(), prefixes: ['172.16.1.1/32', '2001:db8::1/128'] };
  t.same(problems(v6), [
    'peers[0].ipv6-next-hop: missing: prefixes[1] (2001:db8::1/128) is IPv6 and this session is IPv4, so an IPv6 next hop must be given',
  ]);
  t.same(problems(withValue('peers[0].ipv6-next-hop', '2001:db8::10', v6)), []);

  const v6session = { ...base(), peers: [{ address: '2001:db8::230', asn: 65000 }] };
  const got = problems(v6session);
  t.ok(got.some((l) => l.startsWith('peers[0].ipv4-next-hop: missing: prefixes[0] (172.16.1.1/32) is IPv4 and this session is IPv6')));
  t.ok(got.some((l) => l.startsWith('router-id: missing: required when peers[0] is IPv6')));
  t.same(problems({ ...v6session, 'router-id': '10.0.0.1', peers: [{ address: '2001:db8::230', asn: 65000, 'ipv4-next-hop': '10.0.0.1' }] }), []);
  t.same(problems(withValue('peers[0].bfd', true, v6session)).filter((l) => l.includes('bfd')), [
    'peers[0].bfd: BFD is implemented for IPv4 sessions only (RFC 5881 over IPv4); remove bfd or use an IPv4 session',
  ]);
});

t.test('warnings: allowed but probably not meant', async (t) => {
  const w = (doc: Doc) => parseConfigText(stringify(doc)).warnings.map((p) => `${p.path}: ${p.message}`);
  t.match(w(withValue('peers[0].asn', 65001)), [/^peers\[0\]\.asn: same as local-asn \(65001\): an iBGP session/]);
  t.match(w(withValue('peers[0].hold-time', 0)), [/^peers\[0\]\.hold-time: hold time 0 without bfd/]);
  t.same(w(withValue('peers[0].bfd', true, withValue('peers[0].hold-time', 0))), []);
  const many = Array.from({ length: 101 }, (_, i) => `10.1.${i >> 8}.${i & 255}/32`);
  t.match(w(withValue('prefixes', many)), [/^prefixes: 101 prefixes exceed the VPC Route Server quota of 100/]);
});

t.test('syntax errors and positions', async (t) => {
  const err = (text: string, format?: 'yaml' | 'json') => {
    try {
      parseConfigText(text, format ? { format, file: 'c' } : { file: 'c.yaml' });
    } catch (e) {
      if (e instanceof ConfigError) return e.lines();
      throw e;
    }
    return [];
  };
  t.match(err('local-asn: 1\npeers: [\n'), [/^YAML syntax error: .* \(c\.yaml:\d+:\d+\)$/]);
  t.match(err('local-asn: 1\nlocal-asn: 2\n'), [/^YAML syntax error: Map keys must be unique \(c\.yaml:2:1\)$/]);
  t.match(err('{"local-asn": 1,}', 'json'), [/^JSON syntax error: .* \(c:1:\d+\)$/]);
  t.same(err(''), ['the file is empty: expected a map of settings (local-asn, prefixes, peers, ...)']);
  t.same(err('- 1\n'), ['expected a map of settings (local-asn, prefixes, peers, ...), got a list (c.yaml:1:1)']);
  // A value error points at the value's line and column.
  const text = 'local-asn: 65001\nprefixes: [172.16.1.1/32]\npeers:\n  - address: 10.0.1.230\n    asn: abc\n';
  t.same(err(text), ['peers[0].asn: expected an integer 1..4294967295, got "abc" (c.yaml:5:10)']);
  // An alias bomb is refused, not expanded.
  const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
  t.match(err(bomb), [/^YAML error: /]);
});

t.test('paths print and parse back', async (t) => {
  t.equal(formatPath(['peers', 0, 'bfd', 'auth', 'key-id']), 'peers[0].bfd.auth.key-id');
  t.same(parsePath('peers[0].bfd.auth.key-id'), ['peers', 0, 'bfd', 'auth', 'key-id']);
  t.same(parsePath('health.checks[12]'), ['health', 'checks', 12]);
});

t.test('unreadable files are one clear line', async (t) => {
  await t.rejects(loadConfigFile('/nonexistent/bgp-sidecar.yaml'), { message: 'cannot read /nonexistent/bgp-sidecar.yaml: no such file' });
  await t.rejects(loadConfigFile('/'), { message: 'cannot read /: is a directory' });
});

t.test('every example in config/ is valid', async (t) => {
  const dir = join(import.meta.dirname, '..', '..', 'config');
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));
  t.ok(files.length >= 2, 'examples exist');
  for (const f of files) {
    const { config, warnings } = await loadConfigFile(join(dir, f));
    t.ok(config.peers.length > 0, `${f} loads`);
    t.same(warnings, [], `${f} has no warnings`);
  }
});

/**
 * Complete YAML configs (a `local-asn:` key) in fenced ```yaml blocks of a markdown file,
 * including fences indented inside list items (README's quick start): the block's
 * indentation is removed, so the YAML is what a reader copies.
 */
function yamlConfigBlocks(md: string): string[] {
  const blocks: string[] = [];
  for (const m of md.matchAll(/^([ \t]*)```yaml[ \t]*\n([\s\S]*?)^\1```[ \t]*$/gm)) {
    const indent = m[1] ?? '';
    const body = (m[2] ?? '').split('\n').map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n');
    if (/^local-asn:/m.test(body)) blocks.push(body);
  }
  return blocks;
}

t.test('yamlConfigBlocks: top-level and indented fences, dedented; partial snippets left out', (t) => {
  const md = 'x\n```yaml\nlocal-asn: 1\n```\n\n1. step\n\n   ```yaml\n   local-asn: 2\n   peers: []\n   ```\n```yaml\nannounce: {}\n```\n';
  t.same(yamlConfigBlocks(md), ['local-asn: 1\n', 'local-asn: 2\npeers: []\n']);
  t.end();
});

for (const doc of ['docs/config.md', 'README.md']) {
  t.test(`the YAML config examples in ${doc} are valid`, async (t) => {
    const { readFileSync } = await import('node:fs');
    const md = readFileSync(join(import.meta.dirname, '..', '..', doc), 'utf8');
    const blocks = yamlConfigBlocks(md);
    t.ok(blocks.length >= (doc === 'README.md' ? 1 : 2), 'complete examples found');
    for (const b of blocks) {
      const first = b.split('\n')[0] ?? 'example';
      let loaded: ReturnType<typeof parseConfigText> | undefined;
      t.doesNotThrow(() => (loaded = parseConfigText(b, { format: 'yaml', file: doc })), first);
      // The quick start is copied as is: it must not even warn.
      if (doc === 'README.md') t.same(loaded?.warnings ?? [], [], `${first}: no warnings`);
    }
  });
}

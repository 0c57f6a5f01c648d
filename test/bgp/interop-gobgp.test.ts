/**
 * Interop: our OPEN, KEEPALIVE, packed UPDATEs (IPv4 NLRI and IPv6 MP_REACH),
 * withdrawals and a Cease NOTIFICATION are accepted by a real GoBGP (gobgpd),
 * which shows the attributes back through its CLI. Loopback only (127.0.0.1,
 * random high ports); no root needed. Needs gobgpd and gobgp: when CI is set a
 * missing one fails the test, otherwise the test is skipped with the reason.
 * Every wait is bounded; gobgpd and the socket are cleaned up even on failure.
 */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BgpStreamParser,
  buildUpdates,
  encodeMessage,
  makeOpen,
  negotiate,
  parsePrefix,
  shutdownCommunication,
  validateOpen,
  type BgpMessage,
  type NegotiatedSession,
} from '../../src/bgp/index.js';

/** A loopback port free right now (the OS picks it; closed again before gobgpd binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const missing = ['gobgpd', 'gobgp'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
if (missing.length > 0) {
  if (process.env.CI) t.fail(`interop prerequisites missing: ${missing.join(', ')} (Debian package gobgpd)`);
  else t.plan(0, `skipped: ${missing.join(', ')} not installed (Debian package gobgpd)`);
} else {
  t.test('GoBGP accepts what the codec encodes', { timeout: 60_000 }, async (t) => {
    const bgpPort = await freePort();
    const apiPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'bgp-interop-'));
    const conf = join(dir, 'gobgpd.toml');
    writeFileSync(conf, `
[global.config]
  as = 65100
  router-id = "10.0.0.100"
  port = ${bgpPort}
  local-address-list = ["127.0.0.1"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = 4200000001
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`);
    const gobgpd: ChildProcess = spawn('gobgpd', ['-f', conf, '--api-hosts', `127.0.0.1:${apiPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    gobgpd.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    gobgpd.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    let sock: Socket | undefined;
    const kill = (): void => {
      sock?.destroy();
      if (gobgpd.exitCode === null) gobgpd.kill('SIGKILL');
    };
    process.once('exit', kill);
    t.teardown(() => {
      kill();
      process.removeListener('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    });

    const cli = (...args: string[]): string => {
      const r = spawnSync('gobgp', ['-p', String(apiPort), ...args], { encoding: 'utf8', timeout: 5000 });
      return r.status === 0 ? r.stdout : '';
    };
    const until = async <T>(what: string, fn: () => T | undefined, ms = 15000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = fn();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; gobgpd log:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await until('the gobgp API', () => (cli('global').includes('65100') ? true : undefined));

    // The session, driven by hand with the codec.
    const local = makeOpen({ asn: 4200000001, holdTime: 30, bgpId: '10.0.0.1' });
    const parser = new BgpStreamParser();
    const received: BgpMessage[] = [];
    let session: NegotiatedSession | undefined;
    let established = false;
    sock = connect(bgpPort, '127.0.0.1', () => sock!.write(encodeMessage(local)));
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (!item.ok) {
          received.push(item.error.toNotification());
          continue;
        }
        received.push(item.message);
        if (item.message.type === 'open') {
          t.equal(validateOpen(item.message, { peerAsn: 65100, localBgpId: '10.0.0.1' }), null, 'GoBGP OPEN validates');
          session = negotiate(local, item.message);
          parser.setOptions(session);
          sock!.write(encodeMessage({ type: 'keepalive' }));
        } else if (item.message.type === 'keepalive') {
          established = true;
        }
      }
    });
    await until('Established', () => (established && session ? true : undefined));
    t.equal(session!.fourOctetAs, true);
    t.same(session!.families, [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);

    const announce = [
      {
        attributes: {
          origin: 0 as const,
          asPath: [{ type: 'sequence' as const, asns: [4200000001, 4200000001] }],
          nextHop: '192.0.2.1',
          med: 7,
          communities: [65001 * 65536 + 100],
          largeCommunities: [{ globalAdmin: 4200000001, local1: 1, local2: 2 }],
        },
        prefixes: [parsePrefix('172.16.1.1/32'), parsePrefix('172.16.2.0/24'), parsePrefix('2001:db8:1::/48')],
        ipv6NextHops: ['2001:db8::1'],
      },
    ];
    for (const m of buildUpdates({ announce, withdraw: [] }, session!)) sock.write(m);

    type Route = { nlri: { prefix: string }; attrs: { type: number; [k: string]: unknown }[] };
    const adjIn = (afi: 'ipv4' | 'ipv6'): Record<string, Route[]> => {
      try {
        return JSON.parse(cli('-j', 'neighbor', '127.0.0.1', 'adj-in', '-a', afi) || '{}') as Record<string, Route[]>;
      } catch {
        return {};
      }
    };
    const v4 = await until('IPv4 routes in GoBGP', () => {
      const r = adjIn('ipv4');
      return r['172.16.1.1/32']?.length && r['172.16.2.0/24']?.length ? r : undefined;
    });
    const attrs = Object.fromEntries(v4['172.16.1.1/32']![0]!.attrs.map((a) => [a.type, a]));
    t.match(attrs[1], { value: 0 }, 'ORIGIN IGP');
    t.match(attrs[2], { as_paths: [{ segment_type: 2, asns: [4200000001, 4200000001] }] }, 'AS_PATH with the prepend');
    t.match(attrs[3], { nexthop: '192.0.2.1' }, 'NEXT_HOP');
    t.match(attrs[4], { metric: 7 }, 'MED');
    t.match(attrs[8], { communities: [65001 * 65536 + 100] }, 'COMMUNITIES');
    t.match(attrs[32], { value: [{ ASN: 4200000001, LocalData1: 1, LocalData2: 2 }] }, 'LARGE_COMMUNITY');
    const v6 = await until('IPv6 route in GoBGP', () => adjIn('ipv6')['2001:db8:1::/48']?.[0]);
    t.match(v6.attrs.find((a) => a.type === 14), { nexthop: '2001:db8::1', value: [{ prefix: '2001:db8:1::/48' }] }, 'MP_REACH_NLRI');

    // Withdraw one IPv4 and the IPv6 prefix.
    for (const m of buildUpdates({ announce: [], withdraw: [parsePrefix('172.16.2.0/24'), parsePrefix('2001:db8:1::/48')] }, session!)) sock.write(m);
    await until('withdrawals in GoBGP', () => {
      const a = adjIn('ipv4');
      return !a['172.16.2.0/24']?.length && a['172.16.1.1/32']?.length && !adjIn('ipv6')['2001:db8:1::/48']?.length ? true : undefined;
    });
    t.pass('GoBGP removed the withdrawn prefixes and kept the other');

    // Administrative shutdown with a message (RFC 9003): GoBGP logs it and drops the session.
    sock.write(encodeMessage({ type: 'notification', code: 6, subcode: 2, data: shutdownCommunication('interop test done') }));
    await until('GoBGP to log the shutdown communication', () => (/"Communicated-Reason":"interop test done"/.test(log) ? true : undefined));
    t.match(log, /Peer Down.*|"Reason":"notification-received code 6\(cease\) subcode 2/, 'GoBGP dropped the session on Cease/Administrative Shutdown');
    if (process.env.INTEROP_LOG) console.error(log);
    t.notOk(received.some((m) => m.type === 'notification'), 'GoBGP never sent us a NOTIFICATION');
    t.notOk(/treated as withdraw|malformed|error/i.test(log.replace(/"level":"error"/g, '')), 'GoBGP logged no UPDATE error');
  });
}

/**
 * The systems the failover lab compares, each as "what runs on one appliance":
 *
 * - sidecar: bgp-sidecar (the real CLI, `run --config`) with BFD, a TCP health
 *   check against the local service, policy role active/standby, failback delay;
 * - gobgp:  the setup operators copy from the AWS Route Server sample: gobgpd
 *   originating the floating IP, a static AS-path prepend on the standby, no
 *   BFD, no health check;
 * - exabgp: ExaBGP 4 with its healthcheck program (rise/fall, AS path per
 *   state, withdraw on down, a disable file for drains), no BFD;
 * - bird:   BIRD 2 on the appliances, a static route for the floating IP,
 *   prepend on the standby, BFD; no health check.
 *
 * Same timers where they apply: hold time (3 s), BFD 100 ms x 3, health
 * interval 100 ms, rise 3, fall 3.
 */
import { writeFileSync, chmodSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exabgpEnv } from '../daemons/exabgp.js';
import { gobgpConfig } from '../daemons/gobgp.js';
import { readyWhen, writeConfig } from '../daemons/base.js';
import { ManagedProcess } from '../process.js';
import { run } from '../run.js';
import { cliCommand, sidecarProcess } from '../sidecar.js';
import { stringify } from 'yaml';
import { SERVICE_TCP_PORT } from './agents.js';
import type { LabAppliance } from './topology.js';
import type { Timeline } from '../timeline.js';

export const RS_ASN = 65000;
export const APPLIANCE_ASN = 65001;

export interface LabTimers {
  holdTime: number;
  bfdIntervalMs: number;
  bfdMultiplier: number;
  healthIntervalMs: number;
  rise: number;
  fall: number;
  failbackDelayMs: number;
}

export interface SpeakerContext {
  app: LabAppliance;
  active: boolean;
  /** Work directory of this appliance for this run. */
  dir: string;
  floatingPrefix: string;
  timers: LabTimers;
  tl: Timeline;
  /** Print every log line of the speaker on the timeline. */
  verbose: boolean;
}

/** One appliance's BGP speaker (plus whatever helps it: health checker...). */
export interface Speaker {
  /** Processes that make up the speaker (frozen and killed with the appliance). */
  readonly procs: ManagedProcess[];
  start(): Promise<void>;
  /** Orderly stop: SIGTERM. */
  stop(): Promise<void>;
  /** Planned drain, the system's own way. */
  drain(): Promise<void>;
  /** Last output lines, for failures. */
  tail(): string;
}

export interface SystemDef {
  id: SystemId;
  label: string;
  /** Reacts to the service's health. */
  health: boolean;
  /** Runs BFD with the Route Server. */
  bfd: boolean;
  /** How the planned drain is done. */
  drainHow: string;
  create(c: SpeakerContext): Speaker;
}

export const SYSTEM_IDS = ['sidecar', 'gobgp', 'exabgp', 'bird'] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

function peersOf(app: LabAppliance): { endpoint: string; local: string; name: string }[] {
  return app.endpoints.map((endpoint, i) => ({ endpoint, local: app.addresses[i]!, name: `ep${i + 1}` }));
}

// ---------------------------------------------------------------- bgp-sidecar

function sidecarYaml(c: SpeakerContext, socket: string): string {
  const t = c.timers;
  const doc = {
    'local-asn': APPLIANCE_ASN,
    'router-id': c.app.addresses[0],
    prefixes: [c.floatingPrefix],
    peers: peersOf(c.app).map((p) => ({
      address: p.endpoint,
      asn: RS_ASN,
      'local-address': p.local,
      'hold-time': t.holdTime,
      bfd: { 'min-tx-ms': t.bfdIntervalMs, 'min-rx-ms': t.bfdIntervalMs, multiplier: t.bfdMultiplier },
    })),
    health: {
      rise: t.rise,
      fall: t.fall,
      interval: `${t.healthIntervalMs}ms`,
      'fast-interval': `${t.healthIntervalMs}ms`,
      checks: [{ name: 'service', type: 'tcp', host: '127.0.0.1', port: SERVICE_TCP_PORT, timeout: `${t.healthIntervalMs}ms` }],
    },
    policy: { role: c.active ? 'active' : 'standby', ...(c.active ? { 'failback-delay': `${t.failbackDelayMs}ms` } : {}) },
    control: { socket },
    metrics: false,
    'log-level': 'info',
  };
  return stringify(doc);
}

/** The sidecar's JSON log lines that belong on the lab timeline. */
export function sidecarEvent(line: string): { kind: string; text: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const msg = j.msg;
  if (msg === 'health verdict') return { kind: 'health', text: `verdict ${String(j.verdict)} (state ${String(j.state)}${j.reason ? `, ${String(j.reason)}` : ''})` };
  if (msg === 'bfd state') return { kind: 'bfd', text: `BFD ${String(j.peer ?? '')} ${String(j.previous ?? '?')} -> ${String(j.bfd)}${j.diag !== undefined ? ` (diag ${String(j.diag)})` : ''}` };
  if (msg === 'announcing') {
    const a = (j.announcements as { prefix?: string; prepend?: number }[] | undefined) ?? [];
    return { kind: 'update', text: `UPDATE: announce ${a.map((x) => `${x.prefix} prepend ${x.prepend}`).join(', ')} (${String(j.reason ?? '')})` };
  }
  if (msg === 'withdrawing all prefixes') return { kind: 'update', text: `UPDATE: withdraw (${String(j.reason ?? '')})` };
  if (typeof msg === 'string' && /^drain/.test(msg)) return { kind: 'drain', text: msg };
  return undefined;
}

/**
 * A speaker that is one process: started as is, then `ready` (wait for its
 * control interface, originate the prefix); stopped with a 5 s grace;
 * drained its own way.
 */
function oneProcess(proc: ManagedProcess, o: { ready?: () => Promise<void>; drain: () => Promise<void> }): Speaker {
  return {
    procs: [proc],
    async start() {
      proc.start();
      if (o.ready) await o.ready();
    },
    stop: () => proc.stop(5000),
    drain: o.drain,
    tail: () => proc.tail(30),
  };
}

const sidecar: SystemDef = {
  id: 'sidecar',
  label: 'bgp-sidecar',
  health: true,
  bfd: true,
  drainHow: 'bgp-sidecar drain (control socket): maintenance = withdraw',
  create(c) {
    const socket = join(c.dir, 'ctl.sock');
    const configPath = writeConfig(c.dir, 'sidecar.yaml', sidecarYaml(c, socket));
    const { cmd, args } = cliCommand();
    let lastEvent = '';
    const proc = sidecarProcess({
      name: c.app.name,
      ns: c.app.ns,
      configPath,
      logFile: join(c.dir, 'sidecar.log'),
      onLine: (l) => {
        const e = sidecarEvent(l);
        // The verdict is logged by the monitor and by the daemon: one line on the timeline.
        if (e && e.text !== lastEvent) c.tl.mark(e.kind, `${c.app.name} ${e.text}`);
        if (e) lastEvent = e.text;
        else if (c.verbose) c.tl.say(`  [${c.app.name}] ${l}`);
      },
    });
    return oneProcess(proc, {
      async drain() {
        const r = await c.app.ns.exec(cmd, [...args, 'drain', '--socket', socket, '--reason', 'lab planned drain'], { allowFail: true, timeoutMs: 15_000 });
        if (r.code !== 0) throw new Error(`bgp-sidecar drain: exit ${r.code}: ${r.stderr.trim()}`);
      },
    });
  },
};

// ---------------------------------------------------------------- GoBGP

const gobgp: SystemDef = {
  id: 'gobgp',
  label: 'GoBGP (RS sample)',
  health: false,
  bfd: false,
  drainHow: 'gobgp global rib del <prefix>',
  create(c) {
    const apiPort = 50100 + c.app.index;
    const config = gobgpConfig({
      asn: APPLIANCE_ASN,
      routerId: c.app.addresses[0],
      port: -1,
      neighbors: peersOf(c.app).map((p) => ({ address: p.endpoint, asn: RS_ASN, holdTime: c.timers.holdTime, localAddress: p.local, families: ['ipv4-unicast'] })),
    });
    const configPath = writeConfig(c.dir, 'gobgpd.toml', config);
    const proc = new ManagedProcess({
      name: `gobgpd-${c.app.name}`,
      netns: c.app.ns,
      cmd: 'gobgpd',
      args: ['-f', configPath, '-t', 'toml', '--api-hosts', `127.0.0.1:${apiPort}`, '--pprof-disable', '-l', 'info'],
      logFile: join(c.dir, 'gobgpd.log'),
      ...(c.verbose ? { onLine: (l: string) => c.tl.say(`  [${c.app.name}] ${l}`) } : {}),
    });
    const gobgpCli = (...a: string[]) => c.app.ns.exec('gobgp', ['-u', '127.0.0.1', '-p', String(apiPort), ...a], { timeoutMs: 10_000 });
    const answers = readyWhen(
      proc,
      async () => (await c.app.ns.exec('gobgp', ['-u', '127.0.0.1', '-p', String(apiPort), 'global'], { allowFail: true, timeoutMs: 3000 })).code === 0,
      { timeoutMs: 10_000, intervalMs: 50, what: `gobgpd in ${c.app.name} to answer` },
    );
    return oneProcess(proc, {
      async ready() {
        await answers();
        // The sample's static prepend: the standby originates with a longer AS path.
        await gobgpCli('global', 'rib', 'add', c.floatingPrefix, ...(c.active ? [] : ['aspath', `${APPLIANCE_ASN},${APPLIANCE_ASN}`]), '-a', 'ipv4');
        c.tl.mark('update', `${c.app.name} gobgp: originated ${c.floatingPrefix}${c.active ? '' : ` with AS path ${APPLIANCE_ASN} ${APPLIANCE_ASN}`}`);
      },
      async drain() {
        await gobgpCli('global', 'rib', 'del', c.floatingPrefix, '-a', 'ipv4');
      },
    });
  },
};

// ---------------------------------------------------------------- ExaBGP

const exabgp: SystemDef = {
  id: 'exabgp',
  label: 'ExaBGP healthcheck',
  health: true,
  bfd: false,
  drainHow: 'healthcheck --disable file created (disabled = withdraw)',
  create(c) {
    const t = c.timers;
    const disableFile = join(c.dir, 'disable');
    const check = writeConfig(c.dir, 'check.sh', `#!/bin/bash\nexec 3<>/dev/tcp/127.0.0.1/${SERVICE_TCP_PORT}\n`);
    chmodSync(check, 0o755);
    const hcArgs = [
      '-m', 'exabgp', 'healthcheck', '--no-syslog',
      '--interval', String(t.healthIntervalMs / 1000), '--fast-interval', String(t.healthIntervalMs / 1000),
      '--rise', String(t.rise), '--fall', String(t.fall), '--timeout', '1',
      '--cmd', check, '--ip', c.floatingPrefix, '--no-ip-setup', '--withdraw-on-down', '--disable', disableFile,
      // ExaBGP sends the AS path it is given as is: three hops, as the others' standby.
      '--up-as-path', c.active ? `${APPLIANCE_ASN}` : `${APPLIANCE_ASN} ${APPLIANCE_ASN} ${APPLIANCE_ASN}`,
    ];
    const hc = writeConfig(c.dir, 'healthcheck.sh', `#!/bin/sh\nexec /usr/bin/python3 ${hcArgs.map((a) => `'${a}'`).join(' ')}\n`);
    chmodSync(hc, 0o755);
    const conf = [
      `process hc {\n  run ${hc};\n  encoder text;\n}`,
      ...peersOf(c.app).map((p) =>
        [
          `neighbor ${p.endpoint} {`,
          `  router-id ${c.app.addresses[0]};`,
          `  local-address ${p.local};`,
          `  local-as ${APPLIANCE_ASN};`,
          `  peer-as ${RS_ASN};`,
          `  hold-time ${t.holdTime};`,
          '  family { ipv4 unicast; }',
          '  api { processes [ hc ]; }',
          '}',
        ].join('\n'),
      ),
    ].join('\n');
    const configPath = writeConfig(c.dir, 'exabgp.conf', `${conf}\n`);
    const env = exabgpEnv();
    const proc = new ManagedProcess({
      name: `exabgp-${c.app.name}`,
      netns: c.app.ns,
      cmd: 'exabgp',
      args: [configPath],
      env,
      cwd: c.dir,
      logFile: join(c.dir, 'exabgp.log'),
      onLine: (l) => {
        // healthcheck logs its transitions: "send announces for UP state to ExaBGP"
        const m = /send announces for (\w+) state/.exec(l);
        if (m) c.tl.mark('health', `${c.app.name} exabgp healthcheck: ${m[1]} -> UPDATE ${m[1] === 'UP' ? 'announce' : 'withdraw'}`);
        else if (c.verbose) c.tl.say(`  [${c.app.name}] ${l}`);
      },
    });
    if (existsSync(disableFile)) rmSync(disableFile);
    return oneProcess(proc, {
      async drain() {
        writeFileSync(disableFile, 'lab planned drain\n');
      },
    });
  },
};

// ---------------------------------------------------------------- BIRD

const bird: SystemDef = {
  id: 'bird',
  label: 'BIRD + BFD',
  health: false,
  bfd: true,
  drainHow: 'birdc disable <static protocol> (withdraw)',
  create(c) {
    const t = c.timers;
    const prepend = c.active ? '' : `bgp_path.prepend(${APPLIANCE_ASN}); bgp_path.prepend(${APPLIANCE_ASN}); `;
    const lines = [
      `router id ${c.app.addresses[0]};`,
      'log stderr all;',
      'protocol device { scan time 10; }',
      `protocol static floating { ipv4; route ${c.floatingPrefix} blackhole; }`,
      `protocol bfd { interface "*" { interval ${t.bfdIntervalMs} ms; multiplier ${t.bfdMultiplier}; }; }`,
      ...peersOf(c.app).map((p) =>
        [
          `protocol bgp ${p.name} {`,
          `  local ${p.local} as ${APPLIANCE_ASN};`,
          `  neighbor ${p.endpoint} as ${RS_ASN};`,
          `  hold time ${t.holdTime}; keepalive time ${Math.max(1, Math.floor(t.holdTime / 3))};`,
          '  connect delay time 1; connect retry time 2; error wait time 1, 4;',
          '  bfd on;',
          `  ipv4 { import none; export filter { if net = ${c.floatingPrefix} then { ${prepend}accept; } reject; }; };`,
          '}',
        ].join('\n'),
      ),
    ];
    const configPath = writeConfig(c.dir, 'bird.conf', `${lines.join('\n')}\n`);
    const socket = join(c.dir, 'bird.ctl');
    const proc = new ManagedProcess({
      name: `bird-${c.app.name}`,
      netns: c.app.ns,
      cmd: 'bird',
      args: ['-f', '-c', configPath, '-s', socket, '-P', join(c.dir, 'bird.pid')],
      logFile: join(c.dir, 'bird.log'),
      // BIRD logs little by default; the Route Server's side shows its BGP and BFD events.
      ...(c.verbose ? { onLine: (l: string) => c.tl.say(`  [${c.app.name}] ${l}`) } : {}),
    });
    return oneProcess(proc, {
      async drain() {
        const r = await run('birdc', ['-s', socket, 'disable', 'floating'], { timeoutMs: 5000 });
        if (!/disabled/.test(r.stdout)) throw new Error(`birdc disable floating: ${r.stdout.trim()}`);
      },
    });
  },
};

export const SYSTEMS: Record<SystemId, SystemDef> = { sidecar, gobgp, exabgp, bird };

/** A fresh per-run directory for one appliance. */
export function runDir(base: string, ...parts: string[]): string {
  const d = join(base, ...parts);
  mkdirSync(d, { recursive: true, mode: 0o755 });
  return d;
}

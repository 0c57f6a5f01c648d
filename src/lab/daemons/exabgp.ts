/**
 * ExaBGP 4.2 in a namespace. Routes are sent through its `process` API: a
 * small relay (python3, which ExaBGP itself needs) copies lines from a FIFO we
 * write to its stdout (ExaBGP's command input) and appends what ExaBGP tells
 * it (JSON: state changes, received updates) to a file we read.
 */
import { mkfifoSync } from './mkfifo.js';
import { closeSync, existsSync, openSync, readFileSync, writeSync, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from '../process.js';
import { sleep, waitFor } from '../run.js';
import { workDir, writeConfig, type DaemonCommon, type DaemonHandle } from './base.js';

const RELAY = `import sys, threading
fifo, received = sys.argv[1], sys.argv[2]
def pump_in():
    with open(received, 'a') as out:
        for line in sys.stdin:
            out.write(line)
            out.flush()
threading.Thread(target=pump_in, daemon=True).start()
while True:
    with open(fifo) as f:
        for line in f:
            sys.stdout.write(line)
            sys.stdout.flush()
`;

export interface ExabgpNeighbor {
  address: string;
  localAddress: string;
  localAsn: number;
  peerAsn: number;
  routerId: string;
  holdTime?: number;
  /** Wait for the peer to connect (needs `listen`). */
  passive?: boolean;
  families?: ('ipv4 unicast' | 'ipv6 unicast')[];
}

export interface ExabgpOptions extends DaemonCommon {
  neighbors: ExabgpNeighbor[];
  /** Address to accept connections on (exabgp.tcp.bind); default: do not listen. */
  listen?: string;
}

export interface ExabgpEvent {
  type?: string;
  neighbor?: { address?: { peer?: string }; state?: string; message?: { update?: { announce?: Record<string, Record<string, unknown[]>>; withdraw?: Record<string, unknown[]> } } };
}

export interface ExabgpHandle extends DaemonHandle {
  /** Write API commands (one per line), e.g. "announce route 10.1.0.0/24 next-hop self". */
  send(...lines: string[]): Promise<void>;
  /**
   * Announce many IPv4/IPv6 prefixes with shared attributes, batched
   * (`announce attributes next-hop self nlri p1 p2 ...`) so ExaBGP packs them.
   */
  announceMany(prefixes: string[], o?: { batch?: number; attributes?: string }): Promise<void>;
  /** Everything ExaBGP reported to the API process (parsed JSON lines). */
  events(): ExabgpEvent[];
  /** Last state reported for a neighbor ("up", "down", "connected"...), or "unknown". */
  neighborState(address: string): string;
}

/**
 * The environment ExaBGP runs with as a lab child process: as root without
 * dropping privileges, in the foreground, logging to stdout (the process
 * log), no CLI pipe. `tcp.bind` '' means it does not listen; `extra` adds
 * or overrides settings.
 */
export function exabgpEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    'exabgp.daemon.user': 'root',
    'exabgp.daemon.drop': 'false',
    'exabgp.daemon.daemonize': 'false',
    'exabgp.log.destination': 'stdout',
    'exabgp.api.cli': 'false',
    'exabgp.tcp.bind': '',
    ...extra,
  };
}

function neighborBlock(n: ExabgpNeighbor): string {
  const fams = n.families ?? ['ipv4 unicast', 'ipv6 unicast'];
  return [
    `neighbor ${n.address} {`,
    `  router-id ${n.routerId};`,
    `  local-address ${n.localAddress};`,
    `  local-as ${n.localAsn};`,
    `  peer-as ${n.peerAsn};`,
    `  hold-time ${n.holdTime ?? 9};`,
    ...(n.passive ? ['  passive true;'] : []),
    `  family { ${fams.map((f) => `${f};`).join(' ')} }`,
    '  capability { route-refresh; }',
    '  api { processes [ relay ]; neighbor-changes; receive { parsed; update; refresh; } }',
    '}',
  ].join('\n');
}

export async function startExabgp(o: ExabgpOptions): Promise<ExabgpHandle> {
  const dir = workDir('exabgp', o.dir);
  const ns = o.ns;
  const relay = writeConfig(dir, 'relay.py', RELAY);
  const fifo = join(dir, 'commands.fifo');
  const received = join(dir, 'received.jsonl');
  if (!existsSync(fifo)) mkfifoSync(fifo);
  const config = writeConfig(
    dir,
    'exabgp.conf',
    [`process relay {\n  run /usr/bin/python3 ${relay} ${fifo} ${received};\n  encoder json;\n}`, ...o.neighbors.map(neighborBlock)].join('\n') + '\n',
  );
  const env = exabgpEnv({ 'exabgp.api.ack': 'false', 'exabgp.tcp.bind': o.listen ?? '', 'exabgp.tcp.port': '179' });
  const main = new ManagedProcess({ name: `exabgp@${ns.name}`, netns: ns, cmd: 'exabgp', args: [config], env, cwd: dir, logFile: join(dir, 'exabgp.log') });
  let writer: number | undefined;
  const ready = async () => {
    await waitFor(
      () => {
        main.assertRunning();
        return /loaded new configuration successfully/.test(main.output());
      },
      { timeoutMs: o.readyTimeoutMs ?? 15_000, intervalMs: 100, what: `ExaBGP in ${ns.name} to load ${config}` },
    );
  };
  const openWriter = async (): Promise<number> => {
    if (writer !== undefined) return writer;
    // O_NONBLOCK open of a FIFO for writing fails (ENXIO) until the relay opened it for reading.
    writer = await waitFor(
      () => {
        try {
          return openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'ExaBGP API relay to open its FIFO' },
    );
    return writer;
  };
  const write = async (text: string) => {
    const fd = await openWriter();
    let buf = Buffer.from(text);
    const deadline = Date.now() + 120_000;
    while (buf.length) {
      try {
        const n = writeSync(fd, buf);
        buf = buf.subarray(n);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        if (Date.now() > deadline) throw new Error('ExaBGP API relay does not read its FIFO (120 s)');
        await sleep(5);
      }
    }
  };
  const events = (): ExabgpEvent[] => {
    if (!existsSync(received)) return [];
    const out: ExabgpEvent[] = [];
    for (const line of readFileSync(received, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as ExabgpEvent);
      } catch {
        /* partial last line */
      }
    }
    return out;
  };
  const closeWriter = () => {
    if (writer !== undefined) closeSync(writer);
    writer = undefined;
  };
  main.start();
  await ready();
  return {
    kind: 'exabgp',
    ns,
    dir,
    main,
    async stop() {
      closeWriter();
      await main.stop();
    },
    async kill() {
      closeWriter();
      await main.kill();
    },
    pause: () => main.pause(),
    resume: () => main.resume(),
    async restart() {
      closeWriter();
      await main.stop();
      main.start();
      await ready();
    },
    logs: () => main.tail(80),
    async send(...lines) {
      await write(lines.map((l) => `${l}\n`).join(''));
    },
    async announceMany(prefixes, ao = {}) {
      const batch = ao.batch ?? 500;
      const attrs = ao.attributes ?? 'next-hop self';
      for (let i = 0; i < prefixes.length; i += batch) {
        await write(`announce attributes ${attrs} nlri ${prefixes.slice(i, i + batch).join(' ')}\n`);
      }
    },
    events,
    neighborState(address) {
      let state = 'unknown';
      for (const e of events()) if (e.type === 'state' && e.neighbor?.address?.peer === address && e.neighbor.state) state = e.neighbor.state;
      return state;
    },
  };
}

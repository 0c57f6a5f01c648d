/**
 * The failover lab's scenarios. Each starts from the steady state (route via
 * the active a1, the standby a2's path held by the Route Server), acts at
 * t = 0 while the client probes every 10 ms, and ends when the VPC route is
 * where it should be plus a settle time.
 */
import { sleep } from '../run.js';
import type { RunContext } from './runner.js';
import type { LabTimers } from './systems.js';

export interface LabScenario {
  name: string;
  describe: string;
  /** Only meaningful for systems that check the service's health. */
  needsHealth?: boolean;
  /** Before probing starts (failback: the active is down first). */
  prepare?(rc: RunContext): Promise<void>;
  act(rc: RunContext): Promise<void>;
  /** Where the VPC route must end. */
  expect: 'a1' | 'a2';
  /** Keep probing this long after the route is where it should be. */
  settleMs: number;
  /** What the target is, in words, and the bound in ms (gap), when there is one. */
  target(timers: LabTimers): { text: string; gapMs?: number; lost?: number; moves?: number };
}

const detection = (t: LabTimers) => t.bfdIntervalMs * t.bfdMultiplier;

export const LAB_SCENARIOS: LabScenario[] = [
  {
    name: 'health-failure',
    describe: "the active's service stops (its health check fails); the appliance itself stays up",
    needsHealth: true,
    act: async (rc) => rc.stopService('a1'),
    expect: 'a2',
    settleMs: 1000,
    target: (t) => {
      const b = t.fall * t.healthIntervalMs + 50;
      return { text: `gap <= fall x fast-interval + 50 = ${b} ms`, gapMs: b };
    },
  },
  {
    name: 'crash',
    describe: "the active's processes crash (SIGKILL to the BGP speaker and the service); the kernel closes the TCP sessions",
    act: async (rc) => rc.crash('a1'),
    expect: 'a2',
    settleMs: 1000,
    target: (t) => ({ text: `gap <= BFD detection + 50 = ${detection(t) + 50} ms`, gapMs: detection(t) + 50 }),
  },
  {
    name: 'link-down',
    describe: "the active's link goes down (ip link set eth0 down inside a1)",
    act: async (rc) => rc.linkDown('a1'),
    expect: 'a2',
    settleMs: 1000,
    target: (t) => ({ text: `gap <= BFD detection + 50 = ${detection(t) + 50} ms`, gapMs: detection(t) + 50 }),
  },
  {
    name: 'freeze',
    describe: 'the active hangs (SIGSTOP to the BGP speaker and the service): sockets open, nothing sent',
    act: async (rc) => rc.freeze('a1'),
    expect: 'a2',
    settleMs: 1000,
    target: (t) => ({ text: `gap <= BFD detection + 50 = ${detection(t) + 50} ms`, gapMs: detection(t) + 50 }),
  },
  {
    name: 'drain',
    describe: 'planned drain of the active, the system\'s own way',
    act: async (rc) => rc.drain('a1'),
    expect: 'a2',
    settleMs: 1000,
    target: () => ({ text: 'zero lost probes', lost: 0 }),
  },
  {
    name: 'graceful-stop',
    describe: "the active's BGP speaker gets SIGTERM (service keeps running)",
    act: async (rc) => rc.stopSpeaker('a1'),
    expect: 'a2',
    settleMs: 1000,
    target: () => ({ text: 'zero lost probes', lost: 0 }),
  },
  {
    name: 'failback',
    describe: 'the active crashed and comes back (service, then BGP speaker): traffic returns to it',
    prepare: async (rc) => {
      await rc.crash('a1');
      await rc.waitRoute('a2', 'the route to move to a2 before the failback');
    },
    act: async (rc) => rc.restartAppliance('a1'),
    expect: 'a1',
    settleMs: 1000,
    target: () => ({ text: 'zero lost probes', lost: 0 }),
  },
  {
    name: 'rs-endpoint-loss',
    describe: 'Route Server endpoint 1 of both subnets goes away (its sessions end); endpoint 2 remains',
    act: async (rc) => rc.loseEndpoint(0),
    expect: 'a1',
    settleMs: 1500,
    target: () => ({ text: 'zero lost probes, route stays on a1', lost: 0, moves: 0 }),
  },
  {
    name: 'flapping',
    describe: "the active's service flaps (down 600 ms, up 900 ms, 4 times), then stays up",
    needsHealth: true,
    act: async (rc) => {
      for (let i = 0; i < 4; i++) {
        await rc.stopService('a1');
        await sleep(600);
        await rc.startService('a1');
        await sleep(900);
      }
    },
    expect: 'a1',
    settleMs: 1500,
    // One move away, one back after the failback delay: any more is flapping traffic.
    target: () => ({ text: 'at most 2 route changes (away, and back after the failback delay)', moves: 2 }),
  },
];

export const LAB_SCENARIO_NAMES = LAB_SCENARIOS.map((s) => s.name);

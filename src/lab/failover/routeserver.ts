/**
 * The VPC Route Server of the failover lab: one BIRD 2 in the vpc namespace
 * with two endpoints per appliance subnet (a protocol per endpoint and
 * appliance: a1_ep1, a1_ep2, ...), passive like the AWS endpoints, BFD when
 * the system under test runs it, best path exported to the namespace's
 * kernel table (the VPC route table).
 *
 * BIRD 2.0.12 locks a BGP session by neighbor address (and port, interface),
 * so two protocols towards the same neighbor address leave the second Idle.
 * Each appliance therefore peers with endpoint 1 from one address and with
 * endpoint 2 from another: the Route Server sees two different neighbors.
 */
import { startBird, type BirdHandle } from '../daemons/bird.js';
import { RS_ASN, APPLIANCE_ASN, type LabTimers } from './systems.js';
import type { LabAppliance, LabTopology } from './topology.js';

export function protocolName(a: LabAppliance, endpoint: number): string {
  return `${a.name}_ep${endpoint + 1}`;
}

export function routeServerConfig(topo: LabTopology, timers: LabTimers, bfd: boolean): string {
  const lines = [
    'router id 10.255.0.1;',
    'log stderr all;',
    'protocol device { scan time 10; }',
    // The kernel table stands in for the VPC route table.
    'protocol kernel kernel4 { ipv4 { export all; import none; }; learn off; scan time 10; }',
  ];
  if (bfd) lines.push(`protocol bfd { interface "*" { interval ${timers.bfdIntervalMs} ms; multiplier ${timers.bfdMultiplier}; }; }`);
  for (const a of topo.appliances) {
    for (const [i, ep] of a.endpoints.entries()) {
      lines.push(
        `protocol bgp ${protocolName(a, i)} {`,
        `  local ${ep} as ${RS_ASN};`,
        `  neighbor ${a.addresses[i]} as ${APPLIANCE_ASN};`,
        '  passive on;',
        `  hold time ${timers.holdTime}; keepalive time ${Math.max(1, Math.floor(timers.holdTime / 3))};`,
        '  connect delay time 1; connect retry time 2; error wait time 1, 4; error forget time 10;',
        ...(bfd ? ['  bfd on;'] : []),
        '  ipv4 { import all; export none; };',
        '}',
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function startRouteServer(topo: LabTopology, dir: string, timers: LabTimers, bfd: boolean): Promise<BirdHandle> {
  return startBird({ ns: topo.vpc, dir, config: routeServerConfig(topo, timers, bfd) });
}

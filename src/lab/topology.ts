/**
 * The lab's network: a `vpc` namespace (the VPC router and its Route Server,
 * played by BIRD) and one namespace per appliance, each joined to the vpc by
 * a veth pair on its own /24 (10.255.<n>.0/24: .1 on the vpc side, .2 on the
 * appliance), the floating IP on every appliance's loopback. Addresses exist
 * only inside these namespaces.
 */
import { randomBytes } from 'node:crypto';
import { Netns, veth } from './netns.js';

export interface ApplianceSpec {
  /** Short name: "a1", "a2" (letters/digits, at most 6). */
  name: string;
  /** AS-path prepend this appliance announces while healthy (0 = active, 2 = standby). */
  prepend: number;
}

export interface Appliance extends ApplianceSpec {
  ns: Netns;
  /** The appliance's address on its link to the vpc. */
  address: string;
  /** The vpc side's (Route Server endpoint's) address on that link. */
  vpcAddress: string;
  /** Interface name of the link inside the vpc namespace (= the appliance name). */
  vpcIfname: string;
  /** The veth inside the appliance namespace. */
  ifname: string;
}

export interface Topology {
  runId: string;
  vpc: Netns;
  appliances: Appliance[];
  floatingIp: string;
  /** Delete every namespace (processes inside are killed). */
  destroy(): void;
}

export interface TopologyOptions {
  appliances: ApplianceSpec[];
  /** Floating prefix held on every appliance's loopback (default 172.16.1.1/32). */
  floatingPrefix?: string;
  /** Base of the link subnets: 10.255.<base+i>.0/24 (default 1). */
  subnetBase?: number;
}

export async function buildTopology(o: TopologyOptions): Promise<Topology> {
  const runId = randomBytes(2).toString('hex');
  const floating = o.floatingPrefix ?? '172.16.1.1/32';
  const base = o.subnetBase ?? 1;
  const names = new Set<string>();
  for (const a of o.appliances) {
    if (!/^[a-z][a-z0-9]{0,5}$/.test(a.name)) throw new Error(`appliance name ${JSON.stringify(a.name)}: 1-6 lower-case letters/digits, starting with a letter`);
    if (names.has(a.name)) throw new Error(`appliance name ${a.name} used twice`);
    names.add(a.name);
  }
  if (o.appliances.length + base > 254) throw new Error('too many appliances for 10.255.x.0/24 links');
  const vpc = await Netns.create('vpc', { exactName: `bgpsc-vpc-${runId}` });
  await vpc.enableForwarding();
  const appliances: Appliance[] = [];
  for (const [i, spec] of o.appliances.entries()) {
    const ns = await Netns.create(spec.name, { exactName: `bgpsc-${spec.name}-${runId}` });
    const net = `10.255.${base + i}`;
    const a: Appliance = { ...spec, ns, address: `${net}.2`, vpcAddress: `${net}.1`, vpcIfname: spec.name, ifname: 'eth0' };
    await veth({ ns: vpc, ifname: a.vpcIfname, addrs: [`${a.vpcAddress}/24`] }, { ns, ifname: a.ifname, addrs: [`${a.address}/24`] });
    await ns.addAddress('lo', floating);
    await ns.ip(['route', 'add', 'default', 'via', a.vpcAddress]);
    appliances.push(a);
  }
  return {
    runId,
    vpc,
    appliances,
    floatingIp: floating.split('/')[0]!,
    destroy() {
      for (const a of appliances) a.ns.destroy();
      vpc.destroy();
    },
  };
}

/**
 * The failover lab's network (docs/lab.md draws it):
 *
 *   vpc     the VPC router and its Route Server: BIRD 2, two endpoints per
 *           appliance subnet (10.255.<n>.1 and .2); its kernel table is the
 *           VPC route table. Forwards between the client and the appliances.
 *   a1, a2  appliances, each on its own subnet 10.255.<n>.0/24, with two
 *           addresses (.11 peers with endpoint .1, .12 with endpoint .2: BIRD
 *           2.0.12 keeps a second session to the same neighbor address Idle,
 *           so each endpoint sees its own neighbor address) and the floating
 *           IP on lo.
 *   client  10.255.100.2, default route via the vpc: sends the probes.
 */
import { randomBytes } from 'node:crypto';
import { Netns, veth } from '../netns.js';

export interface LabAppliance {
  name: string;
  /** 0-based position: a1 = 0. */
  index: number;
  ns: Netns;
  /** The veth inside the appliance namespace. */
  ifname: string;
  /** The subnet's bridge on the vpc side (br-<name>; the veth end is v-<name>). */
  vpcIfname: string;
  /** Route Server endpoint addresses on this subnet (the vpc side). */
  endpoints: [string, string];
  /** The appliance's own address towards each endpoint (same order). */
  addresses: [string, string];
  /** The subnet's router (the VPC's implicit router): endpoint 1's address. */
  gateway: string;
}

export interface LabTopology {
  runId: string;
  vpc: Netns;
  client: Netns;
  clientAddress: string;
  appliances: LabAppliance[];
  floatingIp: string;
  /** Appliance a VPC next hop belongs to. */
  applianceOf(nextHop: string | undefined): string | undefined;
  /** Link up again and the default route back (after the link-down scenario). */
  restoreLink(a: LabAppliance): Promise<void>;
  destroy(): void;
}

export async function buildLabTopology(o: { names: string[]; floatingPrefix: string }): Promise<LabTopology> {
  const runId = randomBytes(2).toString('hex');
  const floatingIp = o.floatingPrefix.split('/')[0]!;
  const vpc = await Netns.create('vpc', { exactName: `bgpsc-vpc-${runId}` });
  const created: Netns[] = [vpc];
  try {
    await vpc.enableForwarding();
    const client = await Netns.create('client', { exactName: `bgpsc-cl-${runId}` });
    created.push(client);
    await veth({ ns: vpc, ifname: 'client', addrs: ['10.255.100.1/24'] }, { ns: client, ifname: 'eth0', addrs: ['10.255.100.2/24'] });
    await client.ip(['route', 'add', 'default', 'via', '10.255.100.1']);
    const appliances: LabAppliance[] = [];
    for (const [i, name] of o.names.entries()) {
      const ns = await Netns.create(name, { exactName: `bgpsc-${name}-${runId}` });
      created.push(ns);
      const net = `10.255.${i + 1}`;
      const a: LabAppliance = {
        name,
        index: i,
        ns,
        ifname: 'eth0',
        vpcIfname: `br-${name}`,
        endpoints: [`${net}.1`, `${net}.2`],
        addresses: [`${net}.11`, `${net}.12`],
        gateway: `${net}.1`,
      };
      // The subnet on the vpc side is a bridge that keeps its carrier (a dummy
      // port: one end of a veth pair kept inside the vpc; the dummy driver is not
      // everywhere) when the appliance's link goes down, as a VPC subnet would: the
      // Route Server must not learn of a dead appliance from a carrier loss
      // it would never see in AWS, only from BFD or the hold timer.
      await vpc.ip(['link', 'add', a.vpcIfname, 'type', 'bridge']);
      await vpc.ip(['link', 'add', `k-${name}`, 'type', 'veth', 'peer', 'name', `kp-${name}`]);
      await vpc.ip(['link', 'set', `k-${name}`, 'master', a.vpcIfname, 'up']);
      await vpc.linkUp(`kp-${name}`);
      await veth({ ns: vpc, ifname: `v-${name}` }, { ns, ifname: 'eth0', addrs: a.addresses.map((x) => `${x}/24`) });
      await vpc.ip(['link', 'set', `v-${name}`, 'master', a.vpcIfname]);
      for (const x of a.endpoints) await vpc.addAddress(a.vpcIfname, `${x}/24`);
      await vpc.linkUp(a.vpcIfname);
      await ns.addAddress('lo', o.floatingPrefix);
      await ns.ip(['route', 'add', 'default', 'via', a.gateway]);
      appliances.push(a);
    }
    const byAddr = new Map<string, string>();
    for (const a of appliances) for (const x of a.addresses) byAddr.set(x, a.name);
    return {
      runId,
      vpc,
      client,
      clientAddress: '10.255.100.2',
      appliances,
      floatingIp,
      applianceOf: (nh) => (nh ? byAddr.get(nh) : undefined),
      async restoreLink(a) {
        await a.ns.ip(['link', 'set', a.ifname, 'up']);
        // The kernel dropped the default route with the link.
        await a.ns.ip(['route', 'replace', 'default', 'via', a.gateway]);
      },
      destroy() {
        for (const n of created.reverse()) n.destroy();
      },
    };
  } catch (err) {
    for (const n of created.reverse()) n.destroy();
    throw err;
  }
}

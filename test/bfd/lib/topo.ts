/** Two namespaces joined by a veth: ours (10.x.0.1) and the peer's (10.x.0.2). */
import { Netns, veth } from '../../lib/netns.js';

export interface PairTopo {
  ours: Netns;
  peer: Netns;
  ourAddr: string;
  peerAddr: string;
  destroy(): void;
}

export async function pairTopo(tag: string, subnet: number): Promise<PairTopo> {
  const ours = await Netns.create(`${tag}o`);
  const peer = await Netns.create(`${tag}p`);
  const ourAddr = `10.${subnet}.0.1`;
  const peerAddr = `10.${subnet}.0.2`;
  await veth({ ns: ours, ifname: 'bfd0', addrs: [`${ourAddr}/24`] }, { ns: peer, ifname: 'bfd0', addrs: [`${peerAddr}/24`] });
  return {
    ours, peer, ourAddr, peerAddr,
    destroy() {
      ours.destroy();
      peer.destroy();
    },
  };
}

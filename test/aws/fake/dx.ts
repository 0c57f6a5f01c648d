/** Direct Connect JSON 1.1 API of the fake (X-Amz-Target: OvertureService.<Action>). */
import { randomUUID } from 'node:crypto';
import { vifState, type FakeState, type FakeVif } from './state.js';
import { FakeApiError } from './wire.js';

type Json = Record<string, unknown>;
type Handler = (s: FakeState, input: Json, fx: { change?: string }) => Json;

function vifJson(v: FakeVif): Json {
  const testing = !!v.test;
  return {
    ownerAccount: '123456789012',
    virtualInterfaceId: v.id,
    virtualInterfaceName: v.name,
    virtualInterfaceType: 'private',
    location: 'EqLD5',
    connectionId: 'dxcon-fgabc123',
    vlan: 101,
    asn: 65000,
    amazonSideAsn: 64512,
    addressFamily: 'ipv4',
    virtualInterfaceState: vifState(v),
    region: 'eu-west-1',
    bgpPeers: v.bgpPeers.map((p) => ({
      bgpPeerId: p.id,
      asn: 65000,
      addressFamily: 'ipv4',
      bgpPeerState: 'available',
      bgpStatus: testing ? 'down' : p.status,
    })),
    tags: [],
  };
}

function findVif(s: FakeState, input: Json): FakeVif {
  const id = input.virtualInterfaceId;
  if (typeof id !== 'string') throw new FakeApiError('DirectConnectClientException', 'virtualInterfaceId is required');
  const v = s.vifs.find((x) => x.id === id);
  if (!v) throw new FakeApiError('DirectConnectClientException', `Virtual interface ${id} does not exist`);
  return v;
}

function testJson(v: FakeVif, status: string): Json {
  return {
    virtualInterfaceTest: {
      testId: v.test?.testId ?? randomUUID(),
      virtualInterfaceId: v.id,
      bgpPeers: v.bgpPeers.map((p) => p.id),
      status,
      ownerAccount: '123456789012',
      testDurationInMinutes: v.test?.durationMinutes ?? 0,
      startTime: (v.test?.startTime ?? new Date()).getTime() / 1000,
    },
  };
}

export const dxHandlers: Record<string, Handler> = {
  DescribeVirtualInterfaces(s, input) {
    const id = input.virtualInterfaceId;
    const vifs = typeof id === 'string' ? s.vifs.filter((v) => v.id === id) : s.vifs;
    return { virtualInterfaces: vifs.map(vifJson) };
  },
  StartBgpFailoverTest(s, input, fx) {
    const v = findVif(s, input);
    if (v.test) throw new FakeApiError('DirectConnectClientException', `A test is already in progress for ${v.id}`);
    const d = input.testDurationInMinutes;
    if (d !== undefined && (typeof d !== 'number' || d < 1 || d > 4320)) throw new FakeApiError('DirectConnectClientException', 'testDurationInMinutes must be 1..4320');
    v.test = { testId: randomUUID(), durationMinutes: typeof d === 'number' ? d : 180, startTime: new Date() };
    fx.change = `start test ${v.id}`;
    return testJson(v, 'IN_PROGRESS');
  },
  StopBgpFailoverTest(s, input, fx) {
    const v = findVif(s, input);
    if (!v.test) throw new FakeApiError('DirectConnectClientException', `No test in progress for ${v.id}`);
    const out = testJson(v, 'COMPLETED');
    delete v.test;
    fx.change = `stop test ${v.id}`;
    return out;
  },
};

export const DX_MUTATING = new Set(['StartBgpFailoverTest', 'StopBgpFailoverTest']);

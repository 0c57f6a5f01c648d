/**
 * OPEN validation for the FSM: the codec's validateOpen (RFC 4271 6.2,
 * RFC 5492, RFC 6286, RFC 6793) with what this speaker expects of the peer.
 */
import { validateOpen } from '../bgp/index.js';
import type { Capability, OpenMessage } from '../bgp/types.js';
import type { DecodeFailure } from './bgp-fsm-types.js';
import { remoteAsnOf } from './bgp-open-policy.js';

export interface OpenCheckContext {
  peerAsn: number;
  localOpen: OpenMessage;
}

export function checkRemoteOpen(open: OpenMessage, ctx: OpenCheckContext): DecodeFailure | null {
  const required: Capability[] = [];
  // RFC 6793 4.1: a peer whose ASN needs 4 octets must say so with the capability;
  // without it we answer 2/7 naming the capability rather than a puzzling 2/2.
  if (ctx.peerAsn > 0xffff) required.push({ code: 65, name: 'four-octet-as', asn: ctx.peerAsn });
  const localAsn = remoteAsnOf(ctx.localOpen);
  // Capabilities first, so that a 4-octet peer without the capability hears 2/7 and not 2/2.
  const err = (required.length > 0 ? validateOpen(open, { localBgpId: ctx.localOpen.bgpId, requiredCapabilities: required }) : null) ?? validateOpen(open, {
    peerAsn: ctx.peerAsn,
    localBgpId: ctx.localOpen.bgpId,
    localAsn,
    requiredCapabilities: required,
  });
  if (!err) return null;
  return { code: err.code, subcode: err.subcode, data: err.data, message: err.message };
}

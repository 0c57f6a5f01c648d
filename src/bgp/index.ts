/**
 * BGP-4 wire codec: pure, no sockets, no timers.
 *
 * Receiving:  const p = new BgpStreamParser();  for (const item of p.push(chunk)) ...
 *   item.ok === false: send item.error.toNotification() and reset (the parser refuses more input).
 *   item.ok === true:  item.message; for UPDATEs item.problems lists RFC 7606 treat-as-withdraw /
 *   attribute-discard cases, with the message already adjusted.
 *   After the OPEN exchange: validateOpen(remote, {...}) then p.setOptions(negotiate(local, remote)).
 *   setOptions applies to octets not parsed yet; push(new Uint8Array(0)) parses what is buffered.
 * Sending:    encodeMessage(msg, opts) for one message; buildUpdates({announce, withdraw}, opts)
 *   for packed UPDATEs. IPv4 prefixes use attributes.nextHop; IPv6 prefixes use the group's
 *   ipv6NextHops ([global] or [global, link-local]) and go in MP_REACH_NLRI.
 *   endOfRib(afi, safi) gives the End-of-RIB UPDATE to encode; isEndOfRib(u) recognises one.
 */
export * from './types.js';
export * from './constants.js';
export { BgpMessageError, type UpdateProblem, type UpdateErrorAction } from './errors.js';
export { BgpStreamParser, type ParsedItem } from './stream-parser.js';
export { encodeMessage, decodeBody, maxMessageLength, DEFAULT_CODEC_OPTIONS } from './message.js';
export { buildUpdates, endOfRib, endOfRibFamily, isEndOfRib, type AnnounceGroup, type BuildUpdatesInput } from './update-builder.js';
export { validateOpen, peerAsnOf, negotiate, type OpenExpectations, type NegotiatedSession, type Family } from './open-validate.js';
export { makeOpen, type LocalOpenSettings } from './open-build.js';
export { findCapability } from './capabilities.js';
export { decodeShutdownCommunication } from './notification.js';
export { parsePrefix, formatPrefix, prefixKey, samePrefix, type ParsePrefixOptions } from './prefix.js';
export { formatIpv6, parseIpv4, parseIpv6 } from './address.js';
export { asPathLength } from './as-path.js';
export { familyKey } from './update-decode.js';

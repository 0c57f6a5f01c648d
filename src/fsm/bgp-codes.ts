/** NOTIFICATION codes the FSM and speaker send, named from the codec's tables. */
import { CeaseSubcode, ErrorCode } from '../bgp/index.js';

export const ERR_OPEN = ErrorCode.OPEN_MESSAGE;
export const ERR_UPDATE = ErrorCode.UPDATE_MESSAGE;
export const ERR_HOLD_TIMER = ErrorCode.HOLD_TIMER_EXPIRED;
export const ERR_FSM = ErrorCode.FSM;
export const ERR_CEASE = ErrorCode.CEASE;
/** RFC 9687 section 5: "Send Hold Timer Expired" (not in the codec's table yet). */
export const ERR_SEND_HOLD_TIMER = 8;

export const CEASE_MAX_PREFIXES = CeaseSubcode.MAXIMUM_PREFIXES_REACHED;
export const CEASE_ADMIN_SHUTDOWN = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN;
export const CEASE_PEER_DECONFIGURED = CeaseSubcode.PEER_DECONFIGURED;
export const CEASE_ADMIN_RESET = CeaseSubcode.ADMINISTRATIVE_RESET;
export const CEASE_CONNECTION_REJECTED = CeaseSubcode.CONNECTION_REJECTED;
export const CEASE_OTHER_CONFIG_CHANGE = CeaseSubcode.OTHER_CONFIGURATION_CHANGE;
export const CEASE_COLLISION = CeaseSubcode.CONNECTION_COLLISION_RESOLUTION;
export const CEASE_OUT_OF_RESOURCES = CeaseSubcode.OUT_OF_RESOURCES;
/** RFC 9384: BFD Down. */
export const CEASE_BFD_DOWN = CeaseSubcode.BFD_DOWN;

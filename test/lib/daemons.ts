/**
 * Real BGP daemons (BIRD 2, GoBGP, FRR, ExaBGP) inside network namespaces,
 * for interop tests. The implementations live in src/lab/daemons (the lab
 * uses them too). Every handle has stop(), kill(), pause() (SIGSTOP),
 * resume(), restart(), logs() and daemon-specific queries; every process is
 * registered with the cleanup registry (see ./netns.ts useCleanup()).
 */
export { parseAsPath, type DaemonHandle, type DaemonCommon } from '../../src/lab/daemons/base.js';
export {
  birdConfig,
  startBird,
  parseBirdRoutes,
  parseBirdProtocols,
  type BirdConfigOptions,
  type BirdPeer,
  type BirdHandle,
  type BirdRoute,
  type BirdProtocol,
} from '../../src/lab/daemons/bird.js';
export { gobgpConfig, startGobgp, parseGobgpRib, type GobgpConfigOptions, type GobgpNeighbor, type GobgpHandle, type GobgpPath } from '../../src/lab/daemons/gobgp.js';
export { frrBgpConfig, startFrr, FRR_LIBEXEC, type FrrBgpConfigOptions, type FrrNeighbor, type FrrHandle, type FrrPath } from '../../src/lab/daemons/frr.js';
export { startExabgp, type ExabgpNeighbor, type ExabgpOptions, type ExabgpHandle, type ExabgpEvent } from '../../src/lab/daemons/exabgp.js';

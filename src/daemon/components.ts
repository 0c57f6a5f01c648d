/**
 * The real components behind the daemon's ports. AWS code is imported only
 * when a fallback or Route Server status polling is configured, BFD only when
 * a peer has bfd.
 */
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { HealthMonitor } from '../health/index.js';
import { Speaker } from '../speaker/speaker.js';
import type { Clock } from '../util/clock.js';
import { LoopbackManager, StateHooks } from '../host/index.js';
import type { FallbackStatus } from '../aws/fallback.js';
import type { RsStatusSnapshot } from '../aws/rs-status-poller.js';
import type { BfdPort, Components, FallbackPort, HealthPort, HooksPort, RsStatusPort, SpeakerPort, SpeakerSettings } from './ports.js';

/**
 * Where the loopback manager records the addresses it added, so that a restart after a
 * crash still knows they are ours: next to the control socket, in the runtime directory
 * (/run/bgp-sidecar/loopback.json by default). /run is emptied at boot, like the addresses.
 */
export function loopbackStateFile(cfg: Pick<Config, 'control'>): string {
  return join(dirname(cfg.control.socket), 'loopback.json');
}

export function realComponents(): Components {
  return {
    createSpeaker(o: SpeakerSettings, logger: Logger, clock: Clock): SpeakerPort {
      return new Speaker({ ...o, logger, clock }) as unknown as SpeakerPort;
    },
    createHealth(cfg: Config, logger: Logger, clock: Clock): HealthPort {
      if (!cfg.health) throw new Error('createHealth without a health section');
      return new HealthMonitor({ config: cfg.health, clock, logger });
    },
    createLoopback(cfg: Config, logger: Logger): LoopbackManager {
      return new LoopbackManager({ interface: cfg.loopback.interface, logger, stateFile: loopbackStateFile(cfg) });
    },
    createHooks(cfg: Config, logger: Logger): HooksPort {
      return new StateHooks({ config: cfg.hooks, logger });
    },
    async createBfd(_cfg: Config, logger: Logger): Promise<BfdPort> {
      const { BfdManager } = await import('../io/bfd-manager.js');
      return new BfdManager({ logger });
    },
    async createFallback(cfg: Config, logger: Logger): Promise<FallbackPort> {
      const { createFallback } = await import('../aws/fallback.js');
      return createFallback(cfg, { logger });
    },
    async createRsStatus(cfg: Config, logger: Logger, clock: Clock): Promise<RsStatusPort> {
      if (!cfg.aws) throw new Error('createRsStatus without an aws section');
      const { createRsStatusPoller } = await import('../aws/rs-status-poller.js');
      return createRsStatusPoller({ aws: cfg.aws, prefixes: cfg.prefixes }, { logger, clock });
    },
    async registerAwsMetrics(registry, sources): Promise<void> {
      const { registerAwsMetrics } = await import('../aws/metrics.js');
      registerAwsMetrics(registry, {
        fallback: sources.fallback as () => FallbackStatus | undefined,
        rsStatus: sources.rsStatus as () => RsStatusSnapshot | undefined,
        now: sources.now,
      });
    },
  };
}

/**
 * The real components behind the daemon's ports. AWS code is imported only
 * when a fallback is configured, BFD only when a peer has bfd.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { HealthMonitor } from '../health/index.js';
import { Speaker } from '../speaker/speaker.js';
import type { Clock } from '../util/clock.js';
import type { BfdPort, Components, FallbackPort, HealthPort, SpeakerPort, SpeakerSettings } from './ports.js';

export function realComponents(): Components {
  return {
    createSpeaker(o: SpeakerSettings, logger: Logger, clock: Clock): SpeakerPort {
      return new Speaker({ ...o, logger, clock }) as unknown as SpeakerPort;
    },
    createHealth(cfg: Config, logger: Logger, clock: Clock): HealthPort {
      if (!cfg.health) throw new Error('createHealth without a health section');
      return new HealthMonitor({ config: cfg.health, clock, logger });
    },
    async createBfd(_cfg: Config, logger: Logger): Promise<BfdPort> {
      const { BfdManager } = await import('../io/bfd-manager.js');
      return new BfdManager({ logger });
    },
    async createFallback(cfg: Config, logger: Logger): Promise<FallbackPort> {
      const { createFallback } = await import('../aws/fallback.js');
      return createFallback(cfg, { logger });
    },
  };
}

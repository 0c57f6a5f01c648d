/** The one pino logger of the daemon: JSON lines on stdout, ISO timestamps. */
import { pino, type Logger, type DestinationStream } from 'pino';

export function createLogger(level: string, dest?: DestinationStream): Logger {
  return pino(
    {
      name: 'bgp-sidecar',
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      base: { pid: process.pid },
    },
    // Synchronous: the last lines before an exit (the withdraw, the fatal error) must not be lost.
    dest ?? pino.destination({ dest: 1, sync: true }),
  );
}

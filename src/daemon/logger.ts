/**
 * The one pino logger of the daemon: JSON records on stdout, ISO timestamps,
 * level as a label. Under systemd (stdout is the journal stream) each record
 * gets the syslog priority prefix journald strips and files it under
 * (src/daemon/journal.ts, format 'json'), so `journalctl -p warning` filters
 * by level and `journalctl -o cat | jq` still sees plain JSON.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { isJournalStream, journalDestination } from './journal.js';

export function createLogger(level: string, dest?: DestinationStream, env: NodeJS.ProcessEnv = process.env): Logger {
  // Synchronous: the last lines before an exit (the withdraw, the fatal error) must not be lost.
  const out = dest ?? (isJournalStream(env, 1) ? journalDestination({ fd: 1, format: 'json', sync: true }) : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      name: 'bgp-sidecar',
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      base: { pid: process.pid },
    },
    out as DestinationStream,
  );
}

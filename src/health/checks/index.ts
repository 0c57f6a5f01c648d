/** One runner per configured check. */
import type { CheckConfig } from '../../config/health.js';
import type { CheckRunner } from '../types.js';
import { execRunner } from './exec.js';
import { fileRunner } from './file.js';
import { httpRunner } from './http.js';
import { icmpRunner } from './icmp.js';
import { interfaceRunner } from './interface.js';
import { tcpRunner } from './tcp.js';

export function createRunner(c: CheckConfig): CheckRunner {
  switch (c.type) {
    case 'tcp': return tcpRunner(c);
    case 'icmp': return icmpRunner(c);
    case 'http': case 'https': return httpRunner(c);
    case 'exec': return execRunner(c);
    case 'file': return fileRunner(c);
    case 'interface': return interfaceRunner(c);
  }
}

/** Hard deadline of one run; icmp's timeout is per echo. */
export function runDeadlineMs(c: CheckConfig): number {
  return c.type === 'icmp' ? c.count * c.timeoutMs + 500 : c.timeoutMs;
}

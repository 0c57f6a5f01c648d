/** The client's prober as a child process: start, live events on the timeline, summary at stop. */
import { ManagedProcess } from '../process.js';
import { waitFor } from '../run.js';
import type { Timeline } from '../timeline.js';
import type { LabTopology } from './topology.js';
import { SERVICE_UDP_PORT } from './agents.js';

export interface ProbeSummary {
  sent: number;
  lost: number;
  /** Longest time without an answer, ms (probe send times; 0 = nothing lost). */
  gapMs: number;
  gapAfterSeq: number;
  /** Probes unanswered at the end (an outage that had not ended). */
  unansweredAtEnd: number;
  byAppliance: Record<string, number>;
  /** Runs of lost probes: [first seq, last seq, epoch ms the first was sent] (at most 50). */
  losses: [number, number, number][];
  startedAt: number;
  endedAt: number;
}

export class Prober {
  private proc: ManagedProcess;

  constructor(topo: LabTopology, script: string, intervalMs: number, tl: Timeline) {
    this.proc = new ManagedProcess({
      name: 'prober',
      netns: topo.client,
      cmd: process.execPath,
      args: [script, topo.floatingIp, String(SERVICE_UDP_PORT), String(intervalMs)],
      onLine: (l) => {
        const sw = /^switch (\d+) (\S+) (\S+)/.exec(l);
        if (sw) tl.mark('probe', `probe #${sw[1]} answered by ${sw[3]}${sw[2] === '-' ? ' (first answer)' : ` (was ${sw[2]})`}`);
        const gap = /^gap (\d+) (\d+) ([\d.]+)/.exec(l);
        if (gap) tl.mark('probe', `probes #${gap[1]}..#${gap[2]} lost (${Number(gap[2]) - Number(gap[1]) + 1}), ${Math.round(Number(gap[3]))} ms without an answer`);
      },
    });
  }

  async start(): Promise<void> {
    this.proc.start();
    await waitFor(
      () => {
        this.proc.assertRunning();
        return /^switch /m.test(this.proc.output());
      },
      { timeoutMs: 5000, intervalMs: 10, what: 'the first answer to a probe' },
    );
  }

  async stop(): Promise<ProbeSummary> {
    this.proc.signal('SIGTERM');
    await this.proc.waitExit(3000);
    const line = this.proc.output().split('\n').find((l) => l.startsWith('summary '));
    if (!line) {
      await this.proc.kill();
      throw new Error(`prober gave no summary: ${this.proc.tail(10)}`);
    }
    return JSON.parse(line.slice(8)) as ProbeSummary;
  }

  async kill(): Promise<void> {
    await this.proc.kill();
  }
}

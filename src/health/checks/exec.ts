/** `exec`: exit status 0 passes. Runs without a shell, in its own process group (see host/run-command.ts). */
import type { ExecCheckConfig } from '../../config/health.js';
import { runCommand } from '../../host/run-command.js';
import type { CheckResult, CheckRunner } from '../types.js';

export function execRunner(c: ExecCheckConfig): CheckRunner {
  return {
    async run(signal) {
      const r = await runCommand(c.command, c.args, {
        env: { ...process.env, ...c.env }, signal, timeoutMs: c.timeoutMs, outputLimit: c.outputLimit,
      });
      let detail: string;
      if (r.spawnError !== undefined) detail = `cannot run ${c.command}: ${r.spawnError}`;
      else if (r.timedOut) detail = `timeout after ${c.timeoutMs}ms, process group killed`;
      else if (r.code !== null) detail = `exit ${r.code}`;
      else detail = `killed by ${r.signal ?? 'unknown signal'}`;
      const out: CheckResult = { ok: !r.timedOut && r.code === 0, detail, latencyMs: r.durationMs };
      if (r.output.length > 0) out.output = r.truncated ? `${r.output}…[truncated]` : r.output;
      return out;
    },
  };
}

/**
 * The machine a benchmark ran on, printed with its figures so they can be
 * copied into docs/performance.md: CPU count and model, memory, kernel, Node,
 * and the load average (other work on the machine skews timings).
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

function cpuModel(): string {
  const fromOs = cpus()[0]?.model.trim();
  if (fromOs) return fromOs;
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): string {
  const la = loadavg().map((x) => x.toFixed(2)).join(' ');
  return [
    `nproc ${cpus().length}, ${cpuModel()}`,
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}`,
    `load average ${la}`,
  ].join('; ');
}

/** Print the machine line (call at the start and at the end: load changes during a run). */
export function printMachine(label = 'machine'): void {
  console.log(`${label}: ${describeMachine()}`);
}

/**
 * CPU and memory of a running process, read from /proc (Linux).
 * CPU is utime + stime of /proc/<pid>/stat: every thread of the process
 * (the BFD worker thread, libuv's pool, V8's GC threads) is included.
 * Memory is VmRSS (now) and VmHWM (peak RSS since start) of /proc/<pid>/status.
 * Child processes are not in a process's utime/stime until they are reaped:
 * the daemon's BFD worker is a forked child process, so the benchmarks use
 * processTree() and sum over it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from '../../src/lab/run.js';

let clkTck: number | undefined;

/** Clock ticks per second of utime/stime (sysconf(_SC_CLK_TCK), 100 on Linux in practice). */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    const out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim();
    const n = Number(out);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`getconf CLK_TCK: unexpected answer ${JSON.stringify(out)}`);
    clkTck = n;
  }
  return clkTck;
}

/** utime + stime of the whole process, in seconds. */
export function cpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`/proc/${pid}/stat: cannot read utime/stime`);
  return (utime + stime) / ticksPerSecond();
}

export interface MemoryKiB {
  /** Resident set size now. */
  rss: number;
  /** Peak resident set size ("high water mark"). */
  hwm: number;
  threads: number;
}

export function memory(pid: number): MemoryKiB {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
    if (!m) throw new Error(`/proc/${pid}/status: no ${name}`);
    return Number(m[1]);
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM'), threads: field('Threads') };
}

export const mib = (kib: number): string => (kib / 1024).toFixed(1);

export interface CpuSample {
  /** Wall time sampled, seconds. */
  seconds: number;
  /** CPU time used in that window, seconds. */
  cpuSeconds: number;
  /** cpuSeconds / seconds * 100: percent of one core. */
  percentOfOneCore: number;
  /** Memory at the end of the window. */
  memory: MemoryKiB;
}

/**
 * CPU used by `pid` over `seconds` of wall time. `check` runs about once a
 * second and may throw to abort (e.g. a session went down during the window).
 */
export async function sampleCpu(pid: number, seconds: number, check?: () => Promise<void> | void): Promise<CpuSample> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(1000, Math.max(1, end - performance.now())));
    if (check) await check();
  }
  const c1 = cpuSeconds(pid);
  const wall = (performance.now() - t0) / 1000;
  return { seconds: wall, cpuSeconds: c1 - c0, percentOfOneCore: ((c1 - c0) / wall) * 100, memory: memory(pid) };
}

/** Direct children of a process (from /proc/<pid>/task/<tid>/children, every thread). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      /* thread gone */
    }
  }
  return out;
}

/** The process and all its descendants, parent first (bounded depth and count). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < 256) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}

/** The command name of a process (/proc/<pid>/comm), for labels. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}

export interface TreeSample {
  seconds: number;
  /** Per process of the tree (as found at the start of the window). */
  processes: { pid: number; command: string; cpuSeconds: number; percentOfOneCore: number; memory: MemoryKiB }[];
  /** Sum over the tree. */
  percentOfOneCore: number;
  rssKiB: number;
}

/**
 * CPU of a process and its descendants over `seconds` (the tree is taken at
 * the start; a process that appears or disappears during the window throws,
 * as the figure would be wrong). `check` runs about once a second.
 */
export async function sampleTree(pid: number, seconds: number, check?: () => Promise<void> | void): Promise<TreeSample> {
  const pids = processTree(pid);
  const c0 = pids.map(cpuSeconds);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(1000, Math.max(1, end - performance.now())));
    if (check) await check();
  }
  const c1 = pids.map(cpuSeconds);
  const wall = (performance.now() - t0) / 1000;
  const now = processTree(pid);
  if (now.join(',') !== pids.join(',')) throw new Error(`the process tree of ${pid} changed during the window: ${pids.join(',')} -> ${now.join(',')}`);
  const processes = pids.map((p, i) => {
    const used = (c1[i] ?? 0) - (c0[i] ?? 0);
    return { pid: p, command: commandLine(p), cpuSeconds: used, percentOfOneCore: (used / wall) * 100, memory: memory(p) };
  });
  return {
    seconds: wall,
    processes,
    percentOfOneCore: processes.reduce((a, p) => a + p.percentOfOneCore, 0),
    rssKiB: processes.reduce((a, p) => a + p.memory.rss, 0),
  };
}

/**
 * Network-namespace helpers for tests that talk to real peers.
 * The mechanics live in src/lab (the lab uses them too); this module adds the
 * test-side pieces: the prerequisite gate and per-test cleanup.
 *
 *   import { requireRootAndTools, Netns, veth, useCleanup, waitFor } from '../lib/netns.js';
 *   t.before(async () => { ... });
 *   if (!(await requireRootAndTools(t, ['ip', 'bird']))) return;
 *   useCleanup(t);
 */
import { cleanup, tempDir } from '../../src/lab/cleanup.js';
import { Netns, veth, uniqueNetnsName, listOurNetns, NETNS_PREFIX, type VethEnd } from '../../src/lab/netns.js';
import { haveCommand, run, sleep, waitFor, CommandError, type RunResult, type WaitOptions } from '../../src/lab/run.js';

export { cleanup, tempDir, Netns, veth, uniqueNetnsName, listOurNetns, NETNS_PREFIX, haveCommand, run, sleep, waitFor, CommandError };
export type { VethEnd, RunResult, WaitOptions };

/** The part of a tap Test this module uses (so it does not depend on tap's types). */
export interface TestLike {
  fail(message: string): unknown;
  plan(n: number, comment?: string): unknown;
  comment(...args: unknown[]): unknown;
  teardown(fn: () => unknown): unknown;
}

/** Why real-peer tests cannot run here, or undefined when they can. */
export async function missingPrerequisites(tools: readonly string[]): Promise<string | undefined> {
  if (process.platform !== 'linux') return `needs Linux network namespaces (platform is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces)';
  const missing: string[] = [];
  for (const tool of new Set(['ip', ...tools])) if (!(await haveCommand(tool))) missing.push(tool);
  if (missing.length) return `missing tools: ${missing.join(', ')} (run scripts/ensure-deps.sh)`;
  // Can we really make a namespace (containers without CAP_SYS_ADMIN cannot)?
  const probe = uniqueNetnsName('probe');
  const add = await run('ip', ['netns', 'add', probe], { allowFail: true });
  if (add.code !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  await run('ip', ['netns', 'del', probe], { allowFail: true });
  return undefined;
}

/**
 * Gate for tests that need root, namespaces and the given tools.
 * Returns true when the test can go on. Otherwise, when CI is set, the test
 * FAILS with the reason (a CI machine must have them); elsewhere it is skipped
 * with the reason (`1..0 # SKIP`).
 */
export async function requireRootAndTools(t: TestLike, tools: readonly string[]): Promise<boolean> {
  const why = await missingPrerequisites(tools);
  if (!why) return true;
  if (process.env.CI) t.fail(`prerequisite missing on CI: ${why}`);
  else t.plan(0, `skip: ${why}`);
  return false;
}

/** Run the cleanup registry at the end of this test (in addition to the exit handlers). */
export function useCleanup(t: TestLike, graceMs = 2000): void {
  t.teardown(() => cleanup.cleanup(graceMs));
}

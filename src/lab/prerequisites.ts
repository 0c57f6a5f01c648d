/** What the lab needs from the host, checked before anything is created. */
import { haveCommand, run } from './run.js';
import { uniqueNetnsName } from './netns.js';

export const LAB_TOOLS = ['ip', 'bird', 'birdc'] as const;

/** A one-line reason the lab cannot run here, or undefined. */
export async function missingLabPrerequisites(tools: readonly string[] = LAB_TOOLS): Promise<string | undefined> {
  if (process.platform !== 'linux') return `needs Linux network namespaces (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root to create network namespaces (run with sudo)';
  const missing: string[] = [];
  for (const t of tools) if (!(await haveCommand(t))) missing.push(t);
  if (missing.length) return `missing ${missing.join(', ')}: run scripts/ensure-deps.sh (installs bird2, iproute2, ...)`;
  const probe = uniqueNetnsName('probe');
  const r = await run('ip', ['netns', 'add', probe], { allowFail: true });
  if (r.code !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`;
  await run('ip', ['netns', 'del', probe], { allowFail: true });
  return undefined;
}

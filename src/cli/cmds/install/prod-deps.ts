/**
 * The production dependency closure of a package, found offline by walking
 * package.json `dependencies`, `optionalDependencies` and (non-optional)
 * `peerDependencies` with Node's resolution rule (node_modules/<name> in the
 * requiring package's directory, then in each parent up to the root). This
 * is what `npm ci --omit=dev` would install, without a registry or npm on
 * the appliance, taken from the tree that was built and tested.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readPkg(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

export class MissingDependencyError extends Error {
  constructor(readonly dependency: string, readonly requiredBy: string) {
    super(`production dependency ${dependency} (required by ${requiredBy}) is not installed; run \`npm ci\` first`);
    this.name = 'MissingDependencyError';
  }
}

/** Resolves `name` from package directory `from`, never looking above `root`. */
function resolveFrom(name: string, from: string, root: string): string | undefined {
  let dir = from;
  for (let i = 0; i < 64; i++) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root) return undefined;
    const up = dirname(dir);
    if (up === dir || !(dir + sep).startsWith(root + sep)) return undefined;
    dir = up;
  }
  return undefined;
}

/**
 * Package directories (relative to `root`, e.g. "node_modules/pino",
 * "node_modules/a/node_modules/b") needed at run time, sorted.
 */
export function productionDependencies(root: string): string[] {
  const realRoot = realpathSync(root);
  const seen = new Set<string>();
  const queue: string[] = [realRoot];
  const out: string[] = [];
  for (let guard = 0; queue.length > 0 && guard < 100_000; guard++) {
    const dir = queue.shift() as string;
    const pkg = readPkg(dir);
    const required = { ...(pkg.dependencies ?? {}) };
    const optional = { ...(pkg.optionalDependencies ?? {}) };
    for (const [name] of Object.entries(pkg.peerDependencies ?? {})) {
      if (pkg.peerDependenciesMeta?.[name]?.optional) optional[name] = '*';
      else required[name] = '*';
    }
    const names: Array<[string, boolean]> = [
      ...Object.keys(required).map((n): [string, boolean] => [n, true]),
      ...Object.keys(optional).filter((n) => !(n in required)).map((n): [string, boolean] => [n, false]),
    ];
    for (const [name, mandatory] of names) {
      const found = resolveFrom(name, dir, realRoot);
      if (!found) {
        if (mandatory) throw new MissingDependencyError(name, pkg.name ?? relative(realRoot, dir));
        continue; // optional and absent (e.g. a platform-specific build)
      }
      const rel = relative(realRoot, found);
      if (seen.has(rel)) continue;
      seen.add(rel);
      out.push(rel);
      queue.push(found);
    }
  }
  return out.sort();
}

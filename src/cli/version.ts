/** The package version, read from package.json (found from src/ or dist/src/). */
import { readFileSync } from 'node:fs';
import { packageRoot } from '../daemon/sdnotify.js';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return cached;
}

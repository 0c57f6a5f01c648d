/** A small built package to install from, and file helpers, shared by the install tests. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../systemd/helpers/native.js';

export function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/**
 * A small built package: two production deps (one with a hoisted dependency,
 * one with a nested one), an optional dep that is absent, a peer dep, and dev
 * deps that must not be installed.
 */
export function fakeSource(dir: string): void {
  const pkg = (name: string, deps: Record<string, string> = {}, extra: object = {}) =>
    JSON.stringify({ name, version: '1.0.0', dependencies: deps, ...extra });
  write(join(dir, 'package.json'), JSON.stringify({
    name: 'bgp-sidecar', version: '9.8.7',
    dependencies: { alpha: '1', beta: '1' },
    optionalDependencies: { 'not-on-this-platform': '1' },
    devDependencies: { typescript: '5', tap: '21' },
  }));
  write(join(dir, 'dist/src/cli/main.js'), '#!/usr/bin/env node\nconsole.log("cli")\n');
  write(join(dir, 'dist/src/daemon/sdnotify.js'), 'export {}\n');
  write(join(dir, 'dist/test/x.test.js'), 'test output that must not ship\n');
  write(join(dir, 'src/cli/main.ts'), 'sources that must not ship\n');
  write(join(dir, 'docs/operators.md'), '# operators\n');
  for (const f of ['systemd/bgp-sidecar.service', 'systemd/config.yaml']) {
    write(join(dir, f), readFileSync(join(ROOT, f), 'utf8'));
  }
  write(join(dir, 'systemd/native/build/Release/sdnotify.node'), 'binary');
  write(join(dir, 'systemd/native/sdnotify.c'), 'source');
  write(join(dir, 'config/active.yaml'), 'local-asn: 1\n');
  write(join(dir, 'node_modules/alpha/package.json'), pkg('alpha', { gamma: '1' }));
  write(join(dir, 'node_modules/alpha/index.js'), '');
  write(join(dir, 'node_modules/gamma/package.json'), pkg('gamma', {}, { peerDependencies: { delta: '1', epsilon: '1' }, peerDependenciesMeta: { epsilon: { optional: true } } }));
  write(join(dir, 'node_modules/delta/package.json'), pkg('delta'));
  write(join(dir, 'node_modules/beta/package.json'), pkg('beta', { gamma: '2' }));
  write(join(dir, 'node_modules/beta/lib/b.js'), '');
  write(join(dir, 'node_modules/beta/node_modules/gamma/package.json'), pkg('gamma'));
  write(join(dir, 'node_modules/typescript/package.json'), pkg('typescript'));
  write(join(dir, 'node_modules/tap/package.json'), pkg('tap', { alpha: '1' }));
  write(join(dir, 'node_modules/.bin/tsc'), '');
}


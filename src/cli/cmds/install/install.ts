/**
 * `bgp-sidecar install`: puts the built application under /opt/bgp-sidecar,
 * the unit under /etc/systemd/system, a commented config under
 * /etc/bgp-sidecar/config.yaml (never overwriting one), a wrapper in
 * /usr/local/bin, and creates the system user. With a root other than "/"
 * (DESTDIR style, for images and tests) it only writes files: no user, no
 * systemctl.
 */
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GENERATED_MARKER, PATHS, SERVICE_NAME, SERVICE_USER, under, type InstallManifest } from './layout.js';
import { productionDependencies } from './prod-deps.js';
import type { SystemOps } from './system-ops.js';

export class InstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallError';
  }
}

/** Capabilities the unit may grant, and the feature each one is for. */
export const KNOWN_CAPABILITIES: Record<string, string> = {
  CAP_NET_RAW: 'ICMP health checks, BFD raw-socket TTL check',
  CAP_NET_ADMIN: 'floating IP on the loopback (loopback management)',
  CAP_NET_BIND_SERVICE: 'passive BGP peers listening on TCP 179',
  CAP_SYS_NICE: 'the BFD worker at real-time priority',
};

/** "net-raw", "NET_RAW", "cap_net_raw" -> "CAP_NET_RAW"; "none" -> []. Throws on unknown names. */
export function parseCapabilities(list: string[]): string[] {
  const out = new Set<string>();
  for (const item of list.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean)) {
    if (item.toLowerCase() === 'none') continue;
    const name = `CAP_${item.toUpperCase().replace(/-/g, '_').replace(/^CAP_/, '')}`;
    if (!(name in KNOWN_CAPABILITIES)) {
      throw new InstallError(`--capabilities: unknown capability "${item}"; expected some of ${Object.keys(KNOWN_CAPABILITIES).join(', ')} or none`);
    }
    out.add(name);
  }
  return [...out].sort();
}

export function capabilitiesDropin(caps: string[]): string {
  const lines = [
    `# ${GENERATED_MARKER} --capabilities ${caps.length ? caps.join(',') : 'none'}`,
    '# Replaces the capability set of the shipped unit (an empty assignment resets it).',
    ...caps.map((c) => `#   ${c}: ${KNOWN_CAPABILITIES[c]}`),
    '[Service]',
    'AmbientCapabilities=',
    'CapabilityBoundingSet=',
  ];
  if (caps.length) {
    lines.push(`AmbientCapabilities=${caps.join(' ')}`, `CapabilityBoundingSet=${caps.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

export interface InstallOptions {
  /** DESTDIR-style root; "/" for a real install. */
  root: string;
  /** The built package to install from (holds package.json, dist/, node_modules/). */
  source: string;
  /** Absolute path of the node binary the unit and wrapper run. */
  nodePath: string;
  /** Create the system user when missing (only with root "/"). */
  createUser: boolean;
  /** Run systemctl daemon-reload (and enable/start) (only with root "/" on a systemd host). */
  systemctl: boolean;
  enable: boolean;
  start: boolean;
  /** When set, write a drop-in granting exactly these capabilities. */
  capabilities?: string[];
  ops: SystemOps;
  log: (line: string) => void;
}

export interface InstallResult {
  manifest: InstallManifest;
  configKept: boolean;
}

function writeFile(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // writeFileSync's mode is subject to umask and ignored for existing files
}

/** The shipped unit with ExecStart pointing at this node binary. */
export function renderUnit(template: string, nodePath: string): string {
  if (!/^\/[^\s"'\\$%]+$/.test(nodePath)) throw new InstallError(`node path ${JSON.stringify(nodePath)} must be absolute, without spaces or quotes`);
  const body = template.replace(/^(Exec\w+=)\/usr\/bin\/node /gm, `$1${nodePath} `);
  return `# ${GENERATED_MARKER} from ${PATHS.app}/systemd/bgp-sidecar.service\n${body}`;
}

export function renderWrapper(nodePath: string): string {
  return [
    '#!/bin/sh',
    `# ${GENERATED_MARKER}: runs the installed bgp-sidecar.`,
    `exec '${nodePath}' '${PATHS.app}/dist/src/cli/main.js' "$@"`,
    '',
  ].join('\n');
}

function readVersion(source: string): string {
  const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { name?: string; version?: string };
  if (pkg.name !== 'bgp-sidecar') throw new InstallError(`${source} is not the bgp-sidecar package (package.json name is ${JSON.stringify(pkg.name)})`);
  return pkg.version ?? '0.0.0';
}

function readManifest(root: string): InstallManifest | undefined {
  try {
    return JSON.parse(readFileSync(under(root, PATHS.manifest), 'utf8')) as InstallManifest;
  } catch {
    return undefined;
  }
}

/** Checks that `source` is a built tree; returns the list of problems (empty when fine). */
export function checkSource(source: string): string[] {
  const problems: string[] = [];
  const need: Array<[string, string]> = [
    ['dist/src/cli/main.js', 'run `npm run build`'],
    ['systemd/bgp-sidecar.service', 'the package is incomplete'],
    ['systemd/config.yaml', 'the package is incomplete'],
    ['systemd/native/build/Release/sdnotify.node', 'run `npx node-gyp rebuild -C systemd/native`'],
  ];
  for (const [rel, fix] of need) if (!existsSync(join(source, rel))) problems.push(`${join(source, rel)} missing: ${fix}`);
  return problems;
}

export function install(o: InstallOptions): InstallResult {
  const realRoot = o.root === '/';
  const version = readVersion(o.source);
  const problems = checkSource(o.source);
  if (problems.length) throw new InstallError(`cannot install from ${o.source}: ${problems.join('; ')}`);
  const deps = productionDependencies(o.source);
  const previous = readManifest(o.root);

  // 1. The system user (before files, so the config can be given its group).
  let createdUser = previous?.createdUser ?? false;
  let account = realRoot ? o.ops.lookupUser(SERVICE_USER) : undefined;
  if (realRoot && o.createUser && !account) {
    o.ops.createSystemUser(SERVICE_USER);
    account = o.ops.lookupUser(SERVICE_USER);
    if (!account) throw new InstallError(`user ${SERVICE_USER} still missing after useradd`);
    createdUser = true;
    o.log(`created system user ${SERVICE_USER}`);
  } else if (!realRoot) {
    o.log(`root is ${o.root}: not creating user ${SERVICE_USER} (create it on the target, see docs/operators.md)`);
  } else if (!account) {
    o.log(`warning: user ${SERVICE_USER} does not exist and --no-user was given; the unit will not start until it does`);
  }

  // 2. The application, staged next to its final place and swapped in.
  const app = under(o.root, PATHS.app);
  const staging = `${app}.new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o755 });
  try {
    const copy = (rel: string, filter?: (src: string) => boolean) =>
      cpSync(join(o.source, rel), join(staging, rel), { recursive: true, dereference: false, ...(filter ? { filter } : {}) });
    copy('package.json');
    copy('dist/src', (src) => !src.endsWith('.tsbuildinfo'));
    copy('systemd/bgp-sidecar.service');
    copy('systemd/config.yaml');
    copy('systemd/native/build/Release/sdnotify.node');
    if (existsSync(join(o.source, 'config'))) copy('config', (src) => !/\/\.[^/]+$/.test(src));
    if (existsSync(join(o.source, 'docs', 'operators.md'))) copy('docs/operators.md');
    for (const dep of deps) {
      const nested = join(o.source, dep, 'node_modules');
      // Each package without its nested node_modules: nested packages needed are in `deps` themselves.
      copy(dep, (src) => src !== nested && !src.startsWith(nested + '/'));
    }
    if (existsSync(app)) {
      const old = `${app}.old-${process.pid}`;
      renameSync(app, old);
      renameSync(staging, app);
      rmSync(old, { recursive: true, force: true });
    } else {
      mkdirSync(dirname(app), { recursive: true, mode: 0o755 });
      renameSync(staging, app);
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  o.log(`installed bgp-sidecar ${version} in ${PATHS.app} (${deps.length} production packages)`);

  // 3. Unit, optional capabilities drop-in, wrapper.
  const files: string[] = [];
  const template = readFileSync(join(o.source, 'systemd', 'bgp-sidecar.service'), 'utf8');
  writeFile(under(o.root, PATHS.unit), renderUnit(template, o.nodePath), 0o644);
  files.push(PATHS.unit);
  o.log(`wrote ${PATHS.unit}`);
  const dropin = under(o.root, PATHS.capabilitiesDropin);
  if (o.capabilities !== undefined) {
    const caps = parseCapabilities(o.capabilities);
    writeFile(dropin, capabilitiesDropin(caps), 0o644);
    files.push(PATHS.capabilitiesDropin);
    o.log(`wrote ${PATHS.capabilitiesDropin}: ${caps.length ? caps.join(' ') : 'no capabilities'}`);
  } else if (previous?.files.includes(PATHS.capabilitiesDropin) && existsSync(dropin)) {
    files.push(PATHS.capabilitiesDropin); // keep the operator's earlier choice
  }
  const bin = under(o.root, PATHS.bin);
  const binStat = lstatSync(bin, { throwIfNoEntry: false });
  if (binStat?.isSymbolicLink()) {
    // e.g. `npm install -g` with prefix /usr/local linked its copy here: writing through the link would clobber it.
    o.log(`replaced the symlink ${PATHS.bin} -> ${readlinkSync(bin)} with the wrapper`);
    rmSync(bin);
  }
  writeFile(bin, renderWrapper(o.nodePath), 0o755);
  files.push(PATHS.bin);
  o.log(`wrote ${PATHS.bin}`);

  // 4. Config: written once, never overwritten (it is the operator's file).
  const configDir = under(o.root, PATHS.configDir);
  const configPath = under(o.root, PATHS.config);
  const configKept = existsSync(configPath);
  mkdirSync(configDir, { recursive: true, mode: 0o750 });
  if (!configKept) {
    writeFile(configPath, readFileSync(join(o.source, 'systemd', 'config.yaml'), 'utf8'), 0o640);
    o.log(`wrote ${PATHS.config}: edit it, then \`bgp-sidecar check-config --config ${PATHS.config}\``);
  } else {
    o.log(`kept the existing ${PATHS.config}`);
  }
  if (realRoot && account) {
    // root:bgp-sidecar 0750/0640: the daemon reads it, nobody else (it may hold BFD/BGP keys).
    chownSync(configDir, 0, account.gid);
    chmodSync(configDir, 0o750);
    if (!configKept) chownSync(configPath, 0, account.gid);
  }

  const manifest: InstallManifest = {
    version,
    installedAt: new Date().toISOString(),
    nodePath: o.nodePath,
    createdUser,
    createdConfig: previous?.createdConfig ?? !configKept,
    files,
  };
  writeFile(under(o.root, PATHS.manifest), JSON.stringify(manifest, null, 2) + '\n', 0o644);

  // 5. systemd.
  if (!realRoot || !o.systemctl) {
    o.log(realRoot ? 'skipped systemctl (--no-systemctl)' : `root is ${o.root}: skipped systemctl`);
  } else if (!o.ops.systemdRunning()) {
    o.log('systemd is not running here: skipped systemctl');
  } else {
    const reload = o.ops.systemctl(['daemon-reload']);
    if (reload.code !== 0) throw new InstallError(`systemctl daemon-reload failed: ${reload.output.trim()}`);
    if (o.enable || o.start) {
      const r = o.ops.systemctl(['enable', ...(o.start ? ['--now'] : []), SERVICE_NAME]);
      if (r.code !== 0) throw new InstallError(`systemctl enable ${SERVICE_NAME} failed: ${r.output.trim()}`);
      o.log(o.start ? `enabled and started ${SERVICE_NAME}` : `enabled ${SERVICE_NAME}`);
    } else if (o.ops.systemctl(['is-active', '--quiet', SERVICE_NAME]).code === 0) {
      o.log(`${SERVICE_NAME} is running the previous version: \`systemctl restart ${SERVICE_NAME}\` drains and restarts it`);
    } else {
      o.log(`next: edit ${PATHS.config}, then \`systemctl enable --now ${SERVICE_NAME}\``);
    }
  }
  return { manifest, configKept };
}

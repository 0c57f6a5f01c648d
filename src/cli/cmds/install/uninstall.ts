/**
 * `bgp-sidecar uninstall`: stops and disables the service, removes what
 * install wrote, keeps /etc/bgp-sidecar unless `purge` (and with purge also
 * removes the system user, if install created it).
 */
import { existsSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { GENERATED_MARKER, PATHS, SERVICE_NAME, SERVICE_USER, under, type InstallManifest } from './layout.js';
import { USER_COMMENT, type SystemOps } from './system-ops.js';

export interface UninstallOptions {
  root: string;
  purge: boolean;
  systemctl: boolean;
  ops: SystemOps;
  log: (line: string) => void;
}

function generatedByUs(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').slice(0, 4096).includes(GENERATED_MARKER);
  } catch {
    return false;
  }
}

export function uninstall(o: UninstallOptions): { removed: string[]; kept: string[] } {
  const realRoot = o.root === '/';
  const removed: string[] = [];
  const kept: string[] = [];
  let manifest: InstallManifest | undefined;
  try {
    manifest = JSON.parse(readFileSync(under(o.root, PATHS.manifest), 'utf8')) as InstallManifest;
  } catch {
    o.log(`no ${PATHS.manifest}: removing the default locations`);
  }

  const useSystemctl = realRoot && o.systemctl && o.ops.systemdRunning();
  if (useSystemctl) {
    // stop = SIGTERM = graceful drain (bounded by TimeoutStopSec).
    const r = o.ops.systemctl(['disable', '--now', SERVICE_NAME]);
    o.log(r.code === 0 ? `stopped and disabled ${SERVICE_NAME}` : `systemctl disable --now ${SERVICE_NAME}: ${r.output.trim()}`);
  }

  // Generated files: only the ones carrying our marker (an operator's file of the same name stays).
  const candidates = new Set<string>([PATHS.unit, PATHS.bin, PATHS.capabilitiesDropin, ...(manifest?.files ?? [])]);
  for (const f of candidates) {
    const p = under(o.root, f);
    if (!existsSync(p)) continue;
    if (generatedByUs(p)) {
      rmSync(p, { force: true });
      removed.push(f);
    } else {
      kept.push(f);
      o.log(`kept ${f}: not written by bgp-sidecar install`);
    }
  }
  const dropins = under(o.root, PATHS.dropins);
  if (existsSync(dropins)) {
    if (o.purge) {
      rmSync(dropins, { recursive: true, force: true });
      removed.push(PATHS.dropins);
    } else if (readdirSync(dropins).length === 0) {
      rmdirSync(dropins);
    } else {
      kept.push(PATHS.dropins);
      o.log(`kept ${PATHS.dropins}: it holds your overrides (--purge removes it)`);
    }
  }

  const app = under(o.root, PATHS.app);
  if (existsSync(app)) {
    rmSync(app, { recursive: true, force: true });
    removed.push(PATHS.app);
  }

  const configDir = under(o.root, PATHS.configDir);
  if (existsSync(configDir)) {
    if (o.purge) {
      rmSync(configDir, { recursive: true, force: true });
      removed.push(PATHS.configDir);
    } else {
      kept.push(PATHS.configDir);
      o.log(`kept ${PATHS.configDir} (--purge removes it)`);
    }
  }

  if (realRoot && o.purge) {
    // Ours if this install created it, or if it carries the comment install gives it (the
    // manifest is gone after an uninstall without --purge followed by a re-install).
    const user = o.ops.lookupUser(SERVICE_USER);
    if (user && (manifest?.createdUser || user.gecos === USER_COMMENT)) {
      o.ops.deleteUser(SERVICE_USER);
      removed.push(`user ${SERVICE_USER}`);
    } else if (user) {
      kept.push(`user ${SERVICE_USER}`);
      o.log(`kept user ${SERVICE_USER}: not created by bgp-sidecar install`);
    }
  }
  if (useSystemctl) {
    o.ops.systemctl(['daemon-reload']);
    o.ops.systemctl(['reset-failed', SERVICE_NAME]);
  }
  for (const r of removed) o.log(`removed ${r}`);
  return { removed, kept };
}

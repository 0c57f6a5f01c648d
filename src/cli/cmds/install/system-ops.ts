/**
 * The few host operations install/uninstall need beyond writing files:
 * users and systemctl. An interface so tests run install into a temporary
 * root without touching the host.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface SystemOps {
  /** uid/gid/comment of a user, or undefined if it does not exist. */
  lookupUser(name: string): { uid: number; gid: number; gecos?: string } | undefined;
  /** useradd --system: no home, no shell, own group. */
  createSystemUser(name: string): void;
  deleteUser(name: string): void;
  /** True when systemd is PID 1 here (systemctl would work). */
  systemdRunning(): boolean;
  /** Runs systemctl with args; returns exit code (never throws for a non-zero exit). */
  systemctl(args: string[]): { code: number; output: string };
}

/** The comment install gives the user; uninstall --purge recognises its own user by it. */
export const USER_COMMENT = 'bgp-sidecar daemon';

function run(cmd: string, args: string[]): { code: number; output: string } {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return { code: 0, output: out };
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string; message: string };
    return { code: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

export const hostOps: SystemOps = {
  lookupUser(name) {
    const r = run('getent', ['passwd', name]);
    if (r.code !== 0) return undefined;
    const f = r.output.trim().split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid, gecos: f[4] ?? '' } : undefined;
  },
  createSystemUser(name) {
    const r = run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--no-log-init',
      '--home-dir', '/nonexistent',
      '--shell', '/usr/sbin/nologin',
      '--comment', USER_COMMENT,
      name,
    ]);
    if (r.code !== 0) throw new Error(`useradd ${name} failed (exit ${r.code}): ${r.output.trim()}`);
  },
  deleteUser(name) {
    const r = run('userdel', [name]);
    if (r.code !== 0) throw new Error(`userdel ${name} failed (exit ${r.code}): ${r.output.trim()}`);
  },
  systemdRunning() {
    // sd_booted(3): this directory exists iff systemd is the init system.
    return existsSync('/run/systemd/system');
  },
  systemctl(args) {
    return run('systemctl', args);
  },
};

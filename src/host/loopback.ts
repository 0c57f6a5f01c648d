/**
 * The floating address on the loopback: added before the prefix is announced, removed
 * only after its withdraw has been written (ExaBGP issue 993 removed it first, so
 * traffic still routed to the appliance was dropped), and never removed when it was
 * already there before start-up (the operator put it there; it is not ours).
 *
 * Only host prefixes (/32, /128) are managed: for a shorter prefix, which address would
 * be "the floating IP" is not knowable, so it is skipped with a warning.
 * Uses `ip` with argument arrays (no shell); `netns` runs it as `ip -n <ns>` (tests, lab).
 *
 * Ownership survives a crash through `stateFile`: without it, an address the previous
 * run added would look pre-existing after a restart and never be removed.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import pino, { type Logger } from 'pino';
import { runCommand } from './run-command.js';

export interface LoopbackOptions {
  interface: string;
  logger?: Logger;
  netns?: string;
  /** Path of the ip binary (default: `ip` from PATH). */
  ipBinary?: string;
  /** Runs one `ip` invocation (argv without the binary); default: ipBinary via runCommand. Tests inject a fake. */
  runIp?: IpRunner;
  /**
   * Ownership record across crashes (the daemon uses loopback.json next to the control socket,
   * in the runtime directory): the addresses we added, written (atomically) before each
   * `ip addr add` and after each `ip addr del`. At start, a listed address that is on the
   * interface is ours, not pre-existing: a restart after a crash still removes it.
   */
  stateFile?: string;
}

/** The state file's content. */
export interface LoopbackState {
  version: 1;
  interface: string;
  netns?: string;
  /** "address/prefixlen" in canonical form. */
  added: string[];
}

/** Result of one `ip` invocation: ok = exit 0; stdout for `-j` output; error = the first line of the output otherwise. */
export interface IpResult { ok: boolean; stdout: string; error: string }
export type IpRunner = (argv: string[]) => Promise<IpResult>;

export interface LoopbackStatus {
  interface: string;
  /** Floating addresses present before start-up: never removed. */
  preexisting: string[];
  /** Addresses this process added (or a crashed previous run, per the state file) and will remove after their withdraw. */
  added: string[];
  /** Of `added`, those taken over from a previous run's state file at start-up. */
  inherited: string[];
  /** Where ownership is recorded across crashes, if anywhere. */
  stateFile?: string;
  lastError?: string;
}

interface Addr { address: string; prefixlen: number }

/** "172.16.1.1/32" -> { address, prefixlen } with the address in canonical form; undefined if not a host prefix. */
export function hostAddress(prefix: string): Addr | undefined {
  const [addr, len] = prefix.split('/');
  if (addr === undefined) return undefined;
  const v = net.isIP(addr);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefixlen = len === undefined ? max : Number(len);
  if (prefixlen !== max) return undefined;
  return { address: canonical(addr), prefixlen };
}

function canonical(addr: string): string {
  return net.isIPv6(addr) ? new URL(`http://[${addr}]/`).hostname.slice(1, -1) : addr;
}

const key = (a: Addr) => `${a.address}/${a.prefixlen}`;

export class LoopbackManager {
  private readonly log: Logger;
  private readonly preexisting = new Set<string>();
  private readonly added = new Set<string>();
  private readonly skipped = new Set<string>();
  private readonly inherited = new Set<string>();
  /** What the state file says (added plus addresses about to be added). */
  private readonly recorded = new Set<string>();
  private started = false;
  private chain: Promise<unknown> = Promise.resolve();
  private lastError: string | undefined;

  constructor(private readonly o: LoopbackOptions) {
    this.log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'loopback', interface: o.interface });
  }

  /**
   * Record which addresses are already on the interface: those are never removed.
   * Call once at start-up, before anything is announced; ensure() and release() call it
   * themselves if it has not run, so the snapshot always predates our first change.
   */
  start(): Promise<void> {
    return this.serial(() => this.snapshot());
  }

  private async snapshot(): Promise<void> {
    if (this.started) return;
    const present = await this.list();
    const owned = await this.readState();
    for (const a of present) {
      if (owned.has(a)) {
        // Added by a previous run that did not get to remove it (crash, SIGKILL): ours.
        this.added.add(a);
        this.inherited.add(a);
        this.recorded.add(a);
      } else {
        this.preexisting.add(a);
      }
    }
    this.started = true;
    // Listed but gone (removed before the file was rewritten, or never added): forget them.
    if (this.o.stateFile && (owned.size > 0 || this.recorded.size > 0)) await this.writeState();
    this.log.info({ event: 'loopback-start', preexisting: this.status().preexisting, inherited: [...this.inherited] }, 'loopback addresses recorded');
  }

  /** Addresses the state file lists for this interface; a missing file is none, a damaged one is none with a warning. */
  private async readState(): Promise<Set<string>> {
    const out = new Set<string>();
    const file = this.o.stateFile;
    if (!file) return out;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ event: 'state-unreadable', file, err: (e as Error).message }, 'loopback state file unreadable: addresses on the interface count as pre-existing');
      return out;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      this.log.warn({ event: 'state-damaged', file }, 'loopback state file is not JSON: ignored');
      return out;
    }
    const d = doc as Partial<LoopbackState> | null;
    if (!d || typeof d !== 'object' || d.version !== 1 || !Array.isArray(d.added)) {
      this.log.warn({ event: 'state-damaged', file }, 'loopback state file has an unknown form: ignored');
      return out;
    }
    if (d.interface !== this.o.interface || (d.netns ?? undefined) !== this.o.netns) {
      this.log.warn({ event: 'state-other-interface', file, was: d.interface, wasNetns: d.netns, added: d.added.slice(0, 100) }, 'loopback state file is for another interface: its addresses are not touched');
      return out;
    }
    for (const a of d.added) {
      const h = typeof a === 'string' ? hostAddress(a) : undefined;
      if (h && key(h) === a) out.add(a);
      else this.log.warn({ event: 'state-entry-ignored', file, entry: String(a).slice(0, 100) }, 'loopback state file entry is not a host address: ignored');
    }
    return out;
  }

  /** Rewrite the state file atomically (temporary file, then rename). A failure is logged: ownership is then only in memory. */
  private async writeState(): Promise<void> {
    const file = this.o.stateFile;
    if (!file) return;
    const doc: LoopbackState = { version: 1, interface: this.o.interface, ...(this.o.netns ? { netns: this.o.netns } : {}), added: [...this.recorded].sort() };
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify(doc)}\n`, { mode: 0o640 });
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      this.lastError = `state file ${file}: ${(e as Error).message}`;
      this.log.error({ event: 'state-write-failed', file, err: (e as Error).message }, 'cannot write the loopback state file: a crash now would leave our addresses looking pre-existing');
    }
  }

  /**
   * Make sure every host prefix in `prefixes` is on the interface (call before announcing them).
   * Returns the prefixes that are NOT present after the attempt (the caller must not announce those).
   */
  ensure(prefixes: readonly string[]): Promise<string[]> {
    return this.serial(async () => {
      await this.snapshot();
      const wanted = this.hostAddrs(prefixes);
      if (wanted.length === 0) return [];
      const present = new Set(await this.list());
      const failed: string[] = [];
      for (const { prefix, addr } of wanted) {
        const k = key(addr);
        if (present.has(k)) continue;
        // Recorded before it is added: a crash between the two leaves an entry for an absent address, which start-up drops.
        if (this.o.stateFile && !this.recorded.has(k)) {
          this.recorded.add(k);
          await this.writeState();
        }
        const r = await this.ip(['addr', 'add', k, 'dev', this.o.interface, ...(addr.address.includes(':') ? ['nodad'] : [])]);
        if (r.ok) {
          this.added.add(k);
          this.recorded.add(k);
          this.log.info({ event: 'address-added', address: k }, 'floating address added');
        } else {
          const again = new Set(await this.list());
          if (this.recorded.delete(k)) await this.writeState();
          if (again.has(k)) continue; // raced with someone else: present is what matters (and not ours)
          this.lastError = `add ${k}: ${r.error}`;
          this.log.error({ event: 'address-add-failed', address: k, error: r.error }, 'cannot add floating address');
          failed.push(prefix);
        }
      }
      return failed;
    });
  }

  /**
   * Remove the addresses of `prefixes` that this process added. Call only once their
   * withdraw has been written to every peer. Pre-existing addresses are kept.
   */
  release(prefixes: readonly string[]): Promise<void> {
    return this.serial(async () => {
      await this.snapshot();
      for (const { addr } of this.hostAddrs(prefixes)) await this.remove(key(addr));
    });
  }

  /**
   * Remove the addresses inherited from a crashed previous run (state file) that are not
   * for one of `prefixes`: the prefix left the config while the daemon was down. Call at
   * start-up, before announcing: the run that announced them is gone, and its sessions
   * with it. Returns what was removed.
   */
  releaseInheritedExcept(prefixes: readonly string[]): Promise<string[]> {
    return this.serial(async () => {
      await this.snapshot();
      const keep = new Set(this.hostAddrs(prefixes).map(({ addr }) => key(addr)));
      const gone: string[] = [];
      for (const k of [...this.inherited]) {
        if (keep.has(k)) continue;
        await this.remove(k);
        if (!this.added.has(k)) gone.push(k);
      }
      if (gone.length) this.log.info({ event: 'inherited-released', addresses: gone }, 'addresses a previous run added for prefixes no longer configured: removed');
      return gone;
    });
  }

  /** Same as releaseAll() (the daemon's HostPort name). */
  cleanup(): Promise<void> {
    return this.releaseAll();
  }

  /** Remove everything this process added (shutdown, after the final withdraw). */
  releaseAll(): Promise<void> {
    return this.serial(async () => {
      for (const k of [...this.added]) await this.remove(k);
    });
  }

  status(): LoopbackStatus {
    const s: LoopbackStatus = {
      interface: this.o.interface,
      preexisting: [...this.preexisting].filter((a) => !a.startsWith('127.') && a !== '::1/128'),
      added: [...this.added],
      inherited: [...this.inherited],
    };
    if (this.o.stateFile !== undefined) s.stateFile = this.o.stateFile;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  private async remove(k: string): Promise<void> {
    if (this.preexisting.has(k)) {
      this.log.debug({ event: 'address-kept', address: k }, 'address predates start-up: kept');
      return;
    }
    if (!this.added.has(k)) return;
    const r = await this.ip(['addr', 'del', k, 'dev', this.o.interface]);
    const still = (await this.list()).includes(k);
    if (!still) {
      this.added.delete(k);
      this.inherited.delete(k);
      if (this.recorded.delete(k)) await this.writeState();
      this.log.info({ event: 'address-removed', address: k }, 'floating address removed');
    } else {
      this.lastError = `del ${k}: ${r.ok ? 'still present' : r.error}`;
      this.log.error({ event: 'address-remove-failed', address: k, error: r.error }, 'cannot remove floating address');
    }
  }

  private hostAddrs(prefixes: readonly string[]): Array<{ prefix: string; addr: Addr }> {
    const out: Array<{ prefix: string; addr: Addr }> = [];
    for (const prefix of prefixes) {
      const addr = hostAddress(prefix);
      if (addr) out.push({ prefix, addr });
      else if (!this.skipped.has(prefix)) {
        this.skipped.add(prefix);
        this.log.warn({ event: 'address-skipped', prefix }, 'not a host prefix (/32 or /128): not managed on the loopback');
      }
    }
    return out;
  }

  private async list(): Promise<string[]> {
    const r = await this.ip(['-j', 'addr', 'show', 'dev', this.o.interface]);
    if (!r.ok) throw new Error(`ip addr show dev ${this.o.interface}: ${r.error}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.stdout);
    } catch {
      throw new Error(`ip -j addr show: unparseable output`);
    }
    const out: string[] = [];
    for (const link of Array.isArray(parsed) ? parsed : []) {
      const infos = (link as { addr_info?: unknown }).addr_info;
      for (const i of Array.isArray(infos) ? infos : []) {
        const { local, prefixlen } = i as { local?: unknown; prefixlen?: unknown };
        if (typeof local === 'string' && typeof prefixlen === 'number' && net.isIP(local)) {
          out.push(key({ address: canonical(local), prefixlen }));
        }
      }
    }
    return out;
  }

  private async ip(args: string[]): Promise<IpResult> {
    const argv = this.o.netns ? ['-n', this.o.netns, ...args] : args;
    if (this.o.runIp) return this.o.runIp(argv);
    const r = await runCommand(this.o.ipBinary ?? 'ip', argv, { timeoutMs: 5000, outputLimit: 1 << 20 });
    if (r.spawnError) return { ok: false, stdout: '', error: `cannot run ip: ${r.spawnError}` };
    if (r.timedOut) return { ok: false, stdout: '', error: 'ip timed out' };
    return { ok: r.code === 0, stdout: r.output, error: r.output.trim().split('\n')[0] ?? `exit ${r.code}` };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

/**
 * An in-memory `ip` for LoopbackManager tests (injected as `runIp`): keeps the
 * addresses of one interface, answers `-j addr show dev X` like iproute2 does
 * (JSON, addr_info with local/prefixlen), and records every call in order.
 * `onCall` lets a test look at the world at the moment of a call.
 */
import type { IpResult } from '../../../src/host/loopback.js';

export class FakeIp {
  readonly addrs = new Set<string>();
  readonly calls: string[] = [];
  /** Make the next `addr add`/`addr del` of this address fail (EPERM-like). */
  readonly failing = new Set<string>();
  onCall: ((argv: string[]) => void | Promise<void>) | undefined;

  constructor(readonly dev = 'lo', initial: string[] = []) {
    for (const a of initial) this.addrs.add(a);
  }

  readonly run = async (argv: string[]): Promise<IpResult> => {
    this.calls.push(argv.join(' '));
    await this.onCall?.(argv);
    if (argv[0] === '-j' && argv[1] === 'addr' && argv[2] === 'show') {
      const addr_info = [...this.addrs].map((k) => {
        const [local, len] = k.split('/');
        return { family: local?.includes(':') ? 'inet6' : 'inet', local, prefixlen: Number(len) };
      });
      return { ok: true, stdout: JSON.stringify([{ ifname: this.dev, addr_info }]), error: '' };
    }
    if (argv[0] === 'addr' && (argv[1] === 'add' || argv[1] === 'del')) {
      const k = argv[2] ?? '';
      if (this.failing.has(k)) return { ok: false, stdout: '', error: 'RTNETLINK answers: Operation not permitted' };
      if (argv[1] === 'add') {
        if (this.addrs.has(k)) return { ok: false, stdout: '', error: 'RTNETLINK answers: File exists' };
        this.addrs.add(k);
      } else {
        if (!this.addrs.delete(k)) return { ok: false, stdout: '', error: 'RTNETLINK answers: Cannot assign requested address' };
      }
      return { ok: true, stdout: '', error: '' };
    }
    return { ok: false, stdout: '', error: `fake ip: unsupported ${argv.join(' ')}` };
  };

  /** Calls that changed addresses, e.g. ["add 172.16.1.1/32", "del 172.16.1.1/32"]. */
  changes(): string[] {
    return this.calls.filter((c) => c.startsWith('addr add ') || c.startsWith('addr del ')).map((c) => c.split(' ').slice(1, 3).join(' '));
  }
}

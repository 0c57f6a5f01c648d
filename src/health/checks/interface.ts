/**
 * `interface`: the interface is operationally up (RFC 2863 ifOperStatus, as Linux
 * reports it in /sys/class/net/<name>/operstate). "unknown" is what drivers without
 * operstate support (lo, some tun/VPN devices) report: it passes when the interface is
 * administratively up (IFF_UP) and has carrier.
 */
import { readFile } from 'node:fs/promises';
import type { InterfaceCheckConfig } from '../../config/health.js';
import type { CheckRunner } from '../types.js';

const IFF_UP = 0x1;

export function interfaceRunner(c: InterfaceCheckConfig, sysfs = '/sys/class/net'): CheckRunner {
  const dir = `${sysfs}/${c.interface}`;
  return {
    async run() {
      const t0 = performance.now();
      const done = (ok: boolean, detail: string) => ({ ok, detail, latencyMs: performance.now() - t0 });
      let oper: string;
      try {
        oper = (await readFile(`${dir}/operstate`, 'utf8')).trim();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return done(false, code === 'ENOENT' ? `no interface ${c.interface}` : `cannot read operstate: ${code ?? String(err)}`);
      }
      if (oper === 'up') return done(true, 'operstate up');
      if (oper !== 'unknown') return done(false, `operstate ${oper}`);
      try {
        const flags = Number.parseInt((await readFile(`${dir}/flags`, 'utf8')).trim(), 16);
        if (!(flags & IFF_UP)) return done(false, 'operstate unknown, admin down');
        const carrier = (await readFile(`${dir}/carrier`, 'utf8')).trim();
        return carrier === '1' ? done(true, 'operstate unknown, up with carrier') : done(false, 'operstate unknown, no carrier');
      } catch (err) {
        return done(false, `operstate unknown, cannot read flags/carrier: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    },
  };
}

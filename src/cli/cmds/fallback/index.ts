/**
 * `bgp-sidecar fallback <action> --config FILE [--dry-run]`: run one fallback
 * action by hand, with the same rules and safety checks as the daemon.
 *
 *   fallback route-tables [--self up|down] [--peer up|down|check]
 *   fallback tgw-vpn [--pair NAME] [--now]
 *   fallback direct-connect [--verdict up|down] | --start VIF | --stop VIF
 *   fallback plan            dry run of every configured action
 *
 * Exit codes: 0 done / in sync / dry run / nothing to do, 3 refused by a
 * safety rule, 1 failed or incomplete.
 */
import { probeFor } from '../../../aws/peer-health.js';
import type { ClientOverrides } from '../../../aws/clients.js';
import type { RunResult } from '../../../aws/result.js';
import { buildActions } from '../../../aws/setup.js';
import type { InstanceIdentity } from '../../../aws/imds.js';
import { configOption } from '../../options.js';
import { CliError, type CliCommand } from '../../types.js';
import { cliLogger, loadForAws } from './shared.js';

const ACTIONS = ['route-tables', 'tgw-vpn', 'direct-connect', 'plan'] as const;
type Action = (typeof ACTIONS)[number];

export interface FallbackArgs {
  action: string;
  config: string;
  'dry-run'?: boolean;
  self?: string;
  peer?: string;
  pair?: string[];
  now?: boolean;
  verdict?: string;
  start?: string;
  stop?: string;
  json?: boolean;
  'log-level'?: string;
}

export interface FallbackCommandDeps {
  overrides?: ClientOverrides;
  identity?: Partial<Omit<InstanceIdentity, 'mac'>>;
}

export function formatResult(r: RunResult): string {
  const head = `${r.fallback}: ${r.outcome}${r.reason ? `: ${r.reason}` : ''}`;
  const lines = [head, ...r.planned.map((p) => `  ${r.outcome === 'dry-run' ? 'would ' : ''}${p.text}`), ...r.failures.map((f) => `  failed: ${f}`)];
  return `${lines.join('\n')}\n`;
}

export function exitCodeFor(results: RunResult[]): number {
  if (results.some((r) => r.outcome === 'error' || r.outcome === 'incomplete')) return 1;
  if (results.some((r) => r.outcome === 'refused')) return 3;
  return 0;
}

function upDown(v: string | undefined, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === 'up') return true;
  if (v === 'down') return false;
  throw new CliError(`--${name}: expected up or down, got ${JSON.stringify(v)}`, 2);
}

export function makeFallbackCommand(deps: FallbackCommandDeps = {}): CliCommand<FallbackArgs> {
  return {
    command: 'fallback <action>',
    describe: 'run an AWS fallback action by hand (route-tables, tgw-vpn, direct-connect) or plan all of them',
    options: {
      config: { ...configOption, demandOption: true },
      'dry-run': { type: 'boolean', default: false, describe: 'plan and print, make no change' },
      self: { type: 'string', requiresArg: true, describe: 'route-tables: this appliance is up or down (default up)' },
      peer: { type: 'string', requiresArg: true, describe: 'route-tables: the peer appliance is up, down, or check it once (default check)' },
      pair: { type: 'string', array: true, requiresArg: true, describe: 'tgw-vpn: only these pairs (default all)' },
      now: { type: 'boolean', default: false, describe: 'tgw-vpn: act on the current telemetry without waiting for failover-after/failback-after' },
      verdict: { type: 'string', requiresArg: true, describe: 'direct-connect: evaluate alarms as if the verdict were up or down (default up)' },
      start: { type: 'string', requiresArg: true, describe: 'direct-connect: start a BGP failover test on this interface (minimum-available rule applies)' },
      stop: { type: 'string', requiresArg: true, describe: 'direct-connect: stop the BGP failover test on this interface' },
      json: { type: 'boolean', default: false, describe: 'print the results as JSON' },
    },
    examples: [
      ['$0 fallback plan -c /etc/bgp-sidecar/config.yaml', 'what every configured action would do now'],
      ['$0 fallback route-tables -c config.yaml --peer down --dry-run', 'the changes a peer failure would make'],
      ['$0 fallback tgw-vpn -c config.yaml --pair dc1 --now', 'fail over or back now on the current tunnel state'],
      ['$0 fallback direct-connect -c config.yaml --stop dxvif-fg5xyz12', 'end a failover test by hand'],
    ],
    async handler(args, io) {
      if (!(ACTIONS as readonly string[]).includes(args.action)) {
        throw new CliError(`fallback: unknown action ${JSON.stringify(args.action)}; expected one of ${ACTIONS.join(', ')}`, 2);
      }
      const action = args.action as Action;
      const cfg = await loadForAws(args.config);
      const fb = cfg.fallback;
      const key = { 'route-tables': 'routeTables', 'tgw-vpn': 'tgwVpn', 'direct-connect': 'directConnect' } as const;
      if (action !== 'plan' && !fb?.[key[action]]) throw new CliError(`fallback.${action} is not configured in ${args.config}`);
      if (action === 'plan' && !(fb?.routeTables || fb?.tgwVpn || fb?.directConnect)) throw new CliError(`no fallback is configured in ${args.config}`);
      const dryRun = action === 'plan' || args['dry-run'] === true ? true : undefined;
      // info: every change made by hand is logged (stderr) with its request id.
      const logger = cliLogger(io, args['log-level'] ?? 'info');
      let built;
      try {
        built = await buildActions(cfg, { logger, now: () => performance.now(), ...(deps.overrides ? { overrides: deps.overrides } : {}), ...(deps.identity ? { identity: deps.identity } : {}) });
      } catch (e) {
        throw new CliError(e instanceof Error ? e.message : String(e));
      }
      const results: RunResult[] = [];
      const opt = (o: object) => ({ ...o, ...(dryRun ? { dryRun } : {}) });
      try {
        if ((action === 'route-tables' || action === 'plan') && built.routeTables && fb?.routeTables) {
          const self = upDown(args.self, 'self', true);
          let peer: boolean;
          if (args.peer === undefined || args.peer === 'check') {
            const other = fb.routeTables.appliances.find((a) => a.eni !== built.identity.eni);
            if (!other?.health) throw new CliError(`the peer appliance (${other?.eni ?? '?'}) has no health check; pass --peer up or --peer down`);
            const r = await probeFor(other.health, fb.routeTables.peerCheck.timeoutMs)(new AbortController().signal);
            peer = r.ok;
            io.stderr(`peer ${other.eni}: ${r.ok ? 'up' : 'down'} (${r.detail})\n`);
          } else {
            peer = upDown(args.peer, 'peer', true);
          }
          results.push(await built.routeTables.run({ self, peer }, opt({})));
        }
        if ((action === 'tgw-vpn' || action === 'plan') && built.tgwVpn) {
          results.push(await built.tgwVpn.run(true, opt({ immediate: args.now === true || action === 'plan', ...(args.pair ? { pairs: args.pair } : {}) })));
        }
        if ((action === 'direct-connect' || action === 'plan') && built.directConnect) {
          const dx = built.directConnect;
          if (args.start && args.stop) throw new CliError('--start and --stop together: pick one', 2);
          if (args.start) results.push(await dx.manualStart(args.start, opt({})));
          else if (args.stop) results.push(await dx.manualStop(args.stop, opt({})));
          else {
            const v = args.verdict ?? 'up';
            if (v !== 'up' && v !== 'down') throw new CliError(`--verdict: expected up or down, got ${JSON.stringify(v)}`, 2);
            results.push(await dx.run(v, opt({})));
          }
        }
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError(e instanceof Error ? e.message : String(e));
      } finally {
        built.close();
      }
      io.stdout(args.json ? `${JSON.stringify(results, null, 2)}\n` : results.map(formatResult).join(''));
      return exitCodeFor(results);
    },
  };
}

export const fallbackCommand = makeFallbackCommand();

/**
 * Build the configured fallback actions: identity (config, else IMDSv2), the
 * API wrapper, the notifier. Shared by the daemon (createFallback) and the
 * one-shot CLI commands.
 */
import type { Logger } from 'pino';
import { awsSchema, type AwsConfig, type FallbackConfig } from '../config/aws.js';
import { AwsApi, resolveSettings, type ClientOverrides } from './clients.js';
import { DirectConnectFallback } from './direct-connect.js';
import { discoverIdentity, ImdsClient, type InstanceIdentity } from './imds.js';
import { createNotifier, type Notifier } from './notify.js';
import { RouteTablesFallback } from './route-tables.js';
import { TgwVpnFallback } from './tgw-vpn.js';

export interface BuildDeps {
  logger: Logger;
  now: () => number;
  overrides?: ClientOverrides;
  identity?: Partial<Omit<InstanceIdentity, 'mac'>>;
}

export interface BuiltActions {
  identity: Partial<InstanceIdentity>;
  api: AwsApi;
  notifier: Notifier;
  routeTables?: RouteTablesFallback;
  tgwVpn?: TgwVpnFallback;
  directConnect?: DirectConnectFallback;
  close(): void;
}

export async function buildActions(cfg: { aws?: AwsConfig | undefined; fallback?: FallbackConfig | undefined }, deps: BuildDeps): Promise<BuiltActions> {
  const aws = cfg.aws ?? awsSchema.parse({});
  const fb = cfg.fallback;
  const need: ('region' | 'eni')[] = [];
  if (!aws.region) need.push('region');
  if (fb?.routeTables) need.push('eni');
  const known = {
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.eni ? { eni: aws.eni } : {}),
    ...(aws.instanceId ? { instanceId: aws.instanceId } : {}),
    ...(aws.zone ? { zone: aws.zone } : {}),
    ...(aws.privateIp ? { privateIp: aws.privateIp } : {}),
    ...deps.identity,
  };
  const identity = await discoverIdentity(new ImdsClient({ endpoint: aws.imdsEndpoint }), known, need);
  const region = identity.region as string;
  const api = new AwsApi(resolveSettings(aws, region, deps.overrides), deps.logger);
  const notifier = createNotifier({
    logger: deps.logger,
    api,
    ...(aws.snsTopicArn ? { topicArn: aws.snsTopicArn } : {}),
    ...(identity.instanceId ? { instanceId: identity.instanceId } : {}),
  });
  const out: BuiltActions = { identity, api, notifier, close: () => api.close() };
  try {
    if (fb?.routeTables) {
      const selfEni = identity.eni as string;
      const rt = fb.routeTables;
      if (!rt.appliances.some((a) => a.eni === selfEni)) {
        throw new Error(`fallback.route-tables: this appliance's ENI ${selfEni} is not one of appliances[].eni (${rt.appliances.map((a) => a.eni).join(', ')}); set aws.eni if the primary ENI is not the one routes target`);
      }
      out.routeTables = new RouteTablesFallback({ cfg: rt, selfEni, api, notifier, logger: deps.logger.child({ fallback: 'route-tables' }), now: deps.now });
    }
    if (fb?.tgwVpn) out.tgwVpn = new TgwVpnFallback({ cfg: fb.tgwVpn, api, notifier, logger: deps.logger.child({ fallback: 'tgw-vpn' }), now: deps.now });
    if (fb?.directConnect) out.directConnect = new DirectConnectFallback({ cfg: fb.directConnect, api, notifier, logger: deps.logger.child({ fallback: 'direct-connect' }), now: deps.now });
  } catch (err) {
    api.close();
    throw err;
  }
  return out;
}

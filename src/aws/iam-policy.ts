/**
 * The least-privilege IAM policy for exactly the features configured.
 * Describe/Search/Get calls do not support resource-level permissions (or
 * only partly), so they get "*"; every mutating call is limited to the
 * resources named in the config (route tables, virtual interfaces, topic).
 * Account ids are not in the config, so ARNs use "*" for the account, and
 * for the region when the config does not name one.
 */
import type { AwsConfig, FallbackConfig } from '../config/aws.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface IamPolicy {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export function iamPolicyFor(cfg: { aws?: AwsConfig | undefined; fallback?: FallbackConfig | undefined }, o: { rsStatus?: boolean } = {}): IamPolicy {
  const region = cfg.aws?.region ?? '*';
  const ec2Arn = (type: string, id: string) => `arn:aws:ec2:${region}:*:${type}/${id}`;
  const s: PolicyStatement[] = [];
  const fb = cfg.fallback;
  if (fb?.routeTables) {
    const tables = fb.routeTables.appliances.flatMap((a) => a.routeTables);
    s.push({ Sid: 'RouteTablesRead', Effect: 'Allow', Action: ['ec2:DescribeRouteTables'], Resource: '*' });
    s.push({ Sid: 'RouteTablesReplace', Effect: 'Allow', Action: ['ec2:ReplaceRoute'], Resource: tables.map((t) => ec2Arn('route-table', t)) });
  }
  if (fb?.tgwVpn) {
    s.push({
      Sid: 'TgwVpnRead',
      Effect: 'Allow',
      Action: ['ec2:DescribeVpnConnections', 'ec2:DescribeTransitGatewayAttachments', ...(fb.tgwVpn.routeTables ? [] : ['ec2:DescribeTransitGatewayRouteTables'])],
      Resource: '*',
    });
    const tables = fb.tgwVpn.routeTables?.map((t) => ec2Arn('transit-gateway-route-table', t)) ?? [ec2Arn('transit-gateway-route-table', '*')];
    s.push({ Sid: 'TgwVpnSearch', Effect: 'Allow', Action: ['ec2:SearchTransitGatewayRoutes'], Resource: tables });
    s.push({
      Sid: 'TgwVpnReplace',
      Effect: 'Allow',
      Action: ['ec2:ReplaceTransitGatewayRoute', 'ec2:ModifyTransitGatewayPrefixListReference'],
      // The call names both the route table and the target attachment.
      Resource: [...tables, ec2Arn('transit-gateway-attachment', '*')],
    });
  }
  if (fb?.directConnect) {
    s.push({ Sid: 'DirectConnectRead', Effect: 'Allow', Action: ['directconnect:DescribeVirtualInterfaces'], Resource: '*' });
    s.push({
      Sid: 'DirectConnectFailoverTest',
      Effect: 'Allow',
      Action: ['directconnect:StartBgpFailoverTest', 'directconnect:StopBgpFailoverTest'],
      Resource: fb.directConnect.virtualInterfaces.map((v) => `arn:aws:directconnect:${region}:*:dxvif/${v.id}`),
    });
  }
  if (cfg.aws?.snsTopicArn && (fb?.routeTables || fb?.tgwVpn || fb?.directConnect)) {
    s.push({ Sid: 'Notify', Effect: 'Allow', Action: ['sns:Publish'], Resource: cfg.aws.snsTopicArn });
  }
  if (o.rsStatus ?? true) {
    s.push({ Sid: 'RouteServerStatus', Effect: 'Allow', Action: ['ec2:DescribeRouteServerPeers', 'ec2:GetRouteServerRoutingDatabase'], Resource: '*' });
  }
  return { Version: '2012-10-17', Statement: s };
}

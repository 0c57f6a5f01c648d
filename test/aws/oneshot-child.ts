/**
 * Child process for test/aws/worker.test.ts: one AWS call and nothing else
 * that holds the event loop, as in a one-shot CLI command.
 */
import { pino } from 'pino';
import { AwsApi } from '../../src/aws/clients.js';
import { FAKE_ACCESS_KEY, FAKE_SECRET } from './fake/server.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const endpoint = process.argv[2] ?? '';
const api = new AwsApi({ region: 'eu-west-1', endpoint, credentials: { accessKeyId: FAKE_ACCESS_KEY, secretAccessKey: FAKE_SECRET }, maxAttempts: 3, requestTimeoutMs: 2000 }, pino({ level: 'silent' }));
const out = await api.call<{ virtualInterfaces?: unknown[] }>('directconnect', 'DescribeVirtualInterfaces', {}, false);
process.stdout.write(`interfaces ${out.virtualInterfaces?.length ?? -1}\n`);
api.close();

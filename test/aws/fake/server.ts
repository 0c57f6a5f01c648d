/**
 * A local, stateful fake AWS endpoint for the real SDK v3 clients: EC2 Query
 * (XML), Direct Connect JSON 1.1 and SNS Query, told apart by the service in
 * the SigV4 credential scope. Every request's signature is verified. Faults
 * (throttling, 5xx, timeouts, denied actions, malformed answers) are injected
 * per action. Every call and every effective change is recorded.
 * Listens on 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dxHandlers, DX_MUTATING } from './dx.js';
import { ec2Handlers, EC2_MUTATING } from './ec2.js';
import { verifySigV4 } from './sigv4.js';
import { emptyState, type FakeState } from './state.js';
import { ec2Error, ec2Response, FakeApiError, parseForm, snsError, snsResponse } from './wire.js';

export const FAKE_ACCESS_KEY = 'AKIAFAKEFAKEFAKE0001';
export const FAKE_SECRET = 'fake-secret-key-for-tests-only';

export type FaultKind =
  | 'throttle' // EC2 503 RequestLimitExceeded / DX 400 ThrottlingException
  | 'server' // 500 InternalError / DirectConnectServerException
  | 'timeout' // never answer (the SDK's request timeout fires)
  | 'apply-then-timeout' // do the change, then never answer (lost response)
  | 'denied' // UnauthorizedOperation / AccessDeniedException
  | 'body'; // answer `body` with HTTP `status` (malformed answers)

export interface Fault {
  action: string;
  kind: FaultKind;
  /** Let this many matching calls through first. */
  skip?: number;
  /** How many calls to hit (default 1; Infinity for always). */
  times?: number;
  body?: string;
  status?: number;
}

export interface CallRecord {
  service: 'ec2' | 'directconnect' | 'sns';
  action: string;
  mutating: boolean;
  params: Record<string, unknown>;
  /** What the fake answered: 'ok' or the fault / error code. */
  result: string;
  region?: string;
}

export interface FakeAws {
  url: string;
  state: FakeState;
  calls: CallRecord[];
  /** Effective changes, in order (a replace that changes nothing is not one). */
  changes: string[];
  faults: Fault[];
  /** Actions answered with permission denied. */
  denied: Set<string>;
  /** Most requests ever in progress at once (a serialized client never exceeds 1). */
  maxInFlight(): number;
  mutatingCalls(): CallRecord[];
  callsOf(action: string): CallRecord[];
  reset(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFakeAws(initial?: Partial<FakeState>): Promise<FakeAws> {
  const state: FakeState = { ...emptyState(), ...initial };
  const calls: CallRecord[] = [];
  const changes: string[] = [];
  const faults: Fault[] = [];
  const denied = new Set<string>();
  const sockets = new Set<Socket>();
  const secrets = new Map([[FAKE_ACCESS_KEY, FAKE_SECRET]]);
  let inFlight = 0;
  let maxInFlight = 0;

  function takeFault(action: string): Fault | undefined {
    for (const f of faults) {
      if (f.action !== action && f.action !== '*') continue;
      if ((f.times ?? 1) <= 0) continue;
      if ((f.skip ?? 0) > 0) {
        f.skip = (f.skip ?? 0) - 1;
        continue;
      }
      f.times = (f.times ?? 1) - 1;
      return f;
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const requestId = randomUUID();
    const sig = verifySigV4(req, body, secrets);
    const service = sig.service as CallRecord['service'] | undefined;
    const send = (status: number, text: string, type: string) => {
      res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (service === 'directconnect') {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.replace(/^OvertureService\./, '');
      let input: Record<string, unknown> = {};
      try {
        input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        /* answered below */
      }
      const rec: CallRecord = { service, action, mutating: DX_MUTATING.has(action), params: input, result: 'ok', ...(sig.region ? { region: sig.region } : {}) };
      calls.push(rec);
      const jerr = (status: number, type: string, message: string) => {
        rec.result = type;
        res.setHeader('x-amzn-errortype', type);
        send(status, JSON.stringify({ __type: type, message }), 'application/x-amz-json-1.1');
      };
      if (!sig.ok) return jerr(403, 'InvalidSignatureException', sig.reason ?? 'bad signature');
      const h = dxHandlers[action];
      if (!h) return jerr(400, 'UnknownOperationException', `unknown operation ${target}`);
      if (denied.has(action)) return jerr(400, 'AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/appliance/i-0 is not authorized to perform: directconnect:${action}`);
      const f = takeFault(action);
      if (f?.kind === 'throttle') return jerr(400, 'ThrottlingException', 'Rate exceeded');
      if (f?.kind === 'server') return jerr(500, 'DirectConnectServerException', 'Internal error');
      if (f?.kind === 'denied') return jerr(400, 'AccessDeniedException', `not authorized to perform: directconnect:${action}`);
      if (f?.kind === 'timeout') {
        rec.result = 'timeout';
        return;
      }
      if (f?.kind === 'body') {
        rec.result = 'body';
        return send(f.status ?? 200, f.body ?? '', 'application/x-amz-json-1.1');
      }
      try {
        const fx: { change?: string } = {};
        const out = h(state, input, fx);
        if (fx.change) changes.push(fx.change);
        if (f?.kind === 'apply-then-timeout') {
          rec.result = 'apply-then-timeout';
          return;
        }
        send(200, JSON.stringify(out), 'application/x-amz-json-1.1');
      } catch (err) {
        if (err instanceof FakeApiError) return jerr(err.status, err.code, err.message);
        throw err;
      }
      return;
    }

    // Query protocols: EC2 and SNS.
    const params = parseForm(body.toString('utf8'));
    const action = params.get('Action') ?? '?';
    const isSns = service === 'sns';
    const rec: CallRecord = {
      service: isSns ? 'sns' : 'ec2', action, mutating: EC2_MUTATING.has(action), params: Object.fromEntries(params), result: 'ok',
      ...(sig.region ? { region: sig.region } : {}),
    };
    calls.push(rec);
    const qerr = (status: number, code: string, message: string) => {
      rec.result = code;
      send(status, isSns ? snsError(code, message, requestId, status < 500) : ec2Error(code, message, requestId), 'text/xml');
    };
    if (!sig.ok) return qerr(401, isSns ? 'InvalidClientTokenId' : 'AuthFailure', sig.reason ?? 'bad signature');
    if (service !== 'ec2' && service !== 'sns') return qerr(400, 'InvalidAction', `service ${String(service)} not faked`);
    if (isSns) {
      if (action !== 'Publish') return qerr(400, 'InvalidAction', `${action} not faked`);
      if (denied.has('Publish')) return qerr(403, 'AuthorizationError', 'not authorized to perform: SNS:Publish');
      const f = takeFault('Publish');
      if (f?.kind === 'server') return qerr(500, 'InternalError', 'internal');
      state.published.push({ topicArn: params.get('TopicArn') ?? '', ...(params.get('Subject') ? { subject: params.get('Subject') as string } : {}), message: params.get('Message') ?? '' });
      return send(200, snsResponse('Publish', requestId, { MessageId: randomUUID() }), 'text/xml');
    }
    const h = ec2Handlers[action];
    if (!h) return qerr(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    if (denied.has(action)) return qerr(403, 'UnauthorizedOperation', `You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/appliance/i-0 is not authorized to perform: ec2:${action}`);
    const f = takeFault(action);
    if (f?.kind === 'throttle') return qerr(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    if (f?.kind === 'server') return qerr(500, 'InternalError', 'An internal error has occurred');
    if (f?.kind === 'denied') return qerr(403, 'UnauthorizedOperation', `not authorized to perform: ec2:${action}`);
    if (f?.kind === 'timeout') {
      rec.result = 'timeout';
      return;
    }
    if (f?.kind === 'body') {
      rec.result = 'body';
      return send(f.status ?? 200, f.body ?? '', 'text/xml');
    }
    if (params.get('DryRun') === 'true') return qerr(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    try {
      const fx: { change?: string } = {};
      const out = h(state, params, fx);
      if (fx.change) changes.push(fx.change);
      if (f?.kind === 'apply-then-timeout') {
        rec.result = 'apply-then-timeout';
        return;
      }
      send(200, ec2Response(action, requestId, out), 'text/xml');
    } catch (err) {
      if (err instanceof FakeApiError) return qerr(err.status, err.code, err.message);
      throw err;
    }
  }

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = () => {
      if (!done) inFlight--;
      done = true;
    };
    res.on('finish', finish);
    res.on('close', finish);
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    calls,
    changes,
    faults,
    denied,
    maxInFlight: () => maxInFlight,
    mutatingCalls: () => calls.filter((c) => c.mutating),
    callsOf: (action) => calls.filter((c) => c.action === action),
    reset() {
      calls.length = 0;
      changes.length = 0;
      faults.length = 0;
      denied.clear();
      maxInFlight = inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

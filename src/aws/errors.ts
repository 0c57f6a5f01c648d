/**
 * Typed errors of the AWS layer. Every message names the API action (and the
 * IAM action an operator must grant), so an alert can be acted on without
 * reading code.
 */

/** Codes AWS uses for "this principal may not do that" (EC2 and JSON services). */
const PERMISSION_CODES = new Set([
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError', // SNS
  'Client.UnauthorizedOperation',
]);

const CREDENTIAL_CODES = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'RequestExpired',
  'CredentialsProviderError',
]);

export type AwsErrorKind = 'aborted' | 'permission' | 'credentials' | 'not-found' | 'throttled' | 'server' | 'timeout' | 'network' | 'invalid-answer' | 'client';

/** A failed AWS API call, after the SDK's own retries. */
export class AwsCallError extends Error {
  readonly kind: AwsErrorKind;
  /** e.g. "ec2:ReplaceRoute" — the IAM action as well as the API name. */
  readonly action: string;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;
  constructor(o: { kind: AwsErrorKind; action: string; message: string; code?: string; requestId?: string; attempts?: number; cause?: unknown }) {
    super(o.message, o.cause !== undefined ? { cause: o.cause } : undefined);
    this.name = 'AwsCallError';
    this.kind = o.kind;
    this.action = o.action;
    this.code = o.code;
    this.requestId = o.requestId;
    this.attempts = o.attempts;
  }
}

/** An AWS answer that does not have the shape the API documents. */
export class AwsAnswerError extends AwsCallError {
  constructor(action: string, what: string, requestId?: string) {
    super({ kind: 'invalid-answer', action, message: `${action}: unexpected answer: ${what}`, ...(requestId ? { requestId } : {}) });
    this.name = 'AwsAnswerError';
  }
}

interface SdkErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $fault?: unknown;
}

/** Turn whatever the SDK threw into an AwsCallError naming `action` ("ec2:ReplaceRoute"). */
export function classifyAwsError(err: unknown, action: string): AwsCallError {
  if (err instanceof AwsCallError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const code = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : typeof e.code === 'string' ? e.code : undefined;
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const status = e.$metadata?.httpStatusCode;
  const requestId = e.$metadata?.requestId;
  const attempts = e.$metadata?.attempts;
  const base = { action, ...(code ? { code } : {}), ...(requestId ? { requestId } : {}), ...(attempts ? { attempts } : {}), cause: err };
  const after = attempts && attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (code === 'AbortError') {
    return new AwsCallError({ ...base, kind: 'aborted', message: `${action}: aborted (shutting down)` });
  }
  if (code && PERMISSION_CODES.has(code)) {
    return new AwsCallError({
      ...base,
      kind: 'permission',
      message: `${action}: permission denied (${code}): grant "${action}" to this instance's role (bgp-sidecar iam-policy prints the policy)`,
    });
  }
  if (code && CREDENTIAL_CODES.has(code)) {
    return new AwsCallError({ ...base, kind: 'credentials', message: `${action}: credentials rejected (${code}): ${raw}` });
  }
  if (code && /NotFound|NoSuch/.test(code)) {
    return new AwsCallError({ ...base, kind: 'not-found', message: `${action}: ${code}: ${raw}` });
  }
  if (code && /Throttl|RequestLimitExceeded|TooManyRequests|SlowDown/.test(code)) {
    return new AwsCallError({ ...base, kind: 'throttled', message: `${action}: throttled${after}: ${code}` });
  }
  if (code === 'TimeoutError' || code === 'RequestTimeout' || /timed? ?out/i.test(raw)) {
    return new AwsCallError({ ...base, kind: 'timeout', message: `${action}: no answer in time${after}: ${raw}` });
  }
  if (status !== undefined && status >= 500) {
    return new AwsCallError({ ...base, kind: 'server', message: `${action}: AWS server error ${status}${after}: ${code ?? raw}` });
  }
  if (code && /^E[A-Z]+$/.test(code)) {
    return new AwsCallError({ ...base, kind: 'network', message: `${action}: network error ${code}${after}: ${raw}` });
  }
  return new AwsCallError({ ...base, kind: 'client', message: `${action}: ${code ? `${code}: ` : ''}${raw}` });
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Wire helpers of the fake: EC2/SNS Query form parsing and XML writing. */

export class FakeApiError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

export type Params = Map<string, string>;

export function parseForm(body: string): Params {
  const p = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(body)) p.set(k, v);
  return p;
}

/** `Name.1`, `Name.2`, ... in order. */
export function listParam(p: Params, name: string): string[] {
  const out: [number, string][] = [];
  for (const [k, v] of p) {
    const m = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(\\d+)$`).exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

export interface Filter {
  name: string;
  values: string[];
}

export function filters(p: Params): Filter[] {
  const out: Filter[] = [];
  for (let i = 1; i < 100; i++) {
    const name = p.get(`Filter.${i}.Name`);
    if (name === undefined) break;
    out.push({ name, values: listParam(p, `Filter.${i}.Value`) });
  }
  return out;
}

export function required(p: Params, name: string): string {
  const v = p.get(name);
  if (v === undefined || v === '') throw new FakeApiError('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Objects become elements, arrays become <item> lists (EC2 style), Dates ISO 8601. */
export function toXml(v: unknown, arrayItem = 'item'): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => `<${arrayItem}>${toXml(x, arrayItem)}</${arrayItem}>`).join('');
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `<${k}>${toXml(x, arrayItem)}</${k}>`)
      .join('');
  }
  return esc(String(v));
}

export function ec2Response(action: string, requestId: string, body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>${toXml(body)}</${action}Response>`;
}

export function ec2Error(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export function snsResponse(action: string, requestId: string, result: Record<string, unknown>): string {
  return `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${toXml(result, 'member')}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function snsError(code: string, message: string, requestId: string, sender = true): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${sender ? 'Sender' : 'Receiver'}</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

/**
 * The control socket protocol: line-delimited JSON over a unix socket.
 * One request per line, one response per line, in order.
 *
 *   -> {"cmd":"status"}
 *   -> {"cmd":"drain","reason":"kernel upgrade"}
 *   -> {"cmd":"undrain"}
 *   -> {"cmd":"reload"}
 *   <- {"ok":true,"result":{...}}
 *   <- {"ok":false,"error":"unknown command \"foo\": expected status, drain, undrain or reload"}
 *
 * An optional "id" (string or number) is echoed back. Requests come from
 * whoever can open the socket: every field is checked, nothing is trusted.
 */

export type ControlRequest =
  | { cmd: 'status' }
  | { cmd: 'drain'; reason?: string }
  | { cmd: 'undrain' }
  | { cmd: 'reload' };

export type ControlResponse =
  | { ok: true; id?: string | number; result: unknown }
  | { ok: false; id?: string | number; error: string };

export const CONTROL_COMMANDS = ['status', 'drain', 'undrain', 'reload'] as const;

/** Longest accepted request line (bytes); a longer one is answered with an error and the connection closed. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Longest drain reason kept (characters). */
export const MAX_REASON_LENGTH = 256;

export type ParsedRequest = { ok: true; id?: string | number; request: ControlRequest } | { ok: false; id?: string | number; error: string };

export function parseRequest(line: string): ParsedRequest {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, error: 'malformed request: expected one JSON object per line' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: 'malformed request: expected a JSON object with "cmd"' };
  const o = v as Record<string, unknown>;
  const idRaw = o['id'];
  const id = typeof idRaw === 'string' && idRaw.length <= 64 ? idRaw : typeof idRaw === 'number' && Number.isFinite(idRaw) ? idRaw : undefined;
  const withId = <T extends object>(r: T) => (id !== undefined ? { ...r, id } : r);
  const cmd = o['cmd'];
  if (typeof cmd !== 'string') return withId({ ok: false as const, error: 'malformed request: "cmd" must be a string' });
  switch (cmd) {
    case 'status':
    case 'undrain':
    case 'reload':
      return withId({ ok: true as const, request: { cmd } });
    case 'drain': {
      const reason = o['reason'];
      if (reason !== undefined && typeof reason !== 'string') return withId({ ok: false as const, error: 'drain: "reason" must be a string' });
      // Control characters would let a caller forge log lines or break the status table.
      const clean = reason?.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, MAX_REASON_LENGTH);
      return withId({ ok: true as const, request: clean ? { cmd: 'drain' as const, reason: clean } : { cmd: 'drain' as const } });
    }
    default:
      return withId({
        ok: false as const,
        error: `unknown command ${JSON.stringify(cmd.slice(0, 32))}: expected ${CONTROL_COMMANDS.join(', ')}`,
      });
  }
}

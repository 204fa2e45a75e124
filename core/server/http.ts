import type http from 'node:http';
import { ContractError } from '../contract';
import type { ErrorCode } from '../contract';

/** The largest request body any route reads (a ledger batch of a few hundred records fits). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** HTTP status for each contract error code: one table, so every route answers alike. */
const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  step_up_required: 401,
  untrusted_sender: 403,
  license_required: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

export function statusFor(code: ErrorCode): number {
  return STATUS[code];
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The error envelope of every route: `{ ok: false, error: { code, message } }`, never a stack trace. */
export function sendError(res: http.ServerResponse, error: ContractError): void {
  const status = statusFor(error.code);
  if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="cavra"');
  sendJson(res, status, { ok: false, error: error.toEnvelope() });
}

/** The JSON body of a POST, refused past MAX_BODY_BYTES or when it is not JSON. */
export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    throw new ContractError('invalid_input', 'Content-Type must be application/json');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    throw new ContractError('invalid_input', `The request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ContractError('invalid_input', `The request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ContractError('invalid_input', 'The request body is not valid JSON');
  }
}

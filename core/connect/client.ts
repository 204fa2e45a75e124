import http from 'node:http';
import https from 'node:https';
import { parseServerUrl, serverBase } from './server-url';

/** The control plane could not be reached (network, TLS, timeout, a proxy's 502/503/504): offline. */
export class ControlPlaneUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlPlaneUnreachableError';
  }
}

/** The control plane answered and refused: its error code and message, for the operator. */
export class ControlPlaneRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlPlaneRefusedError';
  }
}

export interface ControlPlaneClientOptions {
  /** PEM of the private CA the server's certificate must chain to; the system roots otherwise. */
  ca?: string | null;
  /** The bearer token for each request (a machine credential or an operator's ID token). */
  bearer?: () => string | null;
  timeoutMs?: number;
}

/** Answers larger than this are refused: a control plane never needs more to answer a machine. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const UNAVAILABLE = new Set([502, 503, 504]);

/**
 * JSON over HTTPS to one control plane. With a pinned CA, only that CA is trusted (not the
 * system roots), so a certificate from any public CA for the same name is refused. Errors
 * come in two kinds the callers act on differently: unreachable (queue and retry, decide
 * offline) and refused (the server said no; never retried blindly).
 */
export class ControlPlaneClient {
  readonly base: string;
  private readonly url: URL;

  constructor(
    server: string,
    private readonly options: ControlPlaneClientOptions = {},
  ) {
    this.url = parseServerUrl(server);
    this.base = serverBase(this.url);
  }

  async call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    options: { timeoutMs?: number; bearer?: string; signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const target = new URL(`${this.base}${path}`);
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const bearer = options.bearer ?? this.options.bearer?.() ?? null;
    const headers: Record<string, string> = { ...options.headers, accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 15_000;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const transport = target.protocol === 'https:' ? https : http;
      const request = transport.request(
        target,
        {
          method,
          headers,
          timeout: timeoutMs,
          signal: options.signal,
          ...(target.protocol === 'https:' && this.options.ca ? { ca: this.options.ca } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              request.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(payload ?? undefined);
    }).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ControlPlaneUnreachableError(`The control plane at ${this.base} cannot be reached: ${reason}`);
    });
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (status >= 200 && status < 300) return parsed as T;
    if (UNAVAILABLE.has(status)) {
      throw new ControlPlaneUnreachableError(`The control plane at ${this.base} is unavailable (HTTP ${status})`);
    }
    const error = errorOf(parsed);
    throw new ControlPlaneRefusedError(
      status,
      error.code,
      `The control plane refused (HTTP ${status}${error.code ? ` ${error.code}` : ''}): ${error.message}`,
    );
  }

  /**
   * A streamed answer (the central ledger's bundle): `read` takes the response of a 2xx answer
   * as it arrives, with no size limit of its own (the reader sets one); any other answer is
   * read as the error envelope and thrown as `call` throws it. The timeout is the longest
   * silence, not the whole transfer.
   */
  async stream<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    read: (response: http.IncomingMessage) => Promise<T>,
    options: { timeoutMs?: number; bearer?: string; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const target = new URL(`${this.base}${path}`);
    const payload = Buffer.from(JSON.stringify(body ?? {}));
    const bearer = options.bearer ?? this.options.bearer?.() ?? null;
    const headers: Record<string, string> = {
      ...options.headers,
      'content-type': 'application/json',
      'content-length': String(payload.length),
    };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 15_000;
    const unreachable = (error: unknown) =>
      new ControlPlaneUnreachableError(
        `The control plane at ${this.base} cannot be reached: ${error instanceof Error ? error.message : String(error)}`,
      );
    const response = await new Promise<{ response: http.IncomingMessage; request: http.ClientRequest }>(
      (resolve, reject) => {
        const transport = target.protocol === 'https:' ? https : http;
        const request = transport.request(
          target,
          {
            method,
            headers,
            timeout: timeoutMs,
            ...(target.protocol === 'https:' && this.options.ca ? { ca: this.options.ca } : {}),
          },
          (answer) => resolve({ response: answer, request }),
        );
        request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        request.on('error', reject);
        request.end(payload);
      },
    ).catch((error: unknown) => {
      throw unreachable(error);
    });
    const status = response.response.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      try {
        return await read(response.response);
      } finally {
        response.request.destroy();
      }
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) break;
      chunks.push(chunk);
    }
    response.request.destroy();
    if (UNAVAILABLE.has(status)) {
      throw new ControlPlaneUnreachableError(`The control plane at ${this.base} is unavailable (HTTP ${status})`);
    }
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      parsed = null;
    }
    const error = errorOf(parsed);
    throw new ControlPlaneRefusedError(
      status,
      error.code,
      `The control plane refused (HTTP ${status}${error.code ? ` ${error.code}` : ''}): ${error.message}`,
    );
  }
}

function errorOf(parsed: unknown): { code: string; message: string } {
  const envelope = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error ?? parsed;
  const code = typeof (envelope as { code?: unknown })?.code === 'string' ? (envelope as { code: string }).code : '';
  const message =
    typeof (envelope as { message?: unknown })?.message === 'string'
      ? (envelope as { message: string }).message.slice(0, 500)
      : 'no reason given';
  return { code, message };
}

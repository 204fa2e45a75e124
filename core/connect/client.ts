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
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const { response, request } = await this.send(method, path, payload, {
      ...options,
      headers: { ...options.headers, accept: 'application/json' },
    });
    const text = await new Promise<string>((resolve, reject) => {
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
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', reject);
      request.on('error', reject);
    }).catch((error: unknown) => {
      throw this.unreachable(error);
    });
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return parseJson(text) as T;
    throw this.failure(status, text);
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
    const payload = Buffer.from(JSON.stringify(body ?? {}));
    const { response, request } = await this.send(method, path, payload, options);
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      try {
        return await read(response);
      } finally {
        request.destroy();
      }
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) break;
      chunks.push(chunk);
    }
    request.destroy();
    throw this.failure(status, Buffer.concat(chunks).toString('utf8'));
  }

  /**
   * Sends one request and resolves as its answer starts (status and headers read), or throws
   * ControlPlaneUnreachableError. The timeout is the longest silence.
   */
  private send(
    method: string,
    path: string,
    payload: Buffer | null,
    options: { timeoutMs?: number; bearer?: string; signal?: AbortSignal; headers?: Record<string, string> },
  ): Promise<{ response: http.IncomingMessage; request: http.ClientRequest }> {
    const target = new URL(`${this.base}${path}`);
    const bearer = options.bearer ?? this.options.bearer?.() ?? null;
    const headers: Record<string, string> = { ...options.headers };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 15_000;
    return new Promise<{ response: http.IncomingMessage; request: http.ClientRequest }>((resolve, reject) => {
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
        (response) => resolve({ response, request }),
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(payload ?? undefined);
    }).catch((error: unknown) => {
      throw this.unreachable(error);
    });
  }

  private unreachable(error: unknown): ControlPlaneUnreachableError {
    const reason = error instanceof Error ? error.message : String(error);
    return new ControlPlaneUnreachableError(`The control plane at ${this.base} cannot be reached: ${reason}`);
  }

  /** A non-2xx answer: unreachable for a proxy's 502/503/504, else refused with the server's error. */
  private failure(status: number, text: string): Error {
    if (UNAVAILABLE.has(status)) {
      return new ControlPlaneUnreachableError(`The control plane at ${this.base} is unavailable (HTTP ${status})`);
    }
    const error = errorOf(parseJson(text));
    return new ControlPlaneRefusedError(
      status,
      error.code,
      `The control plane refused (HTTP ${status}${error.code ? ` ${error.code}` : ''}): ${error.message}`,
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
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

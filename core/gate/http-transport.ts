import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { claudeCodeHookOutput } from './client';
import type { GateVerdict } from './authority';
import type { GateDispatcher, GateLimits } from './dispatcher';
import { describeListener, listenersOn } from './port-owner';
import type { AgentCredential } from './credentials';

export const HTTP_PATHS = {
  /** Claude Code's `http` hook: the PreToolUse JSON in, the hook JSON out (SPEC §4). */
  claudeCode: '/v1/hooks/claude-code/pre-tool-use',
  /** Generic: an Action JSON in, `{outcome, reason, decision}` out. */
  decide: '/v1/decide',
} as const;

const ADAPTER_HEADER = 'x-cavra-adapter';
const TENANT_HEADER = 'x-cavra-tenant';

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** After a body was refused, the rest the client sends is read and dropped for this long, then the connection goes. */
const DISCARD_MS = 2_000;

/**
 * Reads the body up to the limit and within the receive timeout. A body refused half-way is
 * not destroyed with the connection: the caller must still answer deny (a hook that gets no
 * answer is a non-blocking error), so the rest is drained and dropped while the answer goes out.
 */
function readBody(request: http.IncomingMessage, limits: GateLimits): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limits.maxRequestBytes) {
      reject(new HttpRefusal(413, `request larger than ${limits.maxRequestBytes} bytes`));
      discard(request);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = (refusal: HttpRefusal) => {
      clearTimeout(timer);
      request.removeListener('data', onData);
      reject(refusal);
      discard(request);
    };
    const timer = setTimeout(() => {
      refuse(new HttpRefusal(408, `request not received within ${limits.receiveTimeoutMs} ms`));
    }, limits.receiveTimeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxRequestBytes) {
        refuse(new HttpRefusal(413, `request larger than ${limits.maxRequestBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new HttpRefusal(400, `request failed: ${error.message}`));
    });
  });
}

/** Reads and drops what is left of a refused body, so the answer is not lost to a reset connection. */
function discard(request: http.IncomingMessage): void {
  request.on('data', () => undefined);
  request.resume();
}

/**
 * The loopback HTTP endpoint, bound to 127.0.0.1 only, each request authenticated with the
 * install token (`Authorization: Bearer …`, compared in constant time). The Claude Code
 * route answers 200 with a deny hook output for every failure, including a wrong token:
 * Claude Code treats a non-2xx answer as a non-blocking error, which would let the tool
 * call through. The generic route answers failures with an error status and a deny body.
 */
export async function listenOnHttp(
  port: number,
  verify: (token: unknown) => AgentCredential | null,
  dispatcher: GateDispatcher,
  limits: GateLimits,
): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    void serve(request, response);
  });
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.receiveTimeoutMs;
  server.keepAliveTimeout = 5_000;

  async function serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = request.url ?? '';
    const hook = url === HTTP_PATHS.claudeCode;
    const reply = (status: number, verdict: Pick<GateVerdict, 'outcome' | 'reason'> & { decision?: unknown }) => {
      const body = hook
        ? claudeCodeHookOutput(verdict.outcome, verdict.reason)
        : JSON.stringify({ outcome: verdict.outcome, reason: verdict.reason, decision: verdict.decision ?? null });
      // After a refused body the connection cannot carry another request: close it once the
      // answer is out, leaving the client a moment to read it before the rest is cut off.
      const closing = !request.complete;
      response.writeHead(hook ? 200 : status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        ...(closing ? { connection: 'close' } : {}),
      });
      response.end(body, () => {
        if (closing) setTimeout(() => request.socket.destroy(), DISCARD_MS).unref();
      });
    };
    try {
      if (!hook && url !== HTTP_PATHS.decide) throw new HttpRefusal(404, `no such endpoint ${url.slice(0, 100)}`);
      if (request.method !== 'POST') throw new HttpRefusal(405, 'use POST');
      if (!localHost(request.headers.host, (server.address() as AddressInfo).port)) {
        throw new HttpRefusal(403, 'the Host header must name 127.0.0.1 or localhost (DNS rebinding guard)');
      }
      const authorization = request.headers.authorization ?? '';
      const given = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : '';
      const credential = verify(given);
      if (!credential)
        throw new HttpRefusal(401, 'the request carries no valid gate token (an adapter credential of this install)');
      const text = await readBody(request, limits);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new HttpRefusal(400, 'the body is not JSON');
      }
      const tenant = headerValue(request.headers[TENANT_HEADER]);
      const adapter = headerValue(request.headers[ADAPTER_HEADER]);
      const abort = new AbortController();
      response.on('close', () => {
        if (!response.writableFinished) abort.abort();
      });
      const verdict = await dispatcher.dispatch(
        hook
          ? { op: 'claude-code', input: body, tenant, adapter: adapter ?? 'claude-code-http' }
          : { op: 'decide', action: body, tenant, adapter: adapter ?? 'http' },
        // TCP carries no peer credentials: the human is the credential's registered owner.
        { credential, actor: { uid: credential.owner.uid, name: credential.owner.name, verifiedBy: 'install_owner' } },
        { signal: abort.signal },
      );
      reply(200, verdict);
    } catch (error) {
      const status = error instanceof HttpRefusal ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      reply(status, { outcome: 'deny', reason: `CAVRA gate: ${message}` });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new GatePortTakenError(port) : error),
    );
    server.listen(port, '127.0.0.1', () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  return server;
}

/**
 * The HTTP port is someone else's. The gate does not start then: whatever listens there gets
 * the http hook's bearer token and can answer allow, so it must be stopped, or the gate and
 * the hook moved to another port. The message names the listener where it can be known.
 */
export class GatePortTakenError extends Error {
  constructor(readonly port: number) {
    const listeners = listenersOn(port);
    const who = listeners && listeners.length > 0 ? ` by ${listeners.map(describeListener).join('; ')}` : '';
    super(
      `the loopback HTTP port ${port} is already in use${who}. The gate did not start: a program on that port ` +
        `would receive the http hook's token and could answer in the gate's place. Stop it, or use another port ` +
        `(cavra gate serve --http-port N, then cavra hook install claude-code --http --port N), or run without ` +
        `HTTP (cavra gate serve --no-http) with the command hook, the default.`,
    );
    this.name = 'GatePortTakenError';
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text && /^[a-z][a-z0-9-]{0,62}$/.test(text) ? text : undefined;
}

function localHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

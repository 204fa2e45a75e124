import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ContractError } from '../contract';
import type { Authenticator, Caller } from './auth';
import { readJson, sendError, sendJson } from './http';
import type { RouteModule, ServerDeps, ServerRoute, StreamedResult } from './routes';
import { attachEvents } from './events';

export type ServerTls = { cert: string | Buffer; key: string | Buffer } | 'insecure-loopback';

export interface ServerOptions {
  deps: ServerDeps;
  authenticator: Authenticator;
  /** The routes served; every module is one file's routes (see route-modules.ts). */
  routes: readonly RouteModule[];
  /** Certificate and key (PEM), or plain HTTP bound to 127.0.0.1 for tests only. */
  tls: ServerTls;
  host?: string;
  port?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, lets requests in flight finish, closes event streams. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * `cavra server`'s HTTP layer: one route table, one authentication step, one error envelope
 * and one log line per request. Routes never see a request they are not allowed to answer.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { deps, authenticator } = options;
  const insecure = options.tls === 'insecure-loopback';
  const host = options.host ?? (insecure ? '127.0.0.1' : '0.0.0.0');
  if (insecure && !LOOPBACK.has(host)) {
    throw new Error('Without TLS the server binds 127.0.0.1 only (--insecure-loopback is for tests on this machine)');
  }
  const table = new Map<string, ServerRoute>();
  for (const module of options.routes) {
    for (const route of module(deps)) {
      const key = `${route.method} ${route.path}`;
      if (table.has(key)) throw new Error(`Two routes registered for ${key}`);
      table.set(key, route);
    }
  }
  const knownPaths = new Set([...table.values()].map((route) => route.path));

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://cavra.invalid');
    const route = table.get(`${req.method ?? ''} ${url.pathname}`);
    let caller: Caller | null = null;
    try {
      if (!route) {
        throw knownPaths.has(url.pathname)
          ? new ContractError('invalid_input', `${req.method ?? ''} is not allowed on ${url.pathname}`)
          : new ContractError('not_found', `No route ${url.pathname}; see core/server/README.md`);
      }
      if (route.auth !== 'none') {
        caller = await authenticator.authenticate(req.headers);
        if (route.auth === 'machine' && caller.principal.kind !== 'agent') {
          throw new ContractError('forbidden', 'Only an enrolled machine (gate) may call this route');
        }
        if (route.auth === 'human' && caller.principal.kind !== 'human') {
          throw new ContractError('forbidden', 'Only a person signed in at the tenant’s IdP may call this route');
        }
      }
      const body = route.method === 'POST' || route.method === 'PUT' ? await readJson(req) : undefined;
      const result = await route.handle({
        principal: caller?.principal ?? null,
        tenant: caller?.tenant ?? null,
        body,
        url,
        req,
      });
      if ('stream' in result) await sendStream(res, result, deps, route.path);
      else sendJson(res, result.status ?? 200, result.body);
    } catch (error) {
      if (error instanceof ContractError) sendError(res, error);
      else {
        deps.log({
          level: 'error',
          msg: 'route failed',
          route: route?.path ?? null,
          error: error instanceof Error ? error.message.slice(0, 300) : 'unknown',
        });
        sendError(res, new ContractError('internal', 'Internal error; the server log has details'));
      }
    } finally {
      deps.log({
        level: 'info',
        msg: 'request',
        method: req.method ?? '',
        route: route?.path ?? 'unmatched',
        tenant: caller?.tenant ?? null,
        principal: caller?.principal.id ?? null,
        status: res.statusCode,
        duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    }
  }

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader('strict-transport-security', 'max-age=31536000');
    res.setHeader('x-content-type-options', 'nosniff');
    void handle(req, res);
  };
  const server: http.Server = insecure
    ? http.createServer(listener)
    : https.createServer(
        {
          cert: (options.tls as { cert: string }).cert,
          key: (options.tls as { key: string }).key,
          minVersion: 'TLSv1.2',
        },
        listener,
      );
  // A slow client cannot hold a connection open forever.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  const events = attachEvents(server, deps, authenticator);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${insecure ? 'http' : 'https'}://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        events.close();
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open; busy ones finish their request.
        server.closeIdleConnections();
      }),
  };
}

/** Sends a streamed answer; a failure once bytes have gone out cuts the connection (never a clean end). */
async function sendStream(
  res: http.ServerResponse,
  result: StreamedResult,
  deps: ServerDeps,
  route: string,
): Promise<void> {
  res.writeHead(result.status ?? 200, { 'content-type': result.contentType, 'cache-control': 'no-store' });
  try {
    await result.stream(res);
    res.end();
  } catch (error) {
    deps.log({
      level: 'error',
      msg: 'stream failed',
      route,
      error: error instanceof Error ? error.message.slice(0, 300) : 'unknown',
    });
    res.destroy();
  }
}

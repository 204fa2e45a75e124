import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { bridgeWire } from '../../core/contract';
import type { CoreService } from '../../core/service';
import { ConsoleSession, callbackReturnLink } from '../../core/identity';

/**
 * Browser mode: the same core behind a loopback HTTP + WebSocket bridge. It binds
 * 127.0.0.1 only, requires a random per-run token on every API call, and refuses requests
 * whose Host or Origin is not this loopback address (DNS-rebinding and cross-site defence).
 */
export interface BrowserHostOptions {
  core: CoreService;
  /**
   * Signed in at start (`cavra console --local-evaluation`); otherwise nobody is, and the
   * console shows its sign-in screen. The principal is whoever signs in through this host.
   */
  signIn?: 'local_evaluation';
  /** Built browser-mode renderer (`dist/renderer-bridge`). */
  staticDir: string;
  port?: number;
  token?: string;
}

export interface BrowserHost {
  url: string;
  /** URL with the token in the fragment, for a person to open. */
  openUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
/** Where the tenant's IdP sends the browser back (RFC 8252 loopback redirect, this host's port). */
const CALLBACK_PATH = '/auth/callback';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? crypto.randomBytes(32).toString('base64url');
  const tokenDigest = crypto.createHash('sha256').update(token).digest();
  const staticRoot = path.resolve(options.staticDir);
  if (!fs.existsSync(path.join(staticRoot, 'index.html'))) {
    throw new Error(
      `The browser-mode console is not built (${staticRoot}/index.html is missing). Run "npm run build".`,
    );
  }
  let port = 0;
  // One console user per host: every page call runs as whoever signed in through it.
  const session = new ConsoleSession(options.core, () => `http://127.0.0.1:${port}${CALLBACK_PATH}`);
  if (options.signIn === 'local_evaluation') await session.signInLocally();
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((host) => `http://${host}`);

  const tokenMatches = (candidate: string | undefined): boolean =>
    candidate !== undefined &&
    crypto.timingSafeEqual(crypto.createHash('sha256').update(candidate).digest(), tokenDigest);

  /** Returns a reason to refuse, or null. Applies to every request, static or API. */
  function refuse(req: http.IncomingMessage): string | null {
    const remote = req.socket.remoteAddress ?? '';
    if (!['127.0.0.1', '::ffff:127.0.0.1', '::1'].includes(remote)) return 'not a loopback client';
    if (!allowedHosts().includes(req.headers.host ?? '')) return 'unexpected Host header';
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return 'cross-origin request';
    return null;
  }

  function securityHeaders(res: http.ServerResponse): void {
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; ` +
        `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  function refusal(res: http.ServerResponse, status: number, code: string, message: string): void {
    sendJson(res, status, { ok: false, error: { code, message } });
  }

  async function readBody(req: http.IncomingMessage): Promise<string | null> {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return null;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleInvoke(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') return refusal(res, 405, 'invalid_input', 'Use POST');
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    if (!tokenMatches(presented)) return refusal(res, 401, 'unauthenticated', 'Missing or wrong bridge token');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return refusal(res, 415, 'invalid_input', 'Content-Type must be application/json');
    }
    const body = await readBody(req);
    if (body === null) return refusal(res, 413, 'invalid_input', `Request body exceeds ${MAX_BODY} bytes`);
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch {
      return refusal(res, 400, 'invalid_input', 'Request body is not valid JSON');
    }
    sendJson(res, 200, await session.invoke(request));
  }

  /** The IdP's redirect: the core checks state, PKCE, nonce and the ID token; then the console opens. */
  async function handleCallback(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const completed = await session.complete(new URL(req.url ?? '/', `http://127.0.0.1:${port}`).href);
    // A step-up goes back to the queue whatever came of it (the page says the outcome there,
    // the reviewer's place kept); a sign-in to the console, a test sign-in's outcome in the fragment.
    const back = callbackReturnLink(completed);
    if (back !== null) {
      res.writeHead(303, { location: `/${back}`, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    const message = (completed.ok ? 'unexpected answer' : completed.message).replace(
      /[&<>"]/g,
      (c) => `&#${c.charCodeAt(0)};`,
    );
    res.end(
      `<!doctype html><html lang="en"><title>Sign-in failed</title><main><h1>Sign-in failed</h1><p role="alert">${message}</p><p><a href="/">Back to the console</a></p></main></html>`,
    );
  }

  function serveStatic(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return refusal(res, 405, 'invalid_input', 'Method not allowed');
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
    const file = path.resolve(staticRoot, relative);
    if (!file.startsWith(staticRoot + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file).pipe(res);
  }

  const server = http.createServer((req, res) => {
    securityHeaders(res);
    const reason = refuse(req);
    if (reason) return refusal(res, 403, 'untrusted_sender', `Refused: ${reason}`);
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname === CALLBACK_PATH && req.method === 'GET') {
      handleCallback(req, res).catch(() => refusal(res, 500, 'internal', 'Sign-in failed in the console host'));
      return;
    }
    if (pathname.startsWith('/api/')) {
      if (pathname === bridgeWire.invokePath) {
        handleInvoke(req, res).catch(() => refusal(res, 500, 'internal', 'Bridge failure'));
        return;
      }
      return refusal(res, 404, 'not_found', 'No such API');
    }
    try {
      serveStatic(req, res);
    } catch {
      refusal(res, 400, 'invalid_input', 'Bad path');
    }
  });

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(bridgeWire.protocol) ? bridgeWire.protocol : false),
  });

  server.on('upgrade', (req, socket, head) => {
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const presented = protocols
      .find((p) => p.startsWith(bridgeWire.tokenProtocolPrefix))
      ?.slice(bridgeWire.tokenProtocolPrefix.length);
    const pathname = (req.url ?? '').split('?')[0];
    if (refuse(req) || pathname !== bridgeWire.eventsPath || !tokenMatches(presented)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      // Events go to whoever is signed in when the page connects (it reconnects after signing in).
      const principal = session.principal();
      if (!principal) {
        ws.close(1008, 'sign in first');
        return;
      }
      const unsubscribe = options.core.subscribe(principal, (event) => ws.send(JSON.stringify(event)));
      ws.on('close', unsubscribe);
      ws.on('error', unsubscribe);
      // The bridge carries events one way; anything the page sends is ignored.
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;

  return {
    url,
    openUrl: `${url}#token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

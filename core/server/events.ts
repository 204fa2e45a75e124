import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { ContractError } from '../contract';
import type { Authenticator } from './auth';
import type { ServerDeps } from './routes';
import { statusFor } from './http';

export const EVENTS_PATH = '/v1/events';

/**
 * The event stream over WebSocket: authenticated at the upgrade like any route (bearer token,
 * tenant header), then scoped to that tenant. The core's event bus already filters by role;
 * on a server shared by many tenants an event of any other tenant, and install-wide events
 * (which can name other tenants), never reach the subscriber.
 */
export function attachEvents(server: http.Server, deps: ServerDeps, authenticator: Authenticator): { close(): void } {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 });
  const refuse = (socket: Duplex, status: number, code: string, message: string) => {
    const body = JSON.stringify({ ok: false, error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Refused'}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const started = process.hrtime.bigint();
    const pathname = new URL(req.url ?? '/', 'https://cavra.invalid').pathname;
    const logged = (status: number, tenant: string | null, principal: string | null) =>
      deps.log({
        level: 'info',
        msg: 'request',
        method: 'UPGRADE',
        route: pathname === EVENTS_PATH ? EVENTS_PATH : 'unmatched',
        tenant,
        principal,
        status,
        duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    if (pathname !== EVENTS_PATH) {
      refuse(socket, 404, 'not_found', `No WebSocket at ${pathname}`);
      logged(404, null, null);
      return;
    }
    authenticator.authenticate(req.headers).then(
      (caller) => {
        if (caller.principal.kind !== 'human') {
          refuse(socket, 403, 'forbidden', 'Machines do not subscribe to console events');
          logged(403, caller.tenant, caller.principal.id);
          return;
        }
        sockets.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          logged(101, caller.tenant, caller.principal.id);
          const unsubscribe = deps.core.subscribe(caller.principal, (event) => {
            if (event.tenant === caller.tenant) ws.send(JSON.stringify(event));
          });
          ws.on('close', unsubscribe);
          ws.on('error', unsubscribe);
          // The stream carries events one way; anything the client sends is ignored.
        });
      },
      (error: unknown) => {
        const refusal =
          error instanceof ContractError ? error : new ContractError('internal', 'Authentication failed in the server');
        refuse(socket, statusFor(refusal.code), refusal.code, refusal.message);
        logged(statusFor(refusal.code), null, null);
      },
    );
  });
  return {
    close() {
      for (const client of sockets.clients) client.close(1001, 'server stopping');
      sockets.close();
    },
  };
}

// Live approval events from the control plane (remote-events.ts) against a real WebSocket server
// on loopback: the stream opens only for connected tenants, carries the reviewer's ID token and
// the tenant header, relays only well-formed approvals.changed events of its own tenant, and
// closes when the last watcher goes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../contract';
import type { Connection } from './connection';
import type { ReviewerSessions } from './remote-approvals-source';
import { RemoteApprovalEvents } from './remote-events';

describe('live approval events from the control plane', () => {
  const server = http.createServer();
  const sockets = new WebSocketServer({ server });
  const upgrades: { authorization?: string; tenant?: string; socket: WebSocket }[] = [];
  let url = '';
  beforeAll(async () => {
    sockets.on('connection', (socket, req) =>
      upgrades.push({
        authorization: req.headers.authorization,
        tenant: req.headers['cavra-tenant'] as string | undefined,
        socket,
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    sockets.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('relays only its tenant’s well-formed approvals.changed, with the reviewer’s token, and closes with the last watcher', async () => {
    const connection = { server: url, ca: null, tenant: 'acme' } as unknown as Connection;
    const link = {
      connection: (tenant: string) => (tenant === 'acme' ? connection : null),
      bearerFor: async () => ({ tenant: 'acme', idToken: 'id-token-of-rita', principal: 'human:x:rita' }),
    };
    const sessions = { sessionOf: () => 'session-1' } as unknown as ReviewerSessions;
    const heard: { tenant: string; id: string }[] = [];
    const relay = new RemoteApprovalEvents(link, sessions, (tenant, payload) => heard.push({ tenant, id: payload.id }));
    const rita = { kind: 'human', id: 'human:x:rita', session: 'ses_ref' } as unknown as Principal;
    const agent = { kind: 'agent', id: 'agent:a' } as unknown as Principal;

    expect(relay.watch(agent, ['acme'])).toBeTypeOf('function');
    const stopOne = relay.watch(rita, ['acme', 'globex']);
    const stopTwo = relay.watch(rita, ['acme']);
    await expect.poll(() => upgrades.length).toBe(1);
    // One stream for both watchers, none for the standalone tenant or the agent.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(upgrades.length).toBe(1);
    const [upgrade] = upgrades as [(typeof upgrades)[number]];
    expect(upgrade.authorization).toBe('Bearer id-token-of-rita');
    expect(upgrade.tenant).toBe('acme');

    const send = (message: unknown) => upgrade.socket.send(JSON.stringify(message));
    const payload = (id: string, tenantId = 'acme') => ({ tenantId, id, state: 'pending', change: 'requested' });
    send({ event: 'approvals.changed', tenant: 'globex', payload: payload('apr_other_tenant', 'globex') });
    send({ event: 'approvals.changed', tenant: 'acme', payload: payload('apr_payload_names_globex', 'globex') });
    send({ event: 'approvals.changed', tenant: 'acme', payload: { tenantId: 'acme', id: 'apr_bad', state: 'owned' } });
    send({ event: 'tenants.changed', tenant: 'acme', payload: { tenantId: 'acme', change: 'updated' } });
    upgrade.socket.send('not json');
    send({ event: 'approvals.changed', tenant: 'acme', payload: payload('apr_good') });
    await expect.poll(() => heard.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual([{ tenant: 'acme', id: 'apr_good' }]);

    const closed = new Promise((resolve) => upgrade.socket.once('close', resolve));
    stopOne();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upgrade.socket.readyState).toBe(upgrade.socket.OPEN);
    stopTwo();
    await closed;
    relay.close();
  });
});

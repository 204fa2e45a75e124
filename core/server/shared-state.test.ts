// Issue 12: two `cavra server` processes with SEPARATE data directories on one PostgreSQL
// database share one approval queue and one set of machine credentials. A machine enrolled in
// the shared database opens an approval request through replica 1; a reviewer (a real ID token
// from the test IdP) lists and approves it through replica 2; the machine, waiting on replica 1,
// gets the verdict; the verdict is in the central ledger exactly once. Each replica's registry
// (tenant, IdP, role mappings, pack) is configured alike: that part is still per replica.
import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../contract';
import { createCore } from '../service';
import { localEvaluationPrincipal } from '../identity';
import { requireKeychain } from '../gate/testing';
import { approvalBinding } from '../approvals';
import { MACHINE_PATHS } from '../connect';
import { startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { testCertificate } from '../../test/support/tls';
import { call, databaseEnv, idTokenFrom, startServerProcess } from '../../test/support/control-plane';
import type { ServerProcess } from '../../test/support/control-plane';
import { issueSharedCredential } from '../../test/support/machine-credentials';
import { INVOKE_PATH } from './index';

const launcher = path.resolve(import.meta.dirname, '..', '..', 'bin', 'cavra.cjs');
const cluster = testCluster();
const TENANT = 'acme';

const PACK = `id: acme-release
version: 1.0.0
description: ACME release rules
approval_routes:
  secops:
    approvers: [secops]
    required_approvals: 1
    expires_after: 2h
    attest: none
rules:
  - { id: release.publish, commands: [frobpublish], decision: require_approval, severity: high, reason: a release needs a reviewer, approval_route: secops }
tests:
  - { name: publish asks, action: { type: execute_command, command: frobpublish }, expect: require_approval }
`;

const users = { alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['secops'] } };

describe.skipIf(cluster === null)('two replicas with separate data directories share the queue', () => {
  let idp: TestIdp;
  let database: TestDatabase;
  const homes: { home: string; cleanup: () => void }[] = [];
  const replicas: ServerProcess[] = [];
  const cert = testCertificate();
  let machineToken: string;

  beforeAll(async () => {
    requireKeychain();
    idp = await startTestIdp(users);
    database = await createTestDatabase(cluster!);
    for (const _ of [1, 2]) {
      const home = tempHome('cavra-shared-state-');
      homes.push(home);
      const core = createCore({ home: home.home, shell: 'test', log: () => undefined });
      try {
        for (const [op, tenant, input] of [
          ['tenants.create', null, { id: TENANT, displayName: 'ACME' }],
          // The pack first: once the tenant has an IdP, the local evaluator can no longer change it.
          ['policy.pack.import', TENANT, { yaml: PACK }],
          ['policy.assign', TENANT, { packId: 'acme-release' }],
          [
            'tenants.profile.update',
            TENANT,
            {
              sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups'] },
              role_mappings: [{ group: 'secops', roles: ['security_reviewer'] }],
            },
          ],
        ] as const) {
          const answer = await core.invoke(localEvaluationPrincipal, { op, tenant, input });
          expect(answer.ok, JSON.stringify(answer)).toBe(true);
        }
      } finally {
        await core.close();
      }
    }
    // Enrolled in the shared database: neither replica's data directory knows it.
    machineToken = (await issueSharedCredential(database, TENANT, 'machine laptop-a', { uid: 1000, name: 'dev' }))
      .token;
    const env = databaseEnv(database);
    const tls = { certFile: cert.certFile, keyFile: cert.keyFile };
    replicas.push(
      ...(await Promise.all(homes.map((home) => startServerProcess({ launcher, home: home.home, env, tls })))),
    );
  }, 180_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
    await idp?.close();
    await database?.drop();
    for (const home of homes) home.cleanup();
  });

  it('opened through replica 1, approved through replica 2, the waiter on replica 1 is told; recorded once', async () => {
    const [one, two] = replicas as [ServerProcess, ServerProcess];
    const machine = { authorization: `Bearer ${machineToken}` };
    const action: Action = { type: 'execute_command', command: 'frobpublish --tag v2', cwd: '/home/dev/app' };
    const opened = await call(`${one.url}${MACHINE_PATHS.approvalOpen}`, {
      ca: cert.cert,
      headers: machine,
      body: {
        id: `apr_${crypto.randomUUID()}`,
        binding: approvalBinding(action, TENANT, { id: 'acme-release', version: '1.0.0' }),
        route: 'acme-release/secops',
        ruleId: 'acme-release/release.publish',
        reason: 'asked by the gate',
        requester: 'os:dev',
        agent: { id: 'claude-code', session: 's1' },
        adapter: 'claude-code',
        correlationId: `cor_${crypto.randomUUID()}`,
        decisionId: `dec_${crypto.randomUUID()}`,
        actionType: 'execute_command',
        target: action.command,
        action,
      },
    });
    expect(opened.status, opened.text).toBe(201);
    const id = (opened.body as { request: { id: string } }).request.id;
    // The machine waits on replica 1 (its long poll), while the reviewer works on replica 2.
    const waited = call(`${one.url}${MACHINE_PATHS.approvalWait}`, {
      ca: cert.cert,
      headers: machine,
      body: { id, waitMs: 25_000 },
    });
    const reviewer = {
      authorization: `Bearer ${await idTokenFrom(idp, 'alice')}`,
      'cavra-tenant': TENANT,
    };
    const listed = await call(`${two.url}${INVOKE_PATH}`, {
      ca: cert.cert,
      headers: reviewer,
      body: { op: 'approvals.list', tenant: TENANT, input: { states: ['pending'] } },
    });
    expect(listed.status, listed.text).toBe(200);
    expect((listed.body as { value: { requests: { id: string }[] } }).value.requests.map((r) => r.id)).toContain(id);
    const decided = await call(`${two.url}${INVOKE_PATH}`, {
      ca: cert.cert,
      headers: reviewer,
      body: { op: 'approvals.decide', tenant: TENANT, input: { id, verdict: 'approve', reason: 'release window' } },
    });
    expect(decided.status, decided.text).toBe(200);
    expect(decided.body).toMatchObject({ ok: true, value: { state: 'approved' } });
    const answer = await waited;
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ request: { id, state: 'approved', decisionReason: 'release window' } });

    // The central ledger holds the request and the verdict, each once.
    const owner = new pg.Client(database.owner);
    await owner.connect();
    try {
      await owner.query(`SELECT set_config('cavra.tenant', $1, false)`, [TENANT]);
      const rows = await owner.query<{ event: string; by: string }>(
        `SELECT payload::json->>'event' AS event, payload::json->>'by' AS by FROM ledger_records
          WHERE tenant_id = $1 AND type = 'approval' AND payload::json->>'request_id' = $2 ORDER BY seq`,
        [TENANT, id],
      );
      expect(rows.rows.map((row) => row.event)).toEqual(['requested', 'approved']);
      expect(rows.rows[1]?.by).toMatch(/alice$/);
    } finally {
      await owner.end();
    }
  }, 120_000);
});

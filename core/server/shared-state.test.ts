// Issue 12, the proof: two `cavra server` processes share one PostgreSQL database, and replica 2
// starts on an EMPTY data directory. Replica 1's data directory holds the tenants it creates
// (tenant, pack, IdP profile, role mappings: `cavra tenants onboard` in a deployment), which it
// adopts into the shared registry at start. Replica 2 knows them only from the database: it
// authenticates the tenant's reviewer (a real ID token from the test IdP), lists and decides the
// approval a machine opened through replica 1 (the waiter on replica 1 is told; recorded once),
// and exports the tenant's central ledger as a bundle that verifies, signed with the same key
// as replica 1's. A role mapping removed through replica 2 makes replica 1 refuse the same
// reviewer within the registry's refresh bound; and tenant A's database session reads none of
// tenant B's registry or profile rows.
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { createCore } from '../service';
import { localEvaluationPrincipal } from '../identity';
import { requireKeychain } from '../gate/testing';
import { MACHINE_PATHS, fetchCentralBundle } from '../connect';
import { REGISTRY_REFRESH_MS } from '../tenants';
import { startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { testCertificate } from '../../test/support/tls';
import { call, databaseEnv, idTokenFrom, startServerProcess, testEvidenceKey } from '../../test/support/control-plane';
import type { ServerProcess } from '../../test/support/control-plane';
import { issueSharedCredential } from '../../test/support/machine-credentials';
import { ACME_PEOPLE, ACME_RELEASE_PACK, machineApprovalRequest } from '../../test/support/acme-release';
import { INVOKE_PATH } from './index';

const launcher = path.resolve(import.meta.dirname, '..', '..', 'bin', 'cavra.cjs');
const cluster = testCluster();
const TENANT = 'acme';

describe.skipIf(cluster === null)(
  'two replicas, one on an empty data directory, share the registry and the queue',
  () => {
    let idp: TestIdp;
    let database: TestDatabase;
    const homes: { home: string; cleanup: () => void }[] = [];
    const replicas: ServerProcess[] = [];
    const cert = testCertificate();
    let machineToken: string;

    beforeAll(async () => {
      requireKeychain();
      idp = await startTestIdp(ACME_PEOPLE);
      database = await createTestDatabase(cluster!);
      homes.push(tempHome('cavra-shared-state-'), tempHome('cavra-shared-state-empty-'));
      // Replica 1's data directory: the tenants are made there, then adopted when replica 1 starts.
      const core = createCore({ home: homes[0]!.home, shell: 'test', log: () => undefined });
      try {
        for (const [tenant, group] of [
          [TENANT, 'secops'],
          ['globex', 'globex-reviewers'],
        ] as const) {
          for (const [op, scope, input] of [
            ['tenants.create', null, { id: tenant, displayName: tenant.toUpperCase() }],
            // The pack first: once the tenant has an IdP, the local evaluator can no longer change it.
            ['policy.pack.import', tenant, { yaml: ACME_RELEASE_PACK }],
            ['policy.assign', tenant, { packId: 'acme-release' }],
            [
              'tenants.profile.update',
              tenant,
              {
                sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups'] },
                role_mappings: [
                  { group, roles: ['security_reviewer'] },
                  { group: 'admins', roles: ['tenant_admin'] },
                ],
              },
            ],
          ] as const) {
            const answer = await core.invoke(localEvaluationPrincipal, { op, tenant: scope, input });
            expect(answer.ok, JSON.stringify(answer)).toBe(true);
          }
        }
      } finally {
        await core.close();
      }
      const env = databaseEnv(database);
      const tls = { certFile: cert.certFile, keyFile: cert.keyFile };
      // Replica 1 migrates the database and adopts its tenants; replica 2 starts after, on nothing.
      replicas.push(await startServerProcess({ launcher, home: homes[0]!.home, env, tls }));
      // Enrolled in the shared database: neither replica's data directory knows it.
      machineToken = (await issueSharedCredential(database, TENANT, 'machine laptop-a', { uid: 1000, name: 'dev' }))
        .token;
      replicas.push(await startServerProcess({ launcher, home: homes[1]!.home, env, tls }));
      // Replica 2 made its mirror's tenant databases from the shared registry alone.
      expect(fs.readdirSync(path.join(homes[1]!.home, 'tenants'))).toEqual(expect.arrayContaining([TENANT, 'globex']));
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
      const opened = await call(`${one.url}${MACHINE_PATHS.approvalOpen}`, {
        ca: cert.cert,
        headers: machine,
        body: machineApprovalRequest(
          TENANT,
          'frobpublish --tag v2',
          'acme-release/release.publish',
          'acme-release/secops',
        ),
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

    it("the central ledger exported through replica 2 verifies, signed with the same tenant key as replica 1's", async () => {
      const [one, two] = replicas as [ServerProcess, ServerProcess];
      const out = tempHome('cavra-shared-bundle-');
      homes.push(out);
      const idToken = await idTokenFrom(idp, 'alice');
      const fromTwo = await fetchCentralBundle({
        connection: { server: two.url, ca: cert.cert },
        idToken,
        tenant: TENANT,
        out: path.join(out.home, 'two'),
      });
      expect(fromTwo.verification).toMatchObject({ ok: true, tenant: TENANT });
      // Through replica 1 too: the same key signs its checkpoint (a replica with another key would refuse, 503).
      const fromOne = await fetchCentralBundle({
        connection: { server: one.url, ca: cert.cert },
        idToken,
        tenant: TENANT,
        out: path.join(out.home, 'one'),
      });
      expect(fromOne.verification).toMatchObject({ ok: true, tenant: TENANT });
      expect(fromOne.verification.key?.keyId).toBe(testEvidenceKey(TENANT).keyId);
      expect(fromTwo.verification.key?.keyId).toBe(testEvidenceKey(TENANT).keyId);
    }, 120_000);

    it('a role mapping removed through replica 2 makes replica 1 refuse the same reviewer within the bound', async () => {
      const [one, two] = replicas as [ServerProcess, ServerProcess];
      const alice = { authorization: `Bearer ${await idTokenFrom(idp, 'alice')}`, 'cavra-tenant': TENANT };
      const list = (url: string) =>
        call(`${url}${INVOKE_PATH}`, {
          ca: cert.cert,
          headers: alice,
          body: { op: 'approvals.list', tenant: TENANT, input: {} },
        });
      // Accepted (and remembered) by replica 1 first.
      expect((await list(one.url)).status).toBe(200);
      const rita = { authorization: `Bearer ${await idTokenFrom(idp, 'rita')}`, 'cavra-tenant': TENANT };
      const removed = await call(`${two.url}${INVOKE_PATH}`, {
        ca: cert.cert,
        headers: rita,
        body: {
          op: 'tenants.profile.update',
          tenant: TENANT,
          input: { role_mappings: [{ group: 'admins', roles: ['tenant_admin'] }] },
        },
      });
      expect(removed.status, removed.text).toBe(200);
      const start = Date.now();
      let refused = await list(one.url);
      // The bound is one refresh period plus one refresh; the room beyond it is for this loaded test machine.
      while (refused.status === 200 && Date.now() - start < REGISTRY_REFRESH_MS * 5) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        refused = await list(one.url);
      }
      const took = Date.now() - start;
      expect(refused.status, refused.text).toBe(403);
      expect(refused.text).toMatch(/none of your groups \(secops\) maps to a role/);
      console.info(`replica 1 refused the reviewer ${took} ms after the mapping was removed through replica 2`);
      // And replica 2, where it was removed, refuses at once.
      expect((await list(two.url)).status).toBe(403);
    }, 60_000);

    it("tenant acme's database session (row-level security) reads none of globex's registry or profile rows", async () => {
      const app = new pg.Client(database.app);
      await app.connect();
      try {
        await app.query('BEGIN');
        await app.query(`SELECT set_config('cavra.tenant', $1, true)`, [TENANT]);
        for (const table of [
          'tenant_members',
          'tenant_memberships',
          'member_logins',
          'tenant_profiles',
          'policy_state',
        ]) {
          const rows = await app.query<{ tenant_id: string }>(`SELECT tenant_id FROM ${table}`);
          expect(rows.rowCount, `${table}: acme sees its own rows`).toBeGreaterThan(0);
          expect(new Set(rows.rows.map((row) => row.tenant_id)), table).toEqual(new Set([TENANT]));
          expect((await app.query(`SELECT 1 FROM ${table} WHERE tenant_id = 'globex'`)).rowCount, table).toBe(0);
        }
        const profiles = await app.query<{ profile: string }>(`SELECT profile FROM tenant_profiles`);
        expect(profiles.rows.map((row) => row.profile).join('\n')).not.toContain('globex-reviewers');
        await app.query('ROLLBACK');
      } finally {
        await app.end();
      }
    });
  },
);

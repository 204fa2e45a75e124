// Issue 12: the tenant registry, IdP profiles, role mappings and pack assignments on the shared
// store (real PostgreSQL). Two cores, each on its own EMPTY data directory, share one database as
// two replicas of cavra server do: what is created or changed through one is what the other
// serves, within the mirror's refresh bound; and tenant A's database session reads none of
// tenant B's registry rows.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../contract';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { localEvaluationPrincipal } from '../identity';
import { requireKeychain } from '../gate/testing';
import { PostgresStore, migratePostgres, postgresMigrations, sharedTenantRows } from '../store';
import { startTestIdp } from '../../test/support/oidc-idp';
import type { TestIdp } from '../../test/support/oidc-idp';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { tempHome } from '../../test/support/temp-home';
import { idTokenFrom, testEvidenceKey } from '../../test/support/control-plane';
import { ACME_PEOPLE, ACME_RELEASE_PACK } from '../../test/support/acme-release';
import { REGISTRY_REFRESH_MS } from './index';

const cluster = testCluster();

/** The registry tables that hold one tenant's data (row-level security per tenant). */
const REGISTRY_TABLES = ['tenant_members', 'tenant_memberships', 'member_logins', 'tenant_profiles', 'policy_state'];

/** How long a change through one replica may take to reach another: the refresh bound, with room for load. */
const REACH_MS = REGISTRY_REFRESH_MS * 4;

async function within<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  limitMs = REACH_MS,
): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - start };
    if (Date.now() - start > limitMs) throw new Error(`${what}: not seen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(cluster === null)('the tenant registry on the shared store', () => {
  let idp: TestIdp;
  let database: TestDatabase;
  let store: PostgresStore;
  const homes: { home: string; cleanup: () => void }[] = [];
  const cores: LocalCoreService[] = [];

  function replica(home: string): LocalCoreService {
    const core = createCore({
      home,
      shell: 'test',
      log: () => undefined,
      shared: { store, ensureTenant: sharedTenantRows(store) },
      signingKey: testEvidenceKey,
    });
    cores.push(core);
    return core;
  }

  async function invoke(core: LocalCoreService, principal: Principal, op: string, tenant: string | null, input = {}) {
    const answer = await core.invoke(principal, { op, tenant, input });
    if (!answer.ok) throw Object.assign(new Error(`${op}: ${answer.error.message}`), { code: answer.error.code });
    return answer.value as Record<string, unknown>;
  }

  async function setUp(core: LocalCoreService, tenant: string, group: string): Promise<void> {
    await invoke(core, localEvaluationPrincipal, 'tenants.create', null, { id: tenant, displayName: tenant });
    // The pack first: once the tenant has an IdP, the local evaluator can no longer change it.
    await invoke(core, localEvaluationPrincipal, 'policy.pack.import', tenant, { yaml: ACME_RELEASE_PACK });
    await invoke(core, localEvaluationPrincipal, 'policy.assign', tenant, { packId: 'acme-release' });
    await invoke(core, localEvaluationPrincipal, 'tenants.profile.update', tenant, {
      sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups'] },
      role_mappings: [
        { group, roles: ['security_reviewer'] },
        { group: 'admins', roles: ['tenant_admin'] },
      ],
    });
  }

  beforeAll(async () => {
    requireKeychain();
    idp = await startTestIdp(ACME_PEOPLE);
    database = await createTestDatabase(cluster!);
    await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
    store = await PostgresStore.open({ connection: database.app });
    for (const _ of [1, 2]) homes.push(tempHome('cavra-shared-registry-'));
    const one = replica(homes[0]!.home);
    await one.ready();
    await setUp(one, 'acme', 'secops');
    await setUp(one, 'globex', 'globex-reviewers');
    // Started on an EMPTY data directory after the tenants were made: it knows them only from the database.
    await replica(homes[1]!.home).ready();
  }, 180_000);

  afterAll(async () => {
    for (const core of cores) await core.close();
    await store?.close();
    await idp?.close();
    await database?.drop();
    for (const home of homes) home.cleanup();
  });

  it('a replica on an empty data directory serves a tenant made through another: IdP, role mappings, policy', async () => {
    const [, two] = cores as [LocalCoreService, LocalCoreService];
    const alice = await two.bearerPrincipal('acme', await idTokenFrom(idp, 'alice'));
    expect(alice.displayName).toBe('Alice Reviewer');
    // The role came from the shared role mapping (secops → security_reviewer).
    await expect(invoke(two, alice, 'approvals.list', 'acme', { states: ['pending'] })).resolves.toMatchObject({
      requests: [],
    });
    const packs = (await invoke(two, alice, 'policy.packs.list', 'acme')) as {
      packs: { id: string; version: string; assignments: unknown[] }[];
    };
    expect(packs.packs.find((pack) => pack.id === 'acme-release')).toMatchObject({
      version: '1.0.0',
      assignments: [null],
    });
    // The approval route's pack version the desk checks is the shared one.
    const decided = await two.invoke(alice, {
      op: 'policy.evaluate',
      tenant: 'acme',
      input: { action: { type: 'execute_command', command: 'frobpublish', cwd: '/' } },
    });
    expect(decided).toMatchObject({ ok: true, value: { decision: 'require_approval' } });
    // Alice's sign-in through replica 2 (her roles) reaches replica 1.
    const one = cores[0]!;
    const admin = await one.bearerPrincipal('acme', await idTokenFrom(idp, 'rita'));
    const member = await within('her membership on replica 1', async () => {
      const members = (await invoke(one, admin, 'tenants.members', 'acme')) as {
        members: { principalId: string; roles: string[] }[];
      };
      return members.members.find((m) => m.principalId === alice.id);
    });
    expect(member.value.roles).toEqual(['security_reviewer']);
  });

  it('a role mapping removed through one replica refuses the reviewer on the other within the bound', async () => {
    const [one, two] = cores as [LocalCoreService, LocalCoreService];
    const aliceToken = await idTokenFrom(idp, 'alice');
    // Checked and remembered on replica 1 first: the remembered token must not outlive the mapping.
    const alice = await one.bearerPrincipal('acme', aliceToken);
    await expect(invoke(one, alice, 'approvals.list', 'acme', {})).resolves.toBeDefined();
    const admin = await two.bearerPrincipal('acme', await idTokenFrom(idp, 'rita'));
    await invoke(two, admin, 'tenants.profile.update', 'acme', {
      role_mappings: [{ group: 'admins', roles: ['tenant_admin'] }],
    });
    const refused = await within('the refusal on replica 1', async () => {
      try {
        await one.bearerPrincipal('acme', aliceToken);
        return undefined;
      } catch (error) {
        return error as { code?: string; message: string };
      }
    });
    expect(refused.value).toMatchObject({ code: 'forbidden' });
    expect(refused.value.message).toMatch(/none of your groups \(secops\) maps to a role/);
    console.info(`role mapping removal reached the other replica in ${refused.ms} ms`);
    // Her roles were taken away (recorded first), so her principal is refused by the guard too.
    await expect(invoke(one, alice, 'approvals.list', 'acme', {})).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('a pack unassigned through one replica is what the other replica serves', async () => {
    const [one, two] = cores as [LocalCoreService, LocalCoreService];
    const adminOnOne = await one.bearerPrincipal('acme', await idTokenFrom(idp, 'rita'));
    const adminOnTwo = await two.bearerPrincipal('acme', await idTokenFrom(idp, 'rita'));
    await invoke(two, adminOnTwo, 'policy.unassign', 'acme', { packId: 'acme-release' });
    const seen = await within('the unassignment on replica 1', async () => {
      const packs = (await invoke(one, adminOnOne, 'policy.packs.list', 'acme')) as {
        packs: { id: string; assignments: unknown[] }[];
      };
      const pack = packs.packs.find((p) => p.id === 'acme-release');
      return pack && pack.assignments.length === 0 ? pack : undefined;
    });
    expect(seen.value.assignments).toEqual([]);
    // Concurrent changes through both replicas: neither is lost (each applies to the shared policy under its lock).
    await Promise.all([
      invoke(one, adminOnOne, 'policy.assign', 'acme', { packId: 'acme-release', repository: 'github.com/acme/a' }),
      invoke(two, adminOnTwo, 'policy.assign', 'acme', { packId: 'acme-release', repository: 'github.com/acme/b' }),
    ]);
    const both = await within(
      'both assignments on each replica',
      async () => {
        const lists = await Promise.all(
          [
            [one, adminOnOne],
            [two, adminOnTwo],
          ].map(async ([core, who]) => {
            const packs = (await invoke(core as LocalCoreService, who as Principal, 'policy.packs.list', 'acme')) as {
              packs: { id: string; assignments: (string | null)[] }[];
            };
            return [...(packs.packs.find((p) => p.id === 'acme-release')?.assignments ?? [])].sort();
          }),
        );
        return lists.every((list) => list.length === 2) ? lists : undefined;
        // This checks that no change is lost, not how fast: two policy changes and two refreshes on a loaded machine.
      },
      REACH_MS * 4,
    );
    expect(both.value).toEqual([
      ['github.com/acme/a', 'github.com/acme/b'],
      ['github.com/acme/a', 'github.com/acme/b'],
    ]);
  });

  it("tenant acme's database session reads none of globex's registry, profile or policy rows", async () => {
    const client = new pg.Client(database.app);
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('cavra.tenant', 'acme', true)`);
      for (const table of REGISTRY_TABLES) {
        const rows = await client.query<{ tenant_id: string }>(`SELECT tenant_id FROM ${table}`);
        expect(rows.rowCount, `${table} shows acme its own rows`).toBeGreaterThan(0);
        expect(new Set(rows.rows.map((row) => row.tenant_id)), table).toEqual(new Set(['acme']));
        expect((await client.query(`SELECT 1 FROM ${table} WHERE tenant_id = 'globex'`)).rowCount, table).toBe(0);
      }
      // globex's role mapping is not readable through acme's session in any form.
      const profiles = await client.query<{ profile: string }>(`SELECT profile FROM tenant_profiles`);
      expect(profiles.rows.map((row) => row.profile).join('\n')).not.toContain('globex-reviewers');
      await client.query('SAVEPOINT s');
      await expect(
        client.query(
          `INSERT INTO tenant_memberships (tenant_id, principal_id, role) VALUES ('globex', 'x', 'tenant_admin')`,
        ),
      ).rejects.toThrow(/row-level security|violates foreign key/);
      await client.query('ROLLBACK TO SAVEPOINT s');
      // The tenant rows are install-wide; the app role may bump a generation but never rename a tenant's id,
      // nor change a registered tenant's public signing key or kind.
      await client.query('SAVEPOINT s');
      await expect(client.query(`UPDATE tenants SET id = 'evil' WHERE id = 'globex'`)).rejects.toThrow(
        /permission denied/,
      );
      await client.query('ROLLBACK TO SAVEPOINT s');
      for (const sql of [
        `UPDATE tenants SET signing_public_key = 'AAAA', signing_key_id = 'evil' WHERE id = 'globex'`,
        `UPDATE tenants SET kind = 'production' WHERE id = 'globex'`,
        `UPDATE tenants SET generation = 0 WHERE id = 'globex'`,
      ]) {
        await client.query('SAVEPOINT s');
        await expect(client.query(sql), sql).rejects.toThrow(/changes only its generation|only grows/);
        await client.query('ROLLBACK TO SAVEPOINT s');
      }
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
  });

  it('every replica signs with the configured key: the same key per tenant on each, another per tenant', () => {
    const [one, two] = cores as [LocalCoreService, LocalCoreService];
    expect(one.evidenceSigner('acme').keyId).toBe(two.evidenceSigner('acme').keyId);
    expect(one.evidenceSigner('acme').keyId).not.toBe(one.evidenceSigner('globex').keyId);
    expect(one.evidenceSigner('acme').publicKey.equals(testEvidenceKey('acme').publicKey)).toBe(true);
  });

  it('a replica set up before the registry was shared adopts its tenants once; one already shared is left alone', async () => {
    const old = tempHome('cavra-shared-registry-');
    homes.push(old);
    const local = createCore({ home: old.home, shell: 'test', log: () => undefined });
    try {
      await invoke(local, localEvaluationPrincipal, 'tenants.create', null, { id: 'initech', displayName: 'Initech' });
      // Also a tenant of the same id as a shared one, configured differently: the shared one wins.
      await invoke(local, localEvaluationPrincipal, 'tenants.create', null, { id: 'acme', displayName: 'Not ACME' });
    } finally {
      await local.close();
    }
    await replica(old.home).ready();
    const [, two] = cores as [LocalCoreService, LocalCoreService];
    // Replica 2 learns of it on its next refresh, or at once when asked for it (a miss refreshes).
    type Tenants = { tenants: { id: string; displayName: string }[] };
    const seen = await within('initech on replica 2', async () => {
      const listed = (await invoke(two, localEvaluationPrincipal, 'tenants.list', null)) as Tenants;
      return listed.tenants.find((t) => t.id === 'initech');
    });
    expect(seen.value.displayName).toBe('Initech');
    const adopted = cores[cores.length - 1]!;
    const acme = (await invoke(adopted, localEvaluationPrincipal, 'tenants.list', null)) as Tenants;
    expect(acme.tenants.find((t) => t.id === 'acme')?.displayName).toBe('acme');
  });
});

// Isolation's second wall on the shared store (issue 12, acceptance 4, second half): raw SQL
// made as tenant A's database session — the application role, the tenant set for the
// transaction exactly as PostgresStore sets it — returns none of tenant B's rows, cannot write
// rows for B, and cannot switch row-level security off. Every tenant table is checked, found
// from the catalogue, so a table added later without a policy fails here.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoredContainmentSettings } from '../containment';
import { DEFAULT_REPORT_SETTINGS, StoredReportRepository } from '../reports';
import { StoreAispmRepository } from '../aispm';
import { StoredApprovalRepository } from '../approvals';
import { SharedLedger } from '../evidence';
import { createTestDatabase, testCluster } from '../../test/support/postgres';
import type { TestDatabase } from '../../test/support/postgres';
import { connection } from '../../test/support/postgres-cluster';
import { PostgresStore, StoreUsageError, migratePostgres, postgresMigrations } from './index';

const cluster = testCluster();
/**
 * Install-wide tables that name a tenant per row but are not tenant data: machine credentials
 * (a token names no tenant, so its row is found before the tenant is known; it holds a SHA-256
 * of the secret, and the app role can only INSERT and set revoked_at — tested below).
 */
const INSTALL_TABLES = new Set(['agent_credentials']);

describe.skipIf(cluster === null)('PostgreSQL row-level security: a second wall between tenants', () => {
  let database: TestDatabase;
  let store: PostgresStore;
  let tenantTables: string[];

  /** A raw session of the application role, as `tenant`'s unit of work would be (or with none). */
  async function asTenant<T>(tenant: string | null, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(database.app);
    await client.connect();
    try {
      await client.query('BEGIN');
      if (tenant !== null) await client.query(`SELECT set_config('cavra.tenant', $1, true)`, [tenant]);
      const result = await work(client);
      await client.query('ROLLBACK');
      return result;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase(cluster!);
    await migratePostgres(postgresMigrations, { owner: database.owner, appRole: database.appRole });
    store = await PostgresStore.open({ connection: database.app });
    await store.transaction('install', async (session) => {
      for (const id of ['acme', 'globex']) {
        await session.run(
          `INSERT INTO tenants (id, display_name, kind, created_at, created_by) VALUES ($1, $1, 'production', 'x', 'test')`,
          [id],
        );
      }
    });
    // Rows for both tenants in every tenant table, written through the repositories.
    const settings = new StoredContainmentSettings(store);
    const reports = new StoredReportRepository(store);
    const ledger = new SharedLedger(store);
    for (const tenant of ['acme', 'globex']) {
      await settings.save(tenant, { enforcement: 'sandbox', reason: null, changedAt: null, changedBy: tenant });
      await reports.saveSettings(tenant, { ...DEFAULT_REPORT_SETTINGS, recipients: [`ciso@${tenant}.example`] });
      await reports.addSchedule(
        tenant,
        { kind: 'security', cadence: 'daily', recipients: [`ciso@${tenant}.example`], nextRunAt: 1, createdBy: tenant },
        0,
      );
      await Promise.all(
        [1, 2, 3].map((i) =>
          ledger.append(
            tenant,
            { type: 'config_change', payload: { change: 'rls.seed', by: tenant, after: i } },
            // Shipped from a gate: ledger_origins gets rows too.
            { origin: `gate-${tenant}`, originSeq: i },
          ),
        ),
      );
      // AISPM's projection: one of each row (the repository stores bodies as given).
      const aispm = new StoreAispmRepository(store, tenant);
      const finding = {
        id: `f-${tenant}`,
        key: `k-${tenant}`,
        kind: 'seed',
        severity: 'low',
        status: 'open',
        owner: null,
      };
      const cell = { surface: 'command', repository: tenant, agent: 'a' };
      await aispm.commit({
        expectedVersion: 0,
        cursor: 1,
        facts: { seeded: tenant } as never,
        findings: [finding as never],
        cells: [cell as never],
        links: [{ findingId: finding.id, seq: 1 }],
        trend: [{ atMs: 1, score: 1, coverage: 1, risk: 0, open: { low: 1, medium: 0, high: 0, critical: 0 } }],
      });
      // The approval desk: a request, a verdict and a view.
      const approvals = new StoredApprovalRepository(store);
      await approvals.insert(tenant, {
        id: `apr-${tenant}`,
        action_sha256: 'a'.repeat(64),
        pack_id: null,
        pack_version: null,
        route: 'default',
        rule_id: null,
        reason: 'seed',
        require_reason: 0,
        requester: null,
        agent_id: null,
        agent_session: null,
        adapter: 'exec',
        correlation_id: 'c',
        decision_id: 'd',
        action_type: 'execute_command',
        target: 't',
        action: '{}',
        created_at: 1,
        expires_at: 2,
        decision_seq: null,
        requester_uid: null,
        approver_groups: '[]',
        required_approvals: 1,
        allow_reuse: 0,
        attest: 'none',
        agent_principal: null,
      });
      await approvals.markRequested(tenant, `apr-${tenant}`, 1);
      await approvals.claimVote(tenant, `apr-${tenant}`, {
        by: `human:${tenant}`,
        displayName: null,
        verdict: 'approve',
        reason: null,
        at: 1,
        kind: 'human',
      });
      await approvals.addView(tenant, `apr-${tenant}`, `human:${tenant}`, 1, 1);
      await aispm.savePacket({
        sha256: `p-${tenant}`,
        kind: 'weekly',
        generatedAt: '2026-12-07T00:00:00Z',
        json: '{}',
      });
    }
    // The shared tenant registry (core/tenants/shared-registry.ts): a member, their role and
    // sign-in, the tenant profile and the tenant's policy, as the registry writes them.
    for (const tenant of ['acme', 'globex']) {
      await store.transaction({ tenant }, async (session) => {
        await session.run(
          `INSERT INTO tenant_members (principal_id, display_name, kind, created_at) VALUES ($1, $1, 'human', 'x')`,
          [`human:${tenant}`],
        );
        await session.run(`INSERT INTO tenant_memberships (principal_id, role) VALUES ($1, 'tenant_admin')`, [
          `human:${tenant}`,
        ]);
        await session.run(`INSERT INTO member_logins (principal_id, last_login_at, groups) VALUES ($1, 'x', '[]')`, [
          `human:${tenant}`,
        ]);
        await session.run(`INSERT INTO tenant_profiles (profile, updated_at, updated_by) VALUES ('{}', 'x', 'x')`);
        await session.run(`INSERT INTO policy_state (body, updated_at) VALUES ('{}', 'x')`);
      });
    }
    const owner = new pg.Client(database.owner);
    await owner.connect();
    try {
      const tables = await owner.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.columns
          WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
      );
      tenantTables = tables.rows.map((row) => row.table_name).filter((table) => !INSTALL_TABLES.has(table));
      // Every install table is named here on purpose, and its rows carry no tenant's data but its id.
      expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining([...INSTALL_TABLES]));
    } finally {
      await owner.end();
    }
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('every tenant table has row-level security enabled and forced, with a policy; the app role cannot bypass it', async () => {
    expect(tenantTables).toEqual(
      expect.arrayContaining([
        'aispm_coverage',
        'approval_requests',
        'approval_views',
        'approval_votes',
        'aispm_finding_links',
        'aispm_findings',
        'aispm_packets',
        'aispm_state',
        'aispm_trend',
        'containment_settings',
        'ledger_records',
        'member_logins',
        'policy_state',
        'report_schedules',
        'report_settings',
        'tenant_members',
        'tenant_memberships',
        'tenant_profiles',
      ]),
    );
    const owner = new pg.Client(database.owner);
    await owner.connect();
    try {
      for (const table of tenantTables) {
        const rls = await owner.query<{ relrowsecurity: boolean; relforcerowsecurity: boolean; policies: number }>(
          `SELECT c.relrowsecurity, c.relforcerowsecurity,
                  (SELECT count(*)::int FROM pg_policies p WHERE p.tablename = c.relname) AS policies
             FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace`,
          [table],
        );
        expect({ table, ...rls.rows[0] }).toEqual({
          table,
          relrowsecurity: true,
          relforcerowsecurity: true,
          policies: 1,
        });
      }
      const role = await owner.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`, [
        database.appRole,
      ]);
      expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    } finally {
      await owner.end();
    }
  });

  it('machine credentials: the app role cannot delete one, rewrite its secret or move it to another tenant', async () => {
    await asTenant('acme', async (client) => {
      for (const sql of [
        `DELETE FROM agent_credentials`,
        `UPDATE agent_credentials SET secret_sha256 = repeat('0', 64)`,
        `UPDATE agent_credentials SET tenant_id = 'globex'`,
      ]) {
        await client.query('SAVEPOINT s');
        await expect(client.query(sql), sql).rejects.toThrow(/permission denied/);
        await client.query('ROLLBACK TO SAVEPOINT s');
      }
    });
  });

  it("raw SQL as tenant acme's session returns none of globex's rows, in every tenant table, however it asks", async () => {
    await asTenant('acme', async (client) => {
      for (const table of tenantTables) {
        const all = await client.query<{ tenant_id: string }>(`SELECT tenant_id FROM ${table}`);
        expect(all.rows.length, `${table} shows acme its own rows`).toBeGreaterThan(0);
        expect(new Set(all.rows.map((row) => row.tenant_id)), table).toEqual(new Set(['acme']));
        const asked = await client.query(`SELECT * FROM ${table} WHERE tenant_id = 'globex'`);
        expect(asked.rowCount, `${table} WHERE tenant_id = 'globex'`).toBe(0);
        const union = await client.query(
          `SELECT tenant_id FROM ${table} WHERE tenant_id <> 'acme' OR tenant_id IS NULL OR true`,
        );
        expect(
          union.rows.every((row) => row.tenant_id === 'acme'),
          table,
        ).toBe(true);
      }
    });
  });

  it("tenant acme's session cannot write, change or delete globex's rows", async () => {
    await asTenant('acme', async (client) => {
      await expect(
        client.query(`INSERT INTO containment_settings (tenant_id, key, value) VALUES ('globex', 'planted', '{}')`),
      ).rejects.toThrow(/row-level security/);
    });
    await asTenant('acme', async (client) => {
      const updated = await client.query(`UPDATE containment_settings SET value = '{}' WHERE tenant_id = 'globex'`);
      const deleted = await client.query(`DELETE FROM containment_settings WHERE tenant_id = 'globex'`);
      expect([updated.rowCount, deleted.rowCount]).toEqual([0, 0]);
      // Moving one of its own rows into globex is refused too.
      await expect(client.query(`UPDATE containment_settings SET tenant_id = 'globex'`)).rejects.toThrow(
        /row-level security/,
      );
    });
    const globex = await new StoredContainmentSettings(store).get('globex');
    expect(globex.changedBy).toBe('globex');
  });

  it('a session with no tenant set sees no tenant row and cannot write one; switching row security off is refused', async () => {
    await asTenant(null, async (client) => {
      for (const table of tenantTables) {
        expect((await client.query(`SELECT * FROM ${table}`)).rowCount, table).toBe(0);
      }
      await expect(
        client.query(`INSERT INTO containment_settings (key, value) VALUES ('planted', '{}')`),
      ).rejects.toThrow(/null value|row-level security/);
    });
    await asTenant('acme', async (client) => {
      await client.query('SET LOCAL row_security = off');
      await expect(client.query('SELECT * FROM containment_settings')).rejects.toThrow(/row-level security/);
    });
  });

  it('the tenant is set per transaction: a pooled connection that served acme serves the next unit without it', async () => {
    const client = new pg.Client(database.app);
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('cavra.tenant', 'acme', true)`);
      expect((await client.query('SELECT * FROM ledger_records')).rowCount).toBe(3);
      await client.query('COMMIT');
      expect((await client.query('SELECT * FROM ledger_records')).rowCount).toBe(0);
    } finally {
      await client.end();
    }
    // And through the store: install scope reads no tenant rows.
    const rows = await store.transaction('install', (session) => session.all('SELECT * FROM ledger_records'));
    expect(rows).toEqual([]);
  });

  it("the ledger's records are append-only for the app role: its own tenant's records cannot be changed or deleted", async () => {
    await asTenant('acme', async (client) => {
      await expect(client.query(`UPDATE ledger_records SET payload = NULL`)).rejects.toThrow(/permission denied/);
    });
    await asTenant('acme', async (client) => {
      await expect(client.query(`DELETE FROM ledger_records`)).rejects.toThrow(/permission denied/);
    });
    expect(await new SharedLedger(store).verify('acme')).toEqual({ ok: true, size: 3 });
  });

  it('the store refuses to run as a role that bypasses row-level security (a superuser)', async () => {
    await expect(
      PostgresStore.open({ connection: { ...connection(cluster!, database.name), ...cluster!.admin } }),
    ).rejects.toThrow(StoreUsageError);
  });
});

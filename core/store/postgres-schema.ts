import type { MigrationSet } from './migrations';

/**
 * Row-level security for one tenant table: the second wall behind the core's tenant checks.
 * Rows are visible and writable only while the transaction's `cavra.tenant` names their tenant
 * (PostgresStore sets it per unit of work); with no tenant set, `NULLIF` makes the comparison
 * NULL, so nothing matches and nothing can be written. FORCE applies it to the owner as well.
 * The tenant column fills itself from the same setting, so the port's SQL never names it.
 */
function tenantRowSecurity(table: string): string {
  return `
      ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
      ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
      CREATE POLICY ${table}_tenant ON ${table}
        USING (tenant_id = NULLIF(current_setting('cavra.tenant', true), ''))
        WITH CHECK (tenant_id = NULLIF(current_setting('cavra.tenant', true), ''));`;
}

const TENANT_COLUMN = `tenant_id TEXT NOT NULL DEFAULT NULLIF(current_setting('cavra.tenant', true), '') REFERENCES tenants(id)`;

/**
 * The shared store's schema (PostgreSQL). Components and numbering mirror the SQLite schema
 * (schema.ts) for the capabilities already behind the store port; every tenant table carries
 * `tenant_id` first in its key and row-level security. The application role gets only the
 * privileges each table needs: the ledger's records are SELECT and INSERT, never UPDATE or DELETE.
 */
export const postgresMigrations: MigrationSet = {
  registry: [
    {
      version: 1,
      name: 'tenants',
      sql: `
      GRANT USAGE ON SCHEMA public TO {{app}};
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('evaluation', 'production')),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
      );
      GRANT SELECT, INSERT, UPDATE ON tenants TO {{app}};
    `,
    },
  ],
  tenant_registry: [
    {
      version: 1,
      name: 'tenant-registry',
      // The tenant registry of cavra server (core/tenants/shared-registry.ts): every replica
      // reads it from here and mirrors it into its own CAVRA_HOME, so a replica started on an
      // empty data directory serves every tenant. \`tenants\` stays install-wide, not behind
      // row-level security: a bearer token's tenant, a machine's credential and the delivery
      // worker look a tenant up before any tenant is set, and its row holds only the id, name,
      // kind, the public half of the signing key and \`generation\` (bumped by every change of
      // the tenant's registry rows, profile or policy, so replicas reload only what changed).
      // Install roles are the install's, not a tenant's. Members, their roles and sign-ins, and
      // the tenant profile (IdP issuer and client, groups claim, role mappings) are tenant data.
      sql: `
      ALTER TABLE tenants ADD COLUMN signing_public_key TEXT;
      ALTER TABLE tenants ADD COLUMN signing_key_id TEXT;
      ALTER TABLE tenants ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
      -- Never the id: a tenant row is bumped, or filled in once when a replica adopts its tenant.
      REVOKE UPDATE ON tenants FROM {{app}};
      GRANT UPDATE (generation, display_name, kind, created_at, created_by, signing_public_key, signing_key_id)
        ON tenants TO {{app}};
      CREATE TABLE install_roles (
        principal_id TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (principal_id, role)
      );
      GRANT SELECT, INSERT ON install_roles TO {{app}};
      CREATE TABLE tenant_members (
        ${TENANT_COLUMN},
        principal_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, principal_id)
      );
      CREATE TABLE tenant_memberships (
        ${TENANT_COLUMN},
        principal_id TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (tenant_id, principal_id, role),
        FOREIGN KEY (tenant_id, principal_id) REFERENCES tenant_members (tenant_id, principal_id)
      );
      CREATE TABLE member_logins (
        ${TENANT_COLUMN},
        principal_id TEXT NOT NULL,
        last_login_at TEXT NOT NULL,
        groups TEXT NOT NULL,
        PRIMARY KEY (tenant_id, principal_id),
        FOREIGN KEY (tenant_id, principal_id) REFERENCES tenant_members (tenant_id, principal_id)
      );
      CREATE TABLE tenant_profiles (
        ${TENANT_COLUMN},
        profile TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (tenant_id)
      );
      ${tenantRowSecurity('tenant_members')}
      ${tenantRowSecurity('tenant_memberships')}
      ${tenantRowSecurity('member_logins')}
      ${tenantRowSecurity('tenant_profiles')}
      GRANT SELECT, INSERT, UPDATE ON tenant_members, member_logins, tenant_profiles TO {{app}};
      -- DELETE: a member's roles are replaced as a set (a role mapping removed takes the role away).
      GRANT SELECT, INSERT, DELETE ON tenant_memberships TO {{app}};
    `,
    },
    {
      version: 2,
      name: 'tenant-rows-fill-once',
      // `tenants` has no row-level security (see v1): so that one tenant's session cannot
      // rewrite another's row (its name, kind or public signing key), a registered row
      // (generation > 0) changes only its generation, and only upwards. A row another
      // capability made before the registry knew the tenant is filled in once, on adoption.
      sql: `
      CREATE FUNCTION tenants_fill_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.generation < OLD.generation THEN
          RAISE EXCEPTION 'a tenant row''s generation only grows';
        END IF;
        IF OLD.generation > 0 AND (NEW.display_name, NEW.kind, NEW.created_at, NEW.created_by,
            NEW.signing_public_key, NEW.signing_key_id) IS DISTINCT FROM (OLD.display_name, OLD.kind,
            OLD.created_at, OLD.created_by, OLD.signing_public_key, OLD.signing_key_id) THEN
          RAISE EXCEPTION 'a registered tenant row changes only its generation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER tenants_fill_once BEFORE UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION tenants_fill_once();
    `,
    },
  ],
  policy: [
    {
      version: 1,
      name: 'policy-state',
      // The tenant's policy (core/policy/store.ts: packs with their exact text and signature,
      // assignments, settings, trusted pack-signing keys) as one validated JSON snapshot, written
      // under the tenant's registry lock and mirrored by every replica into its own policy tables:
      // pack assignments made through one replica are what machines syncing through another get.
      sql: `
      CREATE TABLE policy_state (
        ${TENANT_COLUMN},
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id)
      );
      ${tenantRowSecurity('policy_state')}
      GRANT SELECT, INSERT, UPDATE ON policy_state TO {{app}};
    `,
    },
  ],
  credentials: [
    {
      version: 1,
      name: 'agent-credentials',
      // Machine credentials (core/gate/credentials.ts, StoredAgentCredentials): the install
      // registry's table, shared by every replica. Install-wide, not behind row-level security:
      // a token names no tenant, so its row is found before its tenant is known; the core then
      // binds the machine to that row's tenant only. Only a SHA-256 of each secret is stored;
      // a revocation is an UPDATE of revoked_at, and a credential is never deleted.
      sql: `
      CREATE TABLE agent_credentials (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        secret_sha256 TEXT NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
        label TEXT NOT NULL,
        owner_uid BIGINT NOT NULL,
        owner_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX agent_credentials_by_tenant ON agent_credentials (tenant_id, created_at);
      GRANT SELECT, INSERT ON agent_credentials TO {{app}};
      GRANT UPDATE (revoked_at) ON agent_credentials TO {{app}};
    `,
    },
  ],
  approvals: [
    {
      version: 1,
      name: 'approval-requests',
      // The approval desk (core/approvals/repository.ts), the columns of SQLite's approvals
      // component at v5, per tenant: every replica of cavra server serves one queue. Times are
      // epoch milliseconds; flags are 0/1 integers, as on SQLite, so one repository serves both.
      // A verdict is claimed by the (tenant, request, principal) key; a transition by a
      // conditional UPDATE of the row, which PostgreSQL serialises per row across replicas.
      sql: `
      CREATE TABLE approval_requests (
        ${TENANT_COLUMN},
        id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'cancelled', 'abandoned', 'consumed')),
        action_sha256 TEXT NOT NULL,
        pack_id TEXT,
        pack_version TEXT,
        route TEXT NOT NULL,
        rule_id TEXT,
        reason TEXT NOT NULL,
        require_reason INTEGER NOT NULL DEFAULT 0,
        requester TEXT,
        agent_id TEXT,
        agent_session TEXT,
        adapter TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        decision_id TEXT NOT NULL,
        action_type TEXT NOT NULL,
        target TEXT NOT NULL,
        action TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        decided_at BIGINT,
        decided_by TEXT,
        decision_reason TEXT,
        consumed_at BIGINT,
        consumed_by TEXT,
        requested_seq BIGINT,
        state_seq BIGINT,
        decision_seq BIGINT,
        requester_uid BIGINT,
        decided_by_kind TEXT,
        self_approved INTEGER NOT NULL DEFAULT 0,
        prior_state TEXT,
        prior_seq BIGINT,
        approver_groups TEXT NOT NULL DEFAULT '[]',
        required_approvals INTEGER NOT NULL DEFAULT 1,
        allow_reuse INTEGER NOT NULL DEFAULT 0,
        attest TEXT NOT NULL DEFAULT 'none' CHECK (attest IN ('none', 'idp')),
        wait_until BIGINT,
        agent_principal TEXT,
        break_glass_by TEXT,
        break_glass_justification TEXT,
        break_glass_until BIGINT,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX approval_requests_by_binding ON approval_requests (tenant_id, action_sha256, state);
      CREATE INDEX approval_requests_by_state ON approval_requests (tenant_id, state, expires_at);
      CREATE INDEX approval_requests_queue ON approval_requests (tenant_id, state, created_at DESC, id);
      CREATE INDEX approval_requests_by_wait ON approval_requests (tenant_id, state, wait_until)
        WHERE wait_until IS NOT NULL;
      CREATE TABLE approval_votes (
        ${TENANT_COLUMN},
        request_id TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        display_name TEXT,
        verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'deny')),
        reason TEXT,
        at BIGINT NOT NULL,
        seq BIGINT,
        by_kind TEXT,
        attestation TEXT,
        PRIMARY KEY (tenant_id, request_id, principal_id),
        FOREIGN KEY (tenant_id, request_id) REFERENCES approval_requests (tenant_id, id) ON DELETE CASCADE
      );
      CREATE TABLE approval_views (
        ${TENANT_COLUMN},
        request_id TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, request_id, principal_id),
        FOREIGN KEY (tenant_id, request_id) REFERENCES approval_requests (tenant_id, id) ON DELETE CASCADE
      );
      ${tenantRowSecurity('approval_requests')}
      ${tenantRowSecurity('approval_votes')}
      ${tenantRowSecurity('approval_views')}
      -- DELETE: a request or verdict whose ledger record never committed is removed (it never happened).
      GRANT SELECT, INSERT, UPDATE, DELETE ON approval_requests, approval_votes TO {{app}};
      GRANT SELECT, INSERT ON approval_views TO {{app}};
    `,
    },
  ],
  containment: [
    {
      version: 1,
      name: 'containment-settings',
      sql: `
      CREATE TABLE containment_settings (
        ${TENANT_COLUMN},
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (tenant_id, key)
      );
      ${tenantRowSecurity('containment_settings')}
      GRANT SELECT, INSERT, UPDATE, DELETE ON containment_settings TO {{app}};
    `,
    },
  ],
  ledger: [
    {
      version: 1,
      name: 'ledger',
      // The evidence ledger's records, the columns of SQLite's ledger_records. Order under
      // concurrency comes from the per-tenant advisory lock the appender takes (core/evidence).
      sql: `
      CREATE TABLE ledger_records (
        ${TENANT_COLUMN},
        seq BIGINT NOT NULL CHECK (seq >= 0),
        time_ms BIGINT NOT NULL,
        type TEXT NOT NULL,
        record_hash BYTEA NOT NULL,
        payload_sha256 BYTEA NOT NULL,
        payload TEXT,
        pruned_by BIGINT,
        decision TEXT,
        agent TEXT,
        session TEXT,
        PRIMARY KEY (tenant_id, seq)
      );
      CREATE INDEX ledger_records_by_time ON ledger_records (tenant_id, time_ms);
      CREATE INDEX ledger_records_by_type ON ledger_records (tenant_id, type, seq);
      ${tenantRowSecurity('ledger_records')}
      GRANT SELECT, INSERT ON ledger_records TO {{app}};
    `,
    },
    {
      version: 2,
      name: 'ledger-origins',
      // Records shipped from another ledger (a gate's outbox, cavra server's ingest): the sending
      // install and its sequence number, so a retried batch never stores a record twice.
      sql: `
      CREATE TABLE ledger_origins (
        ${TENANT_COLUMN},
        origin TEXT NOT NULL,
        origin_seq BIGINT NOT NULL CHECK (origin_seq >= 0),
        seq BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, origin, origin_seq),
        UNIQUE (tenant_id, seq),
        FOREIGN KEY (tenant_id, seq) REFERENCES ledger_records (tenant_id, seq)
      );
      ${tenantRowSecurity('ledger_origins')}
      GRANT SELECT, INSERT ON ledger_origins TO {{app}};
    `,
    },
  ],
  reports: [
    {
      version: 1,
      name: 'reports',
      // Report policy and schedules (core/reports), the SQLite schema's columns per tenant.
      sql: `
      CREATE TABLE report_settings (
        ${TENANT_COLUMN},
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (tenant_id, key)
      );
      ${tenantRowSecurity('report_settings')}
      CREATE TABLE report_schedules (
        ${TENANT_COLUMN},
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        cadence TEXT NOT NULL,
        recipients TEXT NOT NULL,
        next_run_at BIGINT NOT NULL,
        last_run_at BIGINT,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      ${tenantRowSecurity('report_schedules')}
      GRANT SELECT, INSERT, UPDATE, DELETE ON report_settings, report_schedules TO {{app}};
    `,
    },
  ],
  aispm: [
    {
      version: 1,
      name: 'aispm-projection',
      // AISPM's projection (core/aispm/store-repository.ts has the embedded file's schema): JSON
      // bodies per tenant, with the columns a query filters by beside them.
      sql: `
      CREATE TABLE aispm_state (
        ${TENANT_COLUMN},
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (tenant_id, key)
      );
      CREATE TABLE aispm_findings (
        ${TENANT_COLUMN},
        id TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        owner TEXT,
        body TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, key)
      );
      CREATE TABLE aispm_finding_links (
        ${TENANT_COLUMN},
        finding_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, finding_id, seq)
      );
      CREATE TABLE aispm_coverage (
        ${TENANT_COLUMN},
        cell TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (tenant_id, cell)
      );
      CREATE TABLE aispm_trend (
        ${TENANT_COLUMN},
        at_ms BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (tenant_id, at_ms)
      );
      CREATE TABLE aispm_packets (
        ${TENANT_COLUMN},
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (tenant_id, sha256)
      );
      CREATE INDEX aispm_packets_by_kind ON aispm_packets (tenant_id, kind, generated_at);
      ${tenantRowSecurity('aispm_state')}
      ${tenantRowSecurity('aispm_findings')}
      ${tenantRowSecurity('aispm_finding_links')}
      ${tenantRowSecurity('aispm_coverage')}
      ${tenantRowSecurity('aispm_trend')}
      ${tenantRowSecurity('aispm_packets')}
      GRANT SELECT, INSERT, UPDATE, DELETE ON aispm_state, aispm_findings, aispm_finding_links, aispm_coverage,
        aispm_trend, aispm_packets TO {{app}};
    `,
    },
  ],
};

import type { MigrationSet } from './migrations';

/** The install-wide registry: tenants, principals, memberships, audit of console calls. */
export const registryMigrations: MigrationSet = {
  registry: [
    {
      version: 1,
      name: 'registry',
      sql: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE principals (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE install_roles (
        principal_id TEXT NOT NULL REFERENCES principals(id),
        role TEXT NOT NULL,
        PRIMARY KEY (principal_id, role)
      );
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('evaluation', 'production')),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
      );
      CREATE TABLE memberships (
        principal_id TEXT NOT NULL REFERENCES principals(id),
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        role TEXT NOT NULL,
        PRIMARY KEY (principal_id, tenant_id, role)
      );
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        principal_id TEXT,
        tenant_id TEXT,
        op TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error_code TEXT
      );
    `,
    },
  ],
};

/**
 * One database per tenant. Each capability owns a component key here (`ledger`, `policy`,
 * `approvals`, …) and appends its numbered migrations to its own list.
 */
export const tenantMigrations: MigrationSet = {
  tenant: [
    {
      version: 1,
      name: 'tenant',
      sql: `
      CREATE TABLE tenant_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
    },
  ],
};

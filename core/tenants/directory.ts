import fs from 'node:fs';
import { ContractError, roles as allRoles } from '../contract';
import type { Principal, Role, Tenant } from '../contract';
import type { InstallRole } from '../contract';
import {
  migrate,
  openDatabase,
  registryMigrations,
  registryPath,
  tenantDatabasePath,
  tenantDir,
  tenantMigrations,
} from '../store';
import type { SqliteDatabase } from '../store';

export const DEFAULT_TENANT_ID = 'evaluation';

interface TenantRow {
  id: string;
  display_name: string;
  kind: 'evaluation' | 'production';
  created_at: string;
}

export interface NewTenant {
  id: string;
  displayName: string;
  kind: 'evaluation' | 'production';
}

export interface AuditEntry {
  principalId: string | null;
  tenantId: string | null;
  op: string;
  outcome: 'ok' | 'error';
  errorCode?: string;
}

/**
 * The registry of tenants and who may act in them, plus each tenant's own database.
 * Tenant databases are opened lazily and cached; each knows its own id and refuses
 * to be opened as another tenant.
 */
export class TenantDirectory {
  readonly home: string;
  private readonly registry: SqliteDatabase;
  private readonly stores = new Map<string, SqliteDatabase>();
  private readonly now: () => Date;

  constructor(home: string, now: () => Date = () => new Date()) {
    this.home = home;
    this.now = now;
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    this.registry = openDatabase(registryPath(home));
    migrate(this.registry, registryMigrations);
  }

  /** First run: the local evaluator administers the install and gets the default evaluation tenant. */
  bootstrap(principal: Principal): void {
    this.ensurePrincipal(principal);
    if (principal.kind === 'local_evaluation') this.grantInstallRole(principal.id, 'install_admin');
    const initialized = this.registry.prepare(`SELECT value FROM settings WHERE key = 'initialized'`).get();
    if (initialized) return;
    this.registry.transaction(() => {
      this.create({ id: DEFAULT_TENANT_ID, displayName: 'Evaluation tenant', kind: 'evaluation' }, principal);
      this.setSetting('default_tenant', DEFAULT_TENANT_ID);
      this.setSetting('initialized', this.now().toISOString());
    })();
  }

  ensurePrincipal(principal: Principal): void {
    this.registry
      .prepare(
        `INSERT INTO principals (id, display_name, kind, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, kind = excluded.kind`,
      )
      .run(principal.id, principal.displayName, principal.kind, this.now().toISOString());
  }

  grantInstallRole(principalId: string, role: InstallRole): void {
    this.registry
      .prepare(`INSERT OR IGNORE INTO install_roles (principal_id, role) VALUES (?, ?)`)
      .run(principalId, role);
  }

  installRoles(principalId: string): InstallRole[] {
    const rows = this.registry.prepare(`SELECT role FROM install_roles WHERE principal_id = ?`).all(principalId) as {
      role: InstallRole;
    }[];
    return rows.map((row) => row.role);
  }

  defaultTenant(): string | null {
    const row = this.registry.prepare(`SELECT value FROM settings WHERE key = 'default_tenant'`).get() as
      { value: string } | undefined;
    return row?.value ?? null;
  }

  exists(tenantId: string): boolean {
    return this.registry.prepare(`SELECT 1 FROM tenants WHERE id = ?`).get(tenantId) !== undefined;
  }

  rolesIn(principalId: string, tenantId: string): Role[] {
    const rows = this.registry
      .prepare(`SELECT role FROM memberships WHERE principal_id = ? AND tenant_id = ? ORDER BY role`)
      .all(principalId, tenantId) as { role: Role }[];
    return rows.map((row) => row.role);
  }

  /** Only the tenants this principal belongs to: the directory never lists across tenants. */
  listFor(principalId: string): Tenant[] {
    const rows = this.registry
      .prepare(
        `SELECT t.id, t.display_name, t.kind, t.created_at FROM tenants t
         WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = t.id AND m.principal_id = ?)
         ORDER BY t.created_at, t.id`,
      )
      .all(principalId) as TenantRow[];
    return rows.map((row) => this.toTenant(row, principalId));
  }

  getFor(principalId: string, tenantId: string): Tenant {
    const row = this.registry
      .prepare(`SELECT id, display_name, kind, created_at FROM tenants WHERE id = ?`)
      .get(tenantId) as TenantRow | undefined;
    if (!row) throw new ContractError('not_found', `Tenant "${tenantId}" does not exist`, 'tenant');
    return this.toTenant(row, principalId);
  }

  /**
   * Creates the registry rows and the tenant's database in one step: if the database
   * cannot be created, the registry transaction rolls back and the directory is removed.
   */
  create(tenant: NewTenant, creator: Principal): Tenant {
    if (this.exists(tenant.id)) {
      throw new ContractError('conflict', `id: tenant "${tenant.id}" already exists`, 'id');
    }
    const dir = tenantDir(this.home, tenant.id);
    const grant: readonly Role[] = creator.kind === 'local_evaluation' ? allRoles : ['tenant_admin'];
    try {
      this.registry.transaction(() => {
        this.ensurePrincipal(creator);
        this.registry
          .prepare(`INSERT INTO tenants (id, display_name, kind, created_at, created_by) VALUES (?, ?, ?, ?, ?)`)
          .run(tenant.id, tenant.displayName, tenant.kind, this.now().toISOString(), creator.id);
        const member = this.registry.prepare(
          `INSERT INTO memberships (principal_id, tenant_id, role) VALUES (?, ?, ?)`,
        );
        for (const role of grant) member.run(creator.id, tenant.id, role);
        this.createStore(tenant.id);
      })();
    } catch (error) {
      this.closeStore(tenant.id);
      fs.rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return this.getFor(creator.id, tenant.id);
  }

  /** The tenant's own database, opened once. Refuses a file that belongs to another tenant. */
  store(tenantId: string): SqliteDatabase {
    const open = this.stores.get(tenantId);
    if (open) return open;
    if (!this.exists(tenantId)) throw new ContractError('not_found', `Tenant "${tenantId}" does not exist`, 'tenant');
    const db = openDatabase(tenantDatabasePath(this.home, tenantId), { create: false });
    try {
      migrate(db, tenantMigrations);
      const owner = db.prepare(`SELECT value FROM tenant_meta WHERE key = 'tenant_id'`).get() as
        { value: string } | undefined;
      if (owner?.value !== tenantId) {
        throw new Error(`The database in tenants/${tenantId} belongs to tenant "${owner?.value ?? 'unknown'}"`);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    this.stores.set(tenantId, db);
    return db;
  }

  audit(entry: AuditEntry): void {
    this.registry
      .prepare(`INSERT INTO audit_log (at, principal_id, tenant_id, op, outcome, error_code) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(
        this.now().toISOString(),
        entry.principalId,
        entry.tenantId,
        entry.op,
        entry.outcome,
        entry.errorCode ?? null,
      );
  }

  close(): void {
    for (const id of [...this.stores.keys()]) this.closeStore(id);
    this.registry.close();
  }

  private createStore(tenantId: string): void {
    fs.mkdirSync(tenantDir(this.home, tenantId), { recursive: true, mode: 0o700 });
    const db = openDatabase(tenantDatabasePath(this.home, tenantId));
    try {
      migrate(db, tenantMigrations);
      db.prepare(`INSERT INTO tenant_meta (key, value) VALUES ('tenant_id', ?)`).run(tenantId);
    } catch (error) {
      db.close();
      throw error;
    }
    this.stores.set(tenantId, db);
  }

  private closeStore(tenantId: string): void {
    this.stores.get(tenantId)?.close();
    this.stores.delete(tenantId);
  }

  private setSetting(key: string, value: string): void {
    this.registry
      .prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
      .run(key, value);
  }

  private toTenant(row: TenantRow, principalId: string): Tenant {
    return {
      id: row.id,
      displayName: row.display_name,
      kind: row.kind,
      createdAt: row.created_at,
      roles: this.rolesIn(principalId, row.id),
    };
  }
}

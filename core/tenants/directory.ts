import crypto from 'node:crypto';
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
import type { EvidenceSigner } from '../evidence';
import { generateSigningKey, signerFromPrivateKey } from '../evidence';
import type { KeychainProbe, SecretStore } from '../secrets';
import type { TenantSecrets } from '../secrets';
import { KeychainSecretStore, KeychainUnavailableError, probeKeychain, tenantSecrets } from '../secrets';
import type { SigningKeyStatus } from './signing-key';
import { SIGNING_SECRET, SigningKeyUnavailableError, loadSigner } from './signing-key';
import type { SharedMembers, SharedRegistryWrites, SharedTenantRow } from './registry-port';

export const DEFAULT_TENANT_ID = 'evaluation';

/**
 * CAVRA_HOME holds every tenant's data: 0700. A directory we own with wider bits is narrowed
 * (mkdir's mode does not apply to one that already exists); one someone else owns is refused.
 */
function privateDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const stat = fs.statSync(dir);
  const me = process.getuid?.();
  if (me !== undefined && stat.uid !== me) {
    throw new Error(`The data directory ${dir} belongs to uid ${stat.uid}, not to this user (uid ${me})`);
  }
  if ((stat.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

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

export interface TenantDirectoryOptions {
  /** Defaults to the OS keychain, namespaced by this install's id. */
  secrets?: SecretStore;
  /**
   * Where tenants' evidence signing keys come from instead of the keychain: cavra server's
   * configured key (every replica signs with the same key; core/server/signing-key.ts).
   */
  signer?: (tenantId: string) => EvidenceSigner;
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
  private readonly secrets: SecretStore;
  private readonly signer: ((tenantId: string) => EvidenceSigner) | null;
  /** Set when the registry is shared (cavra server): writes go there first, this file mirrors it. */
  private shared: SharedRegistryWrites | null = null;

  constructor(home: string, now: () => Date = () => new Date(), options: TenantDirectoryOptions = {}) {
    this.home = home;
    this.now = now;
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    privateDirectory(home);
    this.registry = openDatabase(registryPath(home));
    migrate(this.registry, registryMigrations);
    // Keychain entries are namespaced per install, so two data directories never share secrets.
    this.registry
      .prepare(`INSERT OR IGNORE INTO settings (key, value) VALUES ('install_id', ?)`)
      .run(crypto.randomBytes(8).toString('hex'));
    this.secrets = options.secrets ?? new KeychainSecretStore(this.installId());
    this.signer = options.signer ?? null;
  }

  /** From now on the shared registry is the source of truth; this directory's registry mirrors it. */
  share(shared: SharedRegistryWrites): void {
    this.shared = shared;
  }

  /** Whether the registry is shared (cavra server) rather than this install's own. */
  isShared(): boolean {
    return this.shared !== null;
  }

  // ---- writes that go to the shared registry first when there is one ------------------------

  /** `create`, or on a shared registry: the shared rows first (one transaction), then mirrored here. */
  async createTenant(tenant: NewTenant, creator: Principal): Promise<Tenant> {
    if (!this.shared) return this.create(tenant, creator);
    await this.shared.refresh();
    if (this.exists(tenant.id)) {
      throw new ContractError('conflict', `id: is already taken: tenant "${tenant.id}" exists`, 'id');
    }
    const signer = this.signer?.(tenant.id) ?? null;
    await this.shared.createTenant(
      tenant,
      creator,
      this.grantFor(creator),
      signer ? { publicKey: signer.publicKey, keyId: signer.keyId } : null,
    );
    return this.getFor(creator.id, tenant.id);
  }

  /** `setRoles`, through the shared registry when there is one. */
  async assignRoles(principal: Principal, tenantId: string, roles: readonly Role[]): Promise<void> {
    if (this.shared) await this.shared.setRoles(principal, tenantId, roles);
    else this.setRoles(principal, tenantId, roles);
  }

  /** The member's name and their groups at this sign-in, through the shared registry when there is one. */
  async noteMember(principal: Principal, tenantId: string, groups: readonly string[]): Promise<void> {
    if (this.shared) {
      await this.shared.noteMember(principal, tenantId, groups);
      return;
    }
    this.ensurePrincipal(principal);
    this.noteLogin(principal.id, tenantId, groups);
  }

  /**
   * Whether the tenant exists, asking the shared registry on a miss (a tenant created through
   * another replica a moment ago), so an unknown tenant is never refused for staleness alone.
   */
  async knows(tenantId: string): Promise<boolean> {
    if (this.exists(tenantId)) return true;
    if (!this.shared) return false;
    await this.shared.refresh();
    return this.exists(tenantId);
  }

  /** This install's own rows of a tenant: what a shared registry adopts from a replica set up before it. */
  registryRowsOf(tenantId: string): {
    tenant: SharedTenantRow;
    members: SharedMembers;
    profile: { profile: string; updated_at: string; updated_by: string } | null;
  } {
    const tenant = this.registry
      .prepare(
        `SELECT id, display_name, kind, created_at, created_by, signing_public_key, signing_key_id FROM tenants WHERE id = ?`,
      )
      .get(tenantId) as SharedTenantRow | undefined;
    if (!tenant) throw new ContractError('not_found', `Tenant "${tenantId}" does not exist`, 'tenant');
    const members = this.registry
      .prepare(
        `SELECT p.id AS principal_id, p.display_name, p.kind, p.created_at FROM principals p
         WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.principal_id = p.id AND m.tenant_id = ?)
            OR EXISTS (SELECT 1 FROM member_logins l WHERE l.principal_id = p.id AND l.tenant_id = ?)
         ORDER BY p.id`,
      )
      .all(tenantId, tenantId) as SharedMembers['members'];
    const memberships = this.registry
      .prepare(`SELECT principal_id, role FROM memberships WHERE tenant_id = ? ORDER BY principal_id, role`)
      .all(tenantId) as SharedMembers['memberships'];
    const logins = this.registry
      .prepare(
        `SELECT principal_id, last_login_at, groups FROM member_logins WHERE tenant_id = ? ORDER BY principal_id`,
      )
      .all(tenantId) as SharedMembers['logins'];
    const profile = this.registry
      .prepare(`SELECT profile, updated_at, updated_by FROM tenant_profiles WHERE tenant_id = ?`)
      .get(tenantId) as { profile: string; updated_at: string; updated_by: string } | undefined;
    return { tenant, members: { members, memberships, logins }, profile: profile ?? null };
  }

  // ---- the mirror of a shared registry (called by SharedRegistry after its reads commit) --

  /** Upserts a tenant row and makes the tenant's own database here when this replica has none. */
  mirrorTenant(row: SharedTenantRow): void {
    this.registry.transaction(() => {
      this.registry
        .prepare(
          `INSERT INTO tenants (id, display_name, kind, created_at, created_by, signing_public_key, signing_key_id)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, kind = excluded.kind,
             signing_public_key = excluded.signing_public_key, signing_key_id = excluded.signing_key_id`,
        )
        .run(
          row.id,
          row.display_name,
          row.kind,
          row.created_at,
          row.created_by,
          row.signing_public_key,
          row.signing_key_id,
        );
    })();
    if (!this.stores.has(row.id) && !fs.existsSync(tenantDatabasePath(this.home, row.id))) this.createStore(row.id);
  }

  /** Replaces the tenant's members, roles and sign-ins with the shared registry's. */
  mirrorMembers(tenantId: string, rows: SharedMembers): void {
    this.registry.transaction(() => {
      const principal = this.registry.prepare(
        `INSERT INTO principals (id, display_name, kind, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, kind = excluded.kind`,
      );
      for (const m of rows.members) principal.run(m.principal_id, m.display_name, m.kind, m.created_at);
      this.registry.prepare(`DELETE FROM memberships WHERE tenant_id = ?`).run(tenantId);
      const member = this.registry.prepare(`INSERT INTO memberships (principal_id, tenant_id, role) VALUES (?, ?, ?)`);
      for (const m of rows.memberships) member.run(m.principal_id, tenantId, m.role);
      this.registry.prepare(`DELETE FROM member_logins WHERE tenant_id = ?`).run(tenantId);
      const login = this.registry.prepare(
        `INSERT INTO member_logins (principal_id, tenant_id, last_login_at, groups) VALUES (?, ?, ?, ?)`,
      );
      for (const l of rows.logins) login.run(l.principal_id, tenantId, l.last_login_at, l.groups);
    })();
  }

  /** The tenant profile row as the shared registry holds it (null: none yet). */
  mirrorProfile(tenantId: string, row: { profile: string; updated_at: string; updated_by: string } | null): void {
    if (row === null) {
      this.registry.prepare(`DELETE FROM tenant_profiles WHERE tenant_id = ?`).run(tenantId);
      return;
    }
    this.registry
      .prepare(
        `INSERT INTO tenant_profiles (tenant_id, profile, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT(tenant_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
      )
      .run(tenantId, row.profile, row.updated_at, row.updated_by);
  }

  /** Install roles granted in the shared registry (added here; none is ever revoked there). */
  mirrorInstallRoles(rows: readonly { principal_id: string; role: string }[]): void {
    this.registry.transaction(() => {
      for (const row of rows) {
        this.registry
          .prepare(
            `INSERT INTO principals (id, display_name, kind, created_at) VALUES (?, ?, 'human', ?) ON CONFLICT(id) DO NOTHING`,
          )
          .run(row.principal_id, row.principal_id, this.now().toISOString());
        this.registry
          .prepare(`INSERT OR IGNORE INTO install_roles (principal_id, role) VALUES (?, ?)`)
          .run(row.principal_id, row.role);
      }
    })();
  }

  /** The install's secret store (the OS keychain unless a test passed another). */
  secretStore(): SecretStore {
    return this.secrets;
  }

  /** The install registry, for the repositories of capabilities that keep install-wide rows there. */
  registryDatabase(): SqliteDatabase {
    return this.registry;
  }

  /**
   * Replaces a principal's roles in a tenant (after the change was recorded). Returns the
   * roles held before, so callers can tell whether anything changed.
   */
  setRoles(principal: Principal, tenantId: string, roles: readonly Role[]): Role[] {
    const before = this.rolesIn(principal.id, tenantId);
    this.registry.transaction(() => {
      this.ensurePrincipal(principal);
      this.registry
        .prepare(`DELETE FROM memberships WHERE principal_id = ? AND tenant_id = ?`)
        .run(principal.id, tenantId);
      const member = this.registry.prepare(`INSERT INTO memberships (principal_id, tenant_id, role) VALUES (?, ?, ?)`);
      for (const role of new Set(roles)) member.run(principal.id, tenantId, role);
    })();
    return before;
  }

  /** Everyone holding a role in the tenant, with their last sign-in where one was recorded. */
  members(
    tenantId: string,
  ): { principalId: string; displayName: string; kind: string; roles: Role[]; lastLoginAt: string | null }[] {
    const rows = this.registry
      .prepare(
        `SELECT p.id, p.display_name, p.kind, GROUP_CONCAT(m.role) AS roles, l.last_login_at
         FROM principals p JOIN memberships m ON m.principal_id = p.id AND m.tenant_id = ?
         LEFT JOIN member_logins l ON l.principal_id = p.id AND l.tenant_id = m.tenant_id
         GROUP BY p.id ORDER BY p.display_name`,
      )
      .all(tenantId) as {
      id: string;
      display_name: string;
      kind: string;
      roles: string;
      last_login_at: string | null;
    }[];
    return rows.map((row) => ({
      principalId: row.id,
      displayName: row.display_name,
      kind: row.kind,
      roles: row.roles.split(',').sort() as Role[],
      lastLoginAt: row.last_login_at,
    }));
  }

  noteLogin(principalId: string, tenantId: string, groups: readonly string[]): void {
    this.registry
      .prepare(
        `INSERT INTO member_logins (principal_id, tenant_id, last_login_at, groups) VALUES (?, ?, ?, ?)
         ON CONFLICT(principal_id, tenant_id) DO UPDATE SET last_login_at = excluded.last_login_at, groups = excluded.groups`,
      )
      .run(principalId, tenantId, this.now().toISOString(), JSON.stringify(groups));
  }

  /** Whether a tenant is an evaluation or a production tenant (the local evaluator decides only on the first). */
  kindOf(tenantId: string): 'evaluation' | 'production' {
    const row = this.registry.prepare(`SELECT kind FROM tenants WHERE id = ?`).get(tenantId) as
      { kind: 'evaluation' | 'production' } | undefined;
    return row?.kind ?? 'production';
  }

  /** The IdP groups a member had at their last sign-in (approval routes name groups). */
  groupsIn(principalId: string, tenantId: string): string[] {
    const row = this.registry
      .prepare(`SELECT groups FROM member_logins WHERE principal_id = ? AND tenant_id = ?`)
      .get(principalId, tenantId) as { groups: string | null } | undefined;
    if (!row?.groups) return [];
    const parsed: unknown = JSON.parse(row.groups);
    return Array.isArray(parsed) ? parsed.filter((group): group is string => typeof group === 'string') : [];
  }

  installId(): string {
    return (this.registry.prepare(`SELECT value FROM settings WHERE key = 'install_id'`).get() as { value: string })
      .value;
  }

  /** First run: the local evaluator administers the install and gets the default evaluation tenant. */
  bootstrap(principal: Principal): void {
    this.ensurePrincipal(principal);
    if (principal.kind === 'local_evaluation') this.grantInstallRole(principal.id, 'install_admin');
    const initialized = this.registry.prepare(`SELECT value FROM settings WHERE key = 'initialized'`).get();
    // A shared registry's tenants are made there (an evaluation tenant on one replica only would serve no one).
    if (initialized || this.shared) return;
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

  /** Every tenant id, for services that work on each tenant (the delivery worker), never for callers. */
  ids(): string[] {
    return (this.registry.prepare(`SELECT id FROM tenants ORDER BY id`).all() as { id: string }[]).map((row) => row.id);
  }

  /** The keychain, limited to one existing tenant's secrets (connector credentials). */
  secretsFor(tenantId: string): TenantSecrets {
    if (!this.exists(tenantId)) throw new ContractError('not_found', `Tenant "${tenantId}" does not exist`, 'tenant');
    return tenantSecrets(this.secrets, tenantId);
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

  /** Every tenant of the install (for install-level views such as the sign-in screen). */
  all(): { id: string; displayName: string }[] {
    return (
      this.registry.prepare(`SELECT id, display_name FROM tenants ORDER BY created_at, id`).all() as {
        id: string;
        display_name: string;
      }[]
    ).map((row) => ({ id: row.id, displayName: row.display_name }));
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
   * Creates the registry rows, the tenant's database and its evidence signing key in one
   * step: if any part fails, the registry transaction rolls back, the directory is removed
   * and the key is deleted from the keychain. Without a keychain the tenant is still
   * created, without a key; `signingKeyStatus` then says so and why.
   */
  create(tenant: NewTenant, creator: Principal): Tenant {
    if (this.exists(tenant.id)) {
      throw new ContractError('conflict', `id: is already taken: tenant "${tenant.id}" exists`, 'id');
    }
    const dir = tenantDir(this.home, tenant.id);
    const grant = this.grantFor(creator);
    let keyAttempted = false;
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
        keyAttempted = true;
        this.storeSigningKey(tenant.id, false);
      })();
    } catch (error) {
      this.closeStore(tenant.id);
      fs.rmSync(dir, { recursive: true, force: true });
      // Whether or not the keychain write reported success, leave no key behind.
      if (keyAttempted) this.forgetSigningKey(tenant.id);
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

  /** The tenant's evidence public key, or null when it was created without a keychain. */
  signingPublicKey(tenantId: string): { publicKey: Buffer; keyId: string } | null {
    const row = this.registry
      .prepare(`SELECT signing_public_key, signing_key_id FROM tenants WHERE id = ?`)
      .get(tenantId) as { signing_public_key: string | null; signing_key_id: string | null } | undefined;
    if (!row) throw new ContractError('not_found', `Tenant "${tenantId}" does not exist`, 'tenant');
    if (row.signing_public_key === null || row.signing_key_id === null) return null;
    return { publicKey: Buffer.from(row.signing_public_key, 'base64'), keyId: row.signing_key_id };
  }

  /** The tenant's signer, loaded from the keychain. Throws SigningKeyUnavailableError saying why not. */
  evidenceSigner(tenantId: string): EvidenceSigner {
    if (this.signer) return this.configuredSigner(tenantId);
    return loadSigner(this.secrets, tenantId, this.signingPublicKey(tenantId));
  }

  /** The configured key's signer, refused when the tenant recorded another key (its checkpoints would not verify). */
  private configuredSigner(tenantId: string): EvidenceSigner {
    const signer = (this.signer as (tenantId: string) => EvidenceSigner)(tenantId);
    const recorded = this.signingPublicKey(tenantId);
    if (recorded && !recorded.publicKey.equals(signer.publicKey)) {
      throw new SigningKeyUnavailableError({
        state: 'key_missing',
        keyId: recorded.keyId,
        message:
          `Tenant "${tenantId}" cannot sign evidence: the server's configured signing key gives key ` +
          `${signer.keyId}, but the tenant's checkpoints are signed with ${recorded.keyId}. Configure the key it was created with.`,
      });
    }
    return signer;
  }

  /** Whether the keychain this directory keeps its secrets in answers now. */
  keychain(): KeychainProbe {
    return probeKeychain(this.secrets);
  }

  signingKeyStatus(tenantId: string): SigningKeyStatus {
    try {
      return { state: 'ready', keyId: this.evidenceSigner(tenantId).keyId };
    } catch (error) {
      if (error instanceof SigningKeyUnavailableError) return error.status;
      throw error;
    }
  }

  /**
   * Gives a tenant created without a keychain its signing key, once one is available.
   * Refuses to replace an existing key: checkpoints already signed would lose their verifier.
   */
  provisionSigningKey(tenantId: string): { keyId: string } {
    if (this.signingPublicKey(tenantId)) {
      throw new ContractError('conflict', `Tenant "${tenantId}" already has an evidence signing key`);
    }
    try {
      this.registry.transaction(() => this.storeSigningKey(tenantId, true))();
    } catch (error) {
      this.forgetSigningKey(tenantId);
      throw error;
    }
    return { keyId: (this.signingPublicKey(tenantId) as { keyId: string }).keyId };
  }

  /**
   * Changes when another process (the CLI, a second console) commits to the registry:
   * SQLite's `data_version`, so the console can notice `cavra tenants create` for the cost of
   * a pragma instead of a query.
   */
  registryVersion(): number {
    return this.registry.pragma('data_version', { simple: true }) as number;
  }

  /** Every tenant's id, name and kind: what a registry watch compares (never returned to a caller). */
  tenantIdentities(): { id: string; displayName: string; kind: string }[] {
    return (this.registry.prepare(`SELECT id, display_name, kind FROM tenants ORDER BY id`).all() as TenantRow[]).map(
      (row) => ({ id: row.id, displayName: row.display_name, kind: row.kind }),
    );
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

  /** What a tenant's creator holds in it: everything for the local evaluator, tenant_admin otherwise. */
  private grantFor(creator: Principal): readonly Role[] {
    return creator.kind === 'local_evaluation' ? allRoles : ['tenant_admin'];
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

  /**
   * Generates the key, stores its private half in the keychain and its public half in the
   * tenant row (inside the caller's transaction). Returns whether the keychain now holds it.
   * Without a keychain it stores nothing and returns false, unless `required`.
   */
  private storeSigningKey(tenantId: string, required: boolean): boolean {
    const key = generateSigningKey();
    const signer = signerFromPrivateKey(key.privateKey);
    try {
      this.secrets.set({ tenant: tenantId, ...SIGNING_SECRET }, key.privateKey.toString('base64'));
    } catch (error) {
      if (error instanceof KeychainUnavailableError && !required) return false;
      throw error;
    }
    this.registry
      .prepare(`UPDATE tenants SET signing_public_key = ?, signing_key_id = ? WHERE id = ?`)
      .run(key.publicKey.toString('base64'), signer.keyId, tenantId);
    return true;
  }

  private forgetSigningKey(tenantId: string): void {
    try {
      this.secrets.delete({ tenant: tenantId, ...SIGNING_SECRET });
    } catch {
      // The keychain failed twice; an orphaned private key with no tenant row names nothing.
    }
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

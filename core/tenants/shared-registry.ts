import crypto from 'node:crypto';
import { ContractError, tenantProfileSchema } from '../contract';
import type { Principal, Role, TenantProfile } from '../contract';
import { StoreConflictError } from '../store';
import type { Store, StoreSession } from '../store';
import type { TenantDirectory } from './directory';
import type { SharedMembers, SharedRegistryWrites, SharedTenantRow } from './registry-port';

/** How often a replica re-reads the shared registry: the bound on how stale its mirror can be. */
export const REGISTRY_REFRESH_MS = 1_000;

/** The tenant's policy rows as the policy capability reads and replaces them (core/policy PolicySnapshot). */
export interface SharedPolicyRows {
  snapshot(tenant: string): unknown;
  /** Validates `body` and replaces the tenant's policy with it. */
  replace(tenant: string, body: unknown): void;
}

export interface SharedRegistryOptions {
  store: Store;
  directory: TenantDirectory;
  now?: () => Date;
  log: (message: string) => void;
  refreshMs?: number;
  /** The configured signing key's public half per tenant (cavra server), recorded for tenants made or adopted here. */
  signingKey?: (tenant: string) => { publicKey: Buffer; keyId: string };
}

type TenantGeneration = SharedTenantRow & { generation: number };

/**
 * cavra server's tenant registry on the shared store (PostgreSQL): tenants, members and their
 * roles, sign-ins (the groups approval routes name), tenant profiles (IdP issuer and client,
 * groups claim, role mappings) and each tenant's policy. It is the source of truth; the
 * replica's own SQLite registry and policy tables are its read-through mirror, because many
 * readers (the guard, the desk's separation checks, the policy engine) are synchronous.
 *
 * Every write goes here first, in one transaction under the tenant's `registry` lock, bumps the
 * tenant's `generation`, and is mirrored after COMMIT. The mirror is refreshed at start, on a
 * miss (an unknown tenant), after each write and every `refreshMs` otherwise: a change made
 * through another replica is seen here within refreshMs plus one refresh.
 */
export class SharedRegistry implements SharedRegistryWrites {
  private readonly store: Store;
  private readonly directory: TenantDirectory;
  private readonly now: () => Date;
  private readonly log: (message: string) => void;
  private readonly refreshMs: number;
  private readonly signingKey: SharedRegistryOptions['signingKey'];
  /** The generation of each tenant this mirror holds; a tenant missing here is reloaded. */
  private readonly mirrored = new Map<string, number>();
  /** The policy body last applied per tenant, so a change of members does not recompile policy. */
  private readonly appliedPolicy = new Map<string, string>();
  private policy: SharedPolicyRows | null = null;
  /** Tenants whose policy this replica is changing now: a refresh must not put back what is being changed. */
  private readonly changing = new Map<string, number>();
  private tail: Promise<void> = Promise.resolve();
  /** A refresh asked for and not started yet: callers asking meanwhile share it (a flood of misses runs one). */
  private queued: Promise<void> | null = null;
  private busy = false;
  private loaded = false;
  private loading: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: SharedRegistryOptions) {
    this.store = options.store;
    this.directory = options.directory;
    this.now = options.now ?? (() => new Date());
    this.log = options.log;
    this.refreshMs = options.refreshMs ?? REGISTRY_REFRESH_MS;
    this.signingKey = options.signingKey;
  }

  /**
   * The first load at start. A replica whose data directory has tenants the shared registry
   * lacks (set up before the registry was shared) adopts them: their rows, profile and policy
   * are written to the shared store once; a tenant the shared registry already has is never
   * overwritten, and this replica's copy of it becomes the shared one's mirror.
   */
  load(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.loading ??= (async () => {
      try {
        await this.refresh();
        for (const { id } of this.directory.tenantIdentities()) {
          if (!this.mirrored.has(id)) await this.adopt(id);
        }
        await this.refresh();
        this.loaded = true;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** Whether the first load succeeded (until then the replica serves no tenant it did not have). */
  isLoaded(): boolean {
    return this.loaded;
  }

  private async adopt(tenant: string): Promise<void> {
    const local = this.directory.registryRowsOf(tenant);
    const signing = this.signingKey?.(tenant);
    await this.store.transaction({ tenant }, async (session) => {
      await session.lock('registry');
      const row = local.tenant;
      // A row another capability made (sharedTenantRows, generation 0) is filled in; a registered one is left alone.
      const taken = await session.run(
        `INSERT INTO tenants (id, display_name, kind, created_at, created_by, signing_public_key, signing_key_id, generation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, kind = excluded.kind,
           created_at = excluded.created_at, created_by = excluded.created_by,
           signing_public_key = excluded.signing_public_key, signing_key_id = excluded.signing_key_id, generation = 1
         WHERE tenants.generation = 0`,
        [
          row.id,
          row.display_name,
          row.kind,
          row.created_at,
          row.created_by,
          signing ? signing.publicKey.toString('base64') : row.signing_public_key,
          signing ? signing.keyId : row.signing_key_id,
        ],
      );
      if (taken === 0) return;
      for (const member of local.members.members) {
        await session.run(
          `INSERT INTO tenant_members (principal_id, display_name, kind, created_at) VALUES ($1, $2, $3, $4)`,
          [member.principal_id, member.display_name, member.kind, member.created_at],
        );
      }
      for (const m of local.members.memberships) {
        await session.run(`INSERT INTO tenant_memberships (principal_id, role) VALUES ($1, $2)`, [
          m.principal_id,
          m.role,
        ]);
      }
      for (const l of local.members.logins) {
        await session.run(`INSERT INTO member_logins (principal_id, last_login_at, groups) VALUES ($1, $2, $3)`, [
          l.principal_id,
          l.last_login_at,
          l.groups,
        ]);
      }
      if (local.profile) {
        await session.run(`INSERT INTO tenant_profiles (profile, updated_at, updated_by) VALUES ($1, $2, $3)`, [
          local.profile.profile,
          local.profile.updated_at,
          local.profile.updated_by,
        ]);
      }
      await this.writePolicy(session, tenant, null);
    });
    this.log(`shared registry: adopted tenant "${tenant}" from this replica's data directory`);
  }

  /** Bound late: the policy service is made after the registry. */
  bindPolicy(policy: SharedPolicyRows): void {
    this.policy = policy;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.busy || this.loading) return;
      // A first load that failed (a database not migrated yet) is retried until it succeeds.
      (this.loaded ? this.refresh() : this.load()).catch((error: unknown) =>
        this.log(`shared registry refresh failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Brings the mirror up to date with what the shared store has committed. Refreshes run one
   * after another, and each starts after it was asked for, so a caller that just committed sees
   * its own write.
   */
  refresh(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.tail.then(() => {
      this.queued = null;
      return this.pull();
    });
    this.queued = next;
    this.tail = next.catch(() => undefined);
    return next;
  }

  async createTenant(
    tenant: { id: string; displayName: string; kind: 'evaluation' | 'production' },
    creator: Principal,
    grant: readonly Role[],
    signing: { publicKey: Buffer; keyId: string } | null,
  ): Promise<void> {
    try {
      await this.store.transaction({ tenant: tenant.id }, async (session) => {
        await session.run(
          `INSERT INTO tenants (id, display_name, kind, created_at, created_by, signing_public_key, signing_key_id, generation)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 1)`,
          [
            tenant.id,
            tenant.displayName,
            tenant.kind,
            this.now().toISOString(),
            creator.id,
            signing?.publicKey.toString('base64') ?? null,
            signing?.keyId ?? null,
          ],
        );
        await this.putMember(session, creator);
        for (const role of new Set(grant)) {
          await session.run(`INSERT INTO tenant_memberships (principal_id, role) VALUES ($1, $2)`, [creator.id, role]);
        }
      });
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new ContractError('conflict', `id: is already taken: tenant "${tenant.id}" exists`, 'id');
      }
      throw error;
    }
    await this.refresh();
  }

  async setRoles(principal: Principal, tenant: string, roles: readonly Role[]): Promise<void> {
    await this.write(tenant, async (session) => {
      await this.putMember(session, principal);
      await session.run(`DELETE FROM tenant_memberships WHERE principal_id = $1`, [principal.id]);
      for (const role of new Set(roles)) {
        await session.run(`INSERT INTO tenant_memberships (principal_id, role) VALUES ($1, $2)`, [principal.id, role]);
      }
    });
  }

  async noteMember(principal: Principal, tenant: string, groups: readonly string[]): Promise<void> {
    await this.write(tenant, async (session) => {
      await this.putMember(session, principal);
      await session.run(
        `INSERT INTO member_logins (principal_id, last_login_at, groups) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, principal_id) DO UPDATE SET last_login_at = excluded.last_login_at, groups = excluded.groups`,
        [principal.id, this.now().toISOString(), JSON.stringify(groups)],
      );
    });
  }

  async putProfile(tenant: string, profile: TenantProfile, by: string): Promise<void> {
    const body = JSON.stringify(tenantProfileSchema.parse(profile));
    await this.write(tenant, async (session) => {
      await session.run(
        `INSERT INTO tenant_profiles (profile, updated_at, updated_by) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
        [body, this.now().toISOString(), by],
      );
    });
  }

  /**
   * A change of the tenant's policy made through this replica: under the tenant's lock, this
   * replica's policy is first brought up to the shared one, `change` applies to it, and the
   * result is written back before COMMIT, so two replicas changing one tenant's policy at once
   * never lose either change. If the shared write fails, the mirror is reloaded from the
   * shared store on the next refresh, which takes the local change back.
   */
  async policyChange<T>(tenant: string, change: () => Promise<T>): Promise<T> {
    const policy = this.policy;
    if (!policy) return change();
    this.changing.set(tenant, (this.changing.get(tenant) ?? 0) + 1);
    try {
      return await this.store.transaction({ tenant }, async (session) => {
        await session.lock('registry');
        const row = await session.get<{ body: string }>(`SELECT body FROM policy_state`);
        if (row) this.applyPolicy(tenant, row.body);
        const result = await change();
        await this.writePolicy(session, tenant, row?.body ?? null);
        return result;
      });
    } catch (error) {
      this.forget(tenant);
      throw error;
    } finally {
      const left = (this.changing.get(tenant) ?? 1) - 1;
      if (left === 0) this.changing.delete(tenant);
      else this.changing.set(tenant, left);
    }
  }

  /** Writes the tenant's policy as this replica holds it (after `tenants.onboard` assigned its packs). */
  async publishPolicy(tenant: string): Promise<void> {
    if (!this.policy) return;
    try {
      await this.store.transaction({ tenant }, async (session) => {
        await session.lock('registry');
        const row = await session.get<{ body: string }>(`SELECT body FROM policy_state`);
        await this.writePolicy(session, tenant, row?.body ?? null);
      });
    } catch (error) {
      this.forget(tenant);
      throw error;
    }
  }

  private async writePolicy(session: StoreSession, tenant: string, before: string | null): Promise<void> {
    const body = JSON.stringify((this.policy as SharedPolicyRows).snapshot(tenant));
    if (body === before) return;
    await session.run(
      `INSERT INTO policy_state (body, updated_at) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
      [body, this.now().toISOString()],
    );
    await session.run(`UPDATE tenants SET generation = generation + 1 WHERE id = $1`, [tenant]);
    this.appliedPolicy.set(tenant, digest(body));
  }

  /** One change of a tenant's registry rows: shared store first, mirrored after COMMIT. */
  private async write(tenant: string, work: (session: StoreSession) => Promise<void>): Promise<void> {
    await this.store.transaction({ tenant }, async (session) => {
      await session.lock('registry');
      const bumped = await session.run(`UPDATE tenants SET generation = generation + 1 WHERE id = $1`, [tenant]);
      if (bumped === 0) throw new ContractError('not_found', `Tenant "${tenant}" does not exist`, 'tenant');
      await work(session);
    });
    await this.refresh();
  }

  private async putMember(session: StoreSession, principal: Principal): Promise<void> {
    await session.run(
      `INSERT INTO tenant_members (principal_id, display_name, kind, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, principal_id) DO UPDATE SET display_name = excluded.display_name, kind = excluded.kind`,
      [principal.id, principal.displayName, principal.kind, this.now().toISOString()],
    );
  }

  private forget(tenant: string): void {
    this.mirrored.delete(tenant);
    this.appliedPolicy.delete(tenant);
  }

  private async pull(): Promise<void> {
    this.busy = true;
    try {
      const { tenants, installRoles } = await this.store.read('install', async (session) => ({
        tenants: await session.all<TenantGeneration>(
          `SELECT id, display_name, kind, created_at, created_by, signing_public_key, signing_key_id, generation
           FROM tenants ORDER BY id`,
        ),
        installRoles: await session.all<{ principal_id: string; role: string }>(
          `SELECT principal_id, role FROM install_roles ORDER BY principal_id, role`,
        ),
      }));
      this.directory.mirrorInstallRoles(installRoles);
      for (const tenant of tenants) {
        if (this.mirrored.get(tenant.id) === tenant.generation) continue;
        // Left for the next refresh: the change in progress reads the shared policy under its lock.
        if (this.changing.has(tenant.id)) continue;
        // A tenant row made only for another capability's rows (sharedTenantRows) has no registry yet.
        if (tenant.generation === 0) continue;
        const rows = await this.store.read({ tenant: tenant.id }, async (session) => ({
          members: {
            members: await session.all<SharedMembers['members'][number]>(
              `SELECT principal_id, display_name, kind, created_at FROM tenant_members ORDER BY principal_id`,
            ),
            memberships: await session.all<SharedMembers['memberships'][number]>(
              `SELECT principal_id, role FROM tenant_memberships ORDER BY principal_id, role`,
            ),
            logins: await session.all<SharedMembers['logins'][number]>(
              `SELECT principal_id, last_login_at, groups FROM member_logins ORDER BY principal_id`,
            ),
          },
          profile: await session.get<{ profile: string; updated_at: string; updated_by: string }>(
            `SELECT profile, updated_at, updated_by FROM tenant_profiles`,
          ),
          policy: await session.get<{ body: string }>(`SELECT body FROM policy_state`),
        }));
        this.directory.mirrorTenant(tenant);
        this.directory.mirrorMembers(tenant.id, rows.members);
        this.directory.mirrorProfile(tenant.id, rows.profile ?? null);
        if (rows.policy) this.applyPolicy(tenant.id, rows.policy.body);
        this.mirrored.set(tenant.id, tenant.generation);
      }
    } finally {
      this.busy = false;
    }
  }

  private applyPolicy(tenant: string, body: string): void {
    if (!this.policy) return;
    const sha = digest(body);
    if (this.appliedPolicy.get(tenant) === sha) return;
    this.policy.replace(tenant, JSON.parse(body));
    this.appliedPolicy.set(tenant, sha);
  }
}

function digest(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

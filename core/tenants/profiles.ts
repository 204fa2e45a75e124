import { tenantProfileSchema } from '../contract';
import type { TenantProfile } from '../contract';
import type { SqliteDatabase } from '../store';
import type { SharedRegistryWrites } from './registry-port';

/** The tenant record beyond id and name (async: a PostgreSQL adapter follows the store port). */
export interface TenantProfileRepository {
  get(tenantId: string): Promise<TenantProfile>;
  put(tenantId: string, profile: TenantProfile, by: string): Promise<void>;
}

export const EMPTY_PROFILE: TenantProfile = tenantProfileSchema.parse({});

export class SqliteTenantProfiles implements TenantProfileRepository {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(tenantId: string): Promise<TenantProfile> {
    const row = this.db.prepare(`SELECT profile FROM tenant_profiles WHERE tenant_id = ?`).get(tenantId) as
      { profile: string } | undefined;
    // Stored profiles were validated on the way in; parsing again keeps a hand-edited row from leaking through.
    return Promise.resolve(row ? tenantProfileSchema.parse(JSON.parse(row.profile)) : EMPTY_PROFILE);
  }

  put(tenantId: string, profile: TenantProfile, by: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO tenant_profiles (tenant_id, profile, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT(tenant_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
      )
      .run(tenantId, JSON.stringify(tenantProfileSchema.parse(profile)), this.now().toISOString(), by);
    return Promise.resolve();
  }
}

/**
 * cavra server's profiles: written to the shared registry first (PostgreSQL), read from this
 * replica's mirror of it (kept fresh by SharedRegistry), so a role mapping removed through one
 * replica is what the others' bearer checks map with once their mirror refreshes.
 */
export class SharedTenantProfiles implements TenantProfileRepository {
  constructor(
    private readonly mirror: TenantProfileRepository,
    private readonly shared: Pick<SharedRegistryWrites, 'putProfile'>,
  ) {}

  get(tenantId: string): Promise<TenantProfile> {
    return this.mirror.get(tenantId);
  }

  put(tenantId: string, profile: TenantProfile, by: string): Promise<void> {
    return this.shared.putProfile(tenantId, profile, by);
  }
}

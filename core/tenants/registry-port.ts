import type { Principal, Role, TenantProfile } from '../contract';

/** A tenant row as the shared registry holds it (what a replica mirrors). */
export interface SharedTenantRow {
  id: string;
  display_name: string;
  kind: 'evaluation' | 'production';
  created_at: string;
  created_by: string;
  signing_public_key: string | null;
  signing_key_id: string | null;
}

/** A tenant's member rows as the shared registry holds them. */
export interface SharedMembers {
  members: { principal_id: string; display_name: string; kind: string; created_at: string }[];
  memberships: { principal_id: string; role: string }[];
  logins: { principal_id: string; last_login_at: string; groups: string }[];
}

/**
 * Where a TenantDirectory writes when the registry is shared (cavra server): the shared store
 * first, in one transaction; the directory's own SQLite registry is then its mirror. Implemented
 * by SharedRegistry (shared-registry.ts), which also keeps the mirror fresh.
 */
export interface SharedRegistryWrites {
  /** Loads the tenant from the shared store when this replica does not know it yet. */
  refresh(): Promise<void>;
  createTenant(
    tenant: { id: string; displayName: string; kind: 'evaluation' | 'production' },
    creator: Principal,
    grant: readonly Role[],
    signing: { publicKey: Buffer; keyId: string } | null,
  ): Promise<void>;
  setRoles(principal: Principal, tenant: string, roles: readonly Role[]): Promise<void>;
  noteMember(principal: Principal, tenant: string, groups: readonly string[]): Promise<void>;
  putProfile(tenant: string, profile: TenantProfile, by: string): Promise<void>;
}

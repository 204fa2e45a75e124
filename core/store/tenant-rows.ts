import type { Store } from './port';

/**
 * The shared store's tenant rows, which tenant tables reference: made (once per process and
 * tenant) before a tenant's first shared write. The server's core still owns the tenant registry.
 */
export function sharedTenantRows(store: Store): (tenant: string) => Promise<void> {
  const known = new Map<string, Promise<void>>();
  return (tenant) => {
    let made = known.get(tenant);
    if (!made) {
      made = store
        .transaction('install', async (session) => {
          await session.run(
            `INSERT INTO tenants (id, display_name, kind, created_at, created_by)
             VALUES ($1, $1, 'production', $2, 'cavra-server') ON CONFLICT (id) DO NOTHING`,
            [tenant, new Date().toISOString()],
          );
        })
        .catch((error: unknown) => {
          known.delete(tenant);
          throw error;
        });
      known.set(tenant, made);
    }
    return made;
  };
}

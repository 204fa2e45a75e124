import { useEffect } from 'react';
import { useSystemInfo, useTenants } from '../api/queries';
import { useUi } from '../state/ui';

/**
 * The tenant every screen works in, kept in the address. A tenant from a link that the
 * caller cannot see (or that does not exist) is not used: the default takes over and the
 * console says so.
 */
export function TenantSwitcher() {
  const tenants = useTenants();
  const info = useSystemInfo();
  const tenant = useUi((state) => state.route.tenant);
  const selectTenant = useUi((state) => state.selectTenant);
  const announce = useUi((state) => state.announce);
  const known = tenants.data?.tenants;

  useEffect(() => {
    if (!info.data || !known) return;
    if (tenant !== null && known.some((t) => t.id === tenant)) return;
    // The install's default tenant only if the caller belongs to it (a signed-in reviewer may not).
    const defaultTenant = info.data.defaultTenant;
    const initial = known.some((t) => t.id === defaultTenant) ? defaultTenant : known[0]?.id;
    if (!initial) return;
    if (tenant !== null) announce(`Tenant ${tenant} is not one you can open; showing ${initial}`);
    selectTenant(initial, { replace: true });
  }, [tenant, known, info.data, selectTenant, announce]);

  return (
    <label className="tenant-switcher">
      <span>Tenant</span>
      <select
        value={tenant ?? ''}
        disabled={!known}
        onChange={(event) => {
          selectTenant(event.target.value);
          announce(`Switched to tenant ${event.target.value}`);
        }}
      >
        {(tenant === null || !known?.some((t) => t.id === tenant)) && <option value={tenant ?? ''}>Loading…</option>}
        {known?.map((t) => (
          <option key={t.id} value={t.id}>
            {t.displayName} ({t.id})
          </option>
        ))}
      </select>
    </label>
  );
}

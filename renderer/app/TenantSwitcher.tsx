import { useEffect } from 'react';
import { useSystemInfo, useTenants } from '../api/queries';
import { useUi } from '../state/ui';

export function TenantSwitcher() {
  const tenants = useTenants();
  const info = useSystemInfo();
  const tenant = useUi((state) => state.tenant);
  const selectTenant = useUi((state) => state.selectTenant);
  const announce = useUi((state) => state.announce);

  useEffect(() => {
    if (tenant === null && info.data) {
      const initial = info.data.defaultTenant ?? info.data.tenants[0]?.id;
      if (initial) selectTenant(initial);
    }
  }, [tenant, info.data, selectTenant]);

  return (
    <label className="tenant-switcher">
      <span>Tenant</span>
      <select
        value={tenant ?? ''}
        disabled={!tenants.data}
        onChange={(event) => {
          selectTenant(event.target.value);
          announce(`Switched to tenant ${event.target.value}`);
        }}
      >
        {tenant === null && <option value="">Loading…</option>}
        {tenants.data?.tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.displayName} ({t.id})
          </option>
        ))}
      </select>
    </label>
  );
}

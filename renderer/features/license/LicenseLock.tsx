import type { ReactNode } from 'react';
import { enterpriseFeatureLabels } from '../../../core/contract';
import type { EnterpriseFeature } from '../../../core/contract';
import { useLicenseStatus } from '../../api/license';
import { formatRoute } from '../../app/route';
import type { ScreenId } from '../../app/screens';

/**
 * The screens whose every operation names an Enterprise feature in the contract (the core
 * refuses them without a license); Readiness is not here because its closeout stays open.
 */
export const screenFeatures: Partial<Record<ScreenId, EnterpriseFeature>> = {
  aispm: 'aispm',
  reviews: 'operating_reviews',
  connectors: 'connectors',
  reports: 'reports',
};

/** Whether a screen is locked for the tenant now (the sidebar marks it). */
export function useScreenLocked(tenant: string | null, screen: ScreenId): boolean {
  const status = useLicenseStatus(tenant);
  const feature = screenFeatures[screen];
  return Boolean(feature && status.data?.lockedFeatures.includes(feature));
}

export function LockedBadge({ tenant, screen }: { tenant: string | null; screen: ScreenId }) {
  const locked = useScreenLocked(tenant, screen);
  if (!locked) return null;
  return (
    <span className="badge" data-testid={`locked-${screen}`}>
      Locked
    </span>
  );
}

/**
 * Shows a licensed screen only while the tenant's entitlement enables its feature; otherwise
 * says it is locked, why (the entitlement's own reason) and where to fix it. The core refuses
 * the operations anyway: this spares the user a screen full of refusals.
 */
export function LicenseLock({
  tenant,
  screen,
  children,
}: {
  tenant: string | null;
  screen: ScreenId;
  children: ReactNode;
}) {
  const status = useLicenseStatus(tenant);
  const feature = screenFeatures[screen];
  if (!feature || !tenant) return <>{children}</>;
  if (status.isError) return <p role="alert">The license could not be checked: {status.error.message}</p>;
  if (!status.data) return <p className="muted">Checking the license…</p>;
  if (!status.data.lockedFeatures.includes(feature)) return <>{children}</>;
  const entitlement = status.data;
  return (
    <section className="card" aria-labelledby="locked-heading" data-testid="license-locked" data-feature={feature}>
      <h2 id="locked-heading">Locked: {enterpriseFeatureLabels[feature]}</h2>
      <p data-testid="license-locked-reason">
        {entitlement.refusals.find((refusal) => refusal.feature === feature)?.reason ?? entitlement.reason}
      </p>
      <p className="muted small">
        Enforcement is not affected: the gate keeps deciding, approvals keep routing and evidence keeps being recorded.
      </p>
      <a href={formatRoute({ screen: 'license', tenant, item: null, filters: {} })}>Open the License screen</a>
    </section>
  );
}

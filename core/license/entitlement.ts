import { enterpriseFeatureLabels, enterpriseFeatures } from '../contract';
import type { BuildChannel, EnterpriseFeature, Entitlement, EntitlementState, LicenseSummary } from '../contract';
import { LicenseDocumentError, licenseSummary, verifyLicenseDocument } from './document';
import { buildChannel } from './build-channel';

/** A revoked license id: from the vendor's list, or surrendered by the tenant at closeout. */
export interface Revocation {
  revokedAt: string;
  reason: string;
  source: 'vendor' | 'tenant';
}

export interface EntitlementInput {
  tenant: string;
  /** The stored license document as imported, re-verified on every check (a row edited in SQLite grants nothing). */
  document: string | null;
  revocation: (licenseId: string) => Revocation | null;
  revocationList: { issuedAt: string; entries: number } | null;
  now: Date;
  channel?: BuildChannel;
}

const DAY_MS = 86_400_000;

export function buildInfo(channel: BuildChannel = buildChannel): Entitlement['build'] {
  return { channel, demoKeyTrusted: channel === 'demo' };
}

/** What a license grants at `now`, with the refusal wording for each locked feature. */
export function computeEntitlement(input: EntitlementInput): Entitlement {
  const entitlement = entitlementOf(input);
  const refusals = entitlement.lockedFeatures.flatMap((feature) => {
    const reason = featureRefusal(entitlement, feature);
    return reason ? [{ feature, reason }] : [];
  });
  return { ...entitlement, refusals };
}

/** The one place the status rules live. */
function entitlementOf(input: EntitlementInput): Omit<Entitlement, 'refusals'> {
  const channel = input.channel ?? buildChannel;
  const base = {
    tenant: input.tenant,
    revocationList: input.revocationList,
    build: buildInfo(channel),
    checkedAt: input.now.toISOString(),
  };
  const none = (
    status: EntitlementState,
    reason: string,
    license: LicenseSummary | null = null,
  ): Omit<Entitlement, 'refusals'> => ({
    ...base,
    status,
    reason,
    license,
    daysRemaining: license ? daysUntil(license.expiresAt, input.now) : null,
    enabledFeatures: [],
    lockedFeatures: [...enterpriseFeatures],
    revocation: null,
  });
  if (input.document === null) {
    return none(
      'missing',
      `No license is imported for tenant "${input.tenant}": import the license file from the vendor (License screen, or "cavra license import FILE --tenant ${input.tenant}")`,
    );
  }
  let license: LicenseSummary;
  try {
    license = licenseSummary(verifyLicenseDocument(input.document, channel));
  } catch (error) {
    if (!(error instanceof LicenseDocumentError)) throw error;
    return none('missing', `The stored license no longer verifies in this build: ${error.message}`);
  }
  if (license.tenant !== input.tenant) {
    return none('missing', `The stored license is for tenant "${license.tenant}", not "${input.tenant}"`, license);
  }
  const revocation = input.revocation(license.licenseId);
  if (revocation) {
    return {
      ...none(
        'suspended',
        revocation.source === 'vendor'
          ? `License ${license.licenseId} was revoked by the vendor on ${revocation.revokedAt} (${revocation.reason}); ask the vendor for a new license and import it on the License screen`
          : `License ${license.licenseId} was surrendered at the trial closeout on ${revocation.revokedAt} (${revocation.reason}), so Enterprise workflows are locked and the trial is over; to continue, import a new license on the License screen`,
        license,
      ),
      revocation,
    };
  }
  const now = input.now.getTime();
  if (now < Date.parse(license.notBefore)) {
    return none('suspended', `License ${license.licenseId} is not valid before ${license.notBefore}`, license);
  }
  if (now >= Date.parse(license.expiresAt)) {
    return none(
      'expired',
      `License ${license.licenseId} expired on ${license.expiresAt}; import a renewed license to continue Enterprise workflows`,
      license,
    );
  }
  const enabled = enterpriseFeatures.filter((feature) => license.features.includes(feature));
  const days = daysUntil(license.expiresAt, input.now);
  const demo =
    license.signer === 'demo' ? ' (demo license: signed with the demo key, accepted by demo builds only)' : '';
  return {
    ...base,
    status: license.edition === 'trial' ? 'trial' : 'active',
    reason: `${license.edition === 'trial' ? 'Trial' : 'Enterprise'} license ${license.licenseId} for ${license.evaluator}, valid until ${license.expiresAt} (${days} day${days === 1 ? '' : 's'} left)${demo}`,
    license,
    daysRemaining: days,
    enabledFeatures: enabled,
    lockedFeatures: enterpriseFeatures.filter((feature) => !enabled.includes(feature)),
    revocation: null,
  };
}

function daysUntil(expiresAt: string, now: Date): number {
  return Math.max(0, Math.floor((Date.parse(expiresAt) - now.getTime()) / DAY_MS));
}

/** Why a feature is not available, or null when the entitlement enables it. */
export function featureRefusal(entitlement: Omit<Entitlement, 'refusals'>, feature: EnterpriseFeature): string | null {
  if (entitlement.enabledFeatures.includes(feature)) return null;
  if (entitlement.status === 'active' || entitlement.status === 'trial') {
    return `License ${entitlement.license?.licenseId ?? ''} does not include the "${feature}" feature (${enterpriseFeatureLabels[feature]}); ask the vendor for a license that does`;
  }
  return `${enterpriseFeatureLabels[feature]} is an Enterprise feature ("${feature}") and tenant "${entitlement.tenant}" has no valid license (${entitlement.status}): ${entitlement.reason}`;
}

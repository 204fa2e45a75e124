import { z } from 'zod';
import { defineOperation } from './define';
import { anyTenantRole } from './roles';
import type { Role } from './roles';
import { enterpriseFeatureSchema } from './features';

/**
 * License and entitlement (SPEC §10). A license is a vendor-signed document naming a tenant;
 * the entitlement is what it grants now: a status, the features it enables and the ones it
 * leaves locked. The enforcement core (gate, policy, approvals, evidence) never depends on a
 * license — a lapsed license must not switch enforcement off — so only Enterprise workflows
 * name a feature, and the dispatcher refuses them unless the tenant's entitlement enables it.
 */

export const editions = ['trial', 'enterprise'] as const;
export const editionSchema = z.enum(editions);
export type Edition = z.infer<typeof editionSchema>;

/**
 * - `active`: a valid enterprise license; `trial`: a valid trial license;
 * - `suspended`: revoked, or not valid yet; `expired`: past its expiry;
 * - `missing`: none imported, or the one stored no longer verifies in this build.
 */
export const entitlementStates = ['active', 'trial', 'suspended', 'expired', 'missing'] as const;
export const entitlementStateSchema = z.enum(entitlementStates);
export type EntitlementState = z.infer<typeof entitlementStateSchema>;

/** A build is `demo` (development, tests, air-gapped demos: trusts the demo key too) or `production`. */
export const buildChannels = ['demo', 'production'] as const;
export const buildChannelSchema = z.enum(buildChannels);
export type BuildChannel = z.infer<typeof buildChannelSchema>;

/** Which pinned key signed a license: the vendor's, or the demo key only demo builds trust. */
export const licenseSignerSchema = z.enum(['vendor', 'demo']);
export type LicenseSigner = z.infer<typeof licenseSignerSchema>;

export const licenseSummarySchema = z.object({
  licenseId: z.string(),
  edition: editionSchema,
  tenant: z.string(),
  evaluator: z.string(),
  features: z.array(z.string()),
  notBefore: z.string(),
  expiresAt: z.string(),
  issuedAt: z.string(),
  signer: licenseSignerSchema,
});
export type LicenseSummary = z.infer<typeof licenseSummarySchema>;

/** The Entitlement Status contract. */
export const entitlementSchema = z.object({
  tenant: z.string(),
  status: entitlementStateSchema,
  /** One sentence saying why the status is what it is, and what to do. */
  reason: z.string(),
  license: licenseSummarySchema.nullable(),
  /** Whole days until expiry (0 on the last day and after); null without a license. */
  daysRemaining: z.number().int().nonnegative().nullable(),
  enabledFeatures: z.array(enterpriseFeatureSchema),
  lockedFeatures: z.array(enterpriseFeatureSchema),
  /** Why each locked feature is refused, in the very words the core's guard refuses it with. */
  refusals: z.array(z.object({ feature: enterpriseFeatureSchema, reason: z.string() })),
  revocation: z.object({ revokedAt: z.string(), reason: z.string(), source: z.enum(['vendor', 'tenant']) }).nullable(),
  /** The newest vendor revocation list imported, if any. */
  revocationList: z.object({ issuedAt: z.string(), entries: z.number().int().nonnegative() }).nullable(),
  build: z.object({ channel: buildChannelSchema, demoKeyTrusted: z.boolean() }),
  checkedAt: z.string(),
});
export type Entitlement = z.infer<typeof entitlementSchema>;

export const licenseValidationSchema = z.object({
  valid: z.boolean(),
  /** Each problem names what is wrong and what to do; empty when valid. */
  problems: z.array(z.string()),
  license: licenseSummarySchema.nullable(),
  /** What the entitlement would be if this license were imported now. */
  status: entitlementStateSchema.nullable(),
  build: z.object({ channel: buildChannelSchema, demoKeyTrusted: z.boolean() }),
});
export type LicenseValidation = z.infer<typeof licenseValidationSchema>;

/** A signed document as text (the file's content); parsed and verified in the core. */
const documentText = z
  .string({ error: 'is required: the content of the signed file' })
  .min(2, 'is required: the content of the signed file')
  .max(64 * 1024, 'must be at most 64 KiB (a license file is a few hundred bytes)');

const licenseKeepers: readonly Role[] = ['tenant_admin'];

export const licenseOperations = {
  'license.status': defineOperation({
    description:
      "The tenant's entitlement: status (active, trial, suspended, expired, missing), days remaining, enabled and locked features.",
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({}).strict(),
    output: entitlementSchema,
  }),
  'license.validate': defineOperation({
    description:
      'Check a license file against the pinned keys and this tenant without importing it: signature, fields, dates.',
    scope: 'tenant',
    roles: anyTenantRole,
    input: z.object({ document: documentText }).strict(),
    output: licenseValidationSchema,
  }),
  'license.import': defineOperation({
    description:
      'Import a vendor-signed license for this tenant; recorded as a config_change first. Refused when it does not verify or names another tenant.',
    scope: 'tenant',
    roles: licenseKeepers,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ document: documentText }).strict(),
    output: entitlementSchema,
  }),
  'license.revocations.import': defineOperation({
    description:
      'Import a vendor-signed license revocation list; refused when older than the one already imported. Recorded first.',
    scope: 'tenant',
    roles: licenseKeepers,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ document: documentText }).strict(),
    output: entitlementSchema,
  }),
} as const;

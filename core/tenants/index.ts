export { TenantDirectory, DEFAULT_TENANT_ID } from './directory';
export type { NewTenant, AuditEntry, TenantDirectoryOptions } from './directory';
export { SigningKeyUnavailableError } from './signing-key';
export type { SigningKeyStatus } from './signing-key';
export { SqliteTenantProfiles, EMPTY_PROFILE } from './profiles';
export type { TenantProfileRepository } from './profiles';
export { onboardingHandlers } from './handlers';
export { validateOnboarding, tenantStatus } from './onboarding';
export type { OnboardingDeps } from './onboarding';

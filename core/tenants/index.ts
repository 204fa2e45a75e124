export { TenantDirectory, DEFAULT_TENANT_ID } from './directory';
export type { NewTenant, AuditEntry, TenantDirectoryOptions } from './directory';
export { SigningKeyUnavailableError } from './signing-key';
export type { SigningKeyStatus } from './signing-key';

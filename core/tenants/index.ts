export { TenantDirectory, DEFAULT_TENANT_ID } from './directory';
export type { NewTenant, AuditEntry } from './directory';

export { KeychainSecretStore } from './keychain';
export { KeychainUnavailableError, InvalidSecretRefError, probeKeychain, tenantSecrets } from './secret-store';
export type { KeychainProbe, SecretRef, SecretStore, TenantSecrets } from './secret-store';

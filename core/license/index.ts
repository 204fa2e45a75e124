export { LicenseService } from './service';
export type { LicenseServiceOptions } from './service';
export { SqliteLicenseRepository } from './repository';
export type { LicenseRepository } from './repository';
export { licenseHandlers } from './handlers';
export { buildChannel } from './build-channel';
export { computeEntitlement, featureRefusal } from './entitlement';
export {
  LicenseDocumentError,
  signLicense,
  signRevocationList,
  verifyLicenseDocument,
  verifyRevocationList,
} from './document';
export type { LicensePayload, RevocationListPayload } from './document';
export { DEMO_LICENSE_PUBLIC_KEY, VENDOR_LICENSE_PUBLIC_KEY, trustedLicenseKeys } from './keys';

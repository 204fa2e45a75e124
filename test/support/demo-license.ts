// Demo licenses for tests and air-gapped demos. The private half of the DEMO license key
// lives here, in the open, on purpose: only demo and test builds trust this key
// (core/license/keys.ts), and production builds refuse anything it signs. The vendor's
// private key is never in this repository.
import crypto from 'node:crypto';
import type { ContractClient, Edition, EnterpriseFeature } from '../../core/contract';
import { enterpriseFeatures } from '../../core/contract';
import { signerFromPrivateKey } from '../../core/evidence';
import type { EvidenceSigner } from '../../core/evidence';
import { signLicense, signRevocationList } from '../../core/license';
import type { LicensePayload } from '../../core/license';

export const DEMO_LICENSE_PRIVATE_KEY_FOR_TESTS_ONLY =
  'MC4CAQAwBQYDK2VwBCIEIJZkEuzRLwU3OQpnX7D5S19dMyvkUN2KBhRy1XRt3xSb';

export const demoLicenseSigner = (): EvidenceSigner =>
  signerFromPrivateKey(Buffer.from(DEMO_LICENSE_PRIVATE_KEY_FOR_TESTS_ONLY, 'base64'));

/** A key nobody trusts, for forgeries. */
export function strangerSigner(): EvidenceSigner {
  const pair = crypto.generateKeyPairSync('ed25519');
  return signerFromPrivateKey(pair.privateKey.export({ format: 'der', type: 'pkcs8' }));
}

export interface DemoLicenseOptions {
  tenant: string;
  edition?: Edition;
  licenseId?: string;
  evaluator?: string;
  features?: readonly (EnterpriseFeature | string)[];
  notBefore?: Date;
  expiresAt?: Date;
  signer?: EvidenceSigner;
}

const DAY = 86_400_000;

export function demoLicensePayload(options: DemoLicenseOptions): LicensePayload {
  const now = Date.now();
  return {
    format: 'cavra-license',
    version: 1,
    license_id: options.licenseId ?? `lic-demo-${crypto.randomBytes(4).toString('hex')}`,
    edition: options.edition ?? 'trial',
    tenant: options.tenant,
    evaluator: options.evaluator ?? 'evaluator@acme.example',
    features: [...(options.features ?? enterpriseFeatures)],
    not_before: (options.notBefore ?? new Date(now - DAY)).toISOString(),
    expires_at: (options.expiresAt ?? new Date(now + 30 * DAY)).toISOString(),
    issued_at: new Date(now - DAY).toISOString(),
    issuer: 'CAVRA demo licensing (not for production)',
  };
}

/** A demo license file's text, as the vendor would send it. */
export function demoLicense(options: DemoLicenseOptions): string {
  return JSON.stringify(signLicense(demoLicensePayload(options), options.signer ?? demoLicenseSigner()), null, 2);
}

export function demoRevocationList(
  revoked: { licenseId: string; reason?: string }[],
  options: { issuedAt?: Date; signer?: EvidenceSigner } = {},
): string {
  const issuedAt = (options.issuedAt ?? new Date()).toISOString();
  return JSON.stringify(
    signRevocationList(
      {
        format: 'cavra-license-revocations',
        version: 1,
        issued_at: issuedAt,
        revoked: revoked.map((r) => ({ license_id: r.licenseId, revoked_at: issuedAt, reason: r.reason ?? 'test' })),
      },
      options.signer ?? demoLicenseSigner(),
    ),
  );
}

/**
 * Imports a demo license into `tenant` through the contract as the client's principal (a tenant
 * admin, or the local evaluator on an evaluation tenant): tests of licensed workflows (AISPM,
 * connectors, reports, readiness) start from a licensed tenant, as an evaluator's would.
 */
export async function licenseTenant(
  client: ContractClient,
  tenant: string,
  options: Omit<DemoLicenseOptions, 'tenant'> = {},
): Promise<void> {
  await client.call('license.import', { document: demoLicense({ ...options, tenant }) }, { tenant });
}

import type { BuildChannel, LicenseSigner } from '../contract';
import { buildChannel } from './build-channel';

/**
 * The keys a license may be signed with, pinned in the build (raw Ed25519 public keys,
 * base64). The vendor's private key lives with the vendor's license service and never in
 * this repository. The demo key signs demo and test licenses; its private half is in
 * test/support for tests and demos only, so a production build must never trust it.
 */
export const VENDOR_LICENSE_PUBLIC_KEY = 'YFNqB9z9D9u4zVV5KbPSn2Y2/a+B3dxN4Q1DuMj4uD0=';
export const DEMO_LICENSE_PUBLIC_KEY = 'KHASSyNFKZZ2WA6mwLFCfzFMoN0MmT6j977ISbaRYcM=';

export interface TrustedLicenseKey {
  signer: LicenseSigner;
  publicKey: Buffer;
}

/** The keys this build trusts, the vendor's first. */
export function trustedLicenseKeys(channel: BuildChannel = buildChannel): TrustedLicenseKey[] {
  const keys: TrustedLicenseKey[] = [{ signer: 'vendor', publicKey: Buffer.from(VENDOR_LICENSE_PUBLIC_KEY, 'base64') }];
  if (channel === 'demo') keys.push({ signer: 'demo', publicKey: Buffer.from(DEMO_LICENSE_PUBLIC_KEY, 'base64') });
  return keys;
}

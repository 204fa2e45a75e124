import type { EvidenceSigner } from '../evidence';
import { signerFromPrivateKey } from '../evidence';
import type { SecretStore } from '../secrets';
import { KeychainUnavailableError } from '../secrets';

/** Where the private half of a tenant's evidence key lives in the keychain. */
export const SIGNING_SECRET = { service: 'evidence-signing', account: 'ed25519' } as const;

/**
 * Why a tenant can or cannot sign evidence right now, in words for the operator.
 * `no_key`: created while no keychain was available; `provisionSigningKey` fixes it.
 */
export type SigningKeyStatus =
  | { state: 'ready'; keyId: string }
  | { state: 'no_key'; message: string }
  | { state: 'keychain_unavailable'; message: string; advice: string }
  | { state: 'key_missing'; keyId: string; message: string };

export class SigningKeyUnavailableError extends Error {
  readonly status: Exclude<SigningKeyStatus, { state: 'ready' }>;

  constructor(status: Exclude<SigningKeyStatus, { state: 'ready' }>) {
    super(status.message);
    this.name = 'SigningKeyUnavailableError';
    this.status = status;
  }
}

/** Loads the tenant's signer from the keychain, checking it against the recorded public key. */
export function loadSigner(
  secrets: SecretStore,
  tenantId: string,
  recorded: { publicKey: Buffer; keyId: string } | null,
): EvidenceSigner {
  if (!recorded) {
    throw new SigningKeyUnavailableError({
      state: 'no_key',
      message:
        `Tenant "${tenantId}" has no evidence signing key: no OS keychain was available when it was created, ` +
        'so its ledger records evidence but cannot sign checkpoints or exports. Make a keychain available and ' +
        'provision the key.',
    });
  }
  let stored: string | null;
  try {
    stored = secrets.get({ tenant: tenantId, ...SIGNING_SECRET });
  } catch (error) {
    if (error instanceof KeychainUnavailableError) {
      throw new SigningKeyUnavailableError({
        state: 'keychain_unavailable',
        message: `Tenant "${tenantId}" cannot sign evidence: ${error.message}`,
        advice: error.advice,
      });
    }
    throw error;
  }
  const missing = (why: string) =>
    new SigningKeyUnavailableError({
      state: 'key_missing',
      keyId: recorded.keyId,
      message: `Tenant "${tenantId}" cannot sign evidence: ${why}. Restore the keychain entry for key ${recorded.keyId}.`,
    });
  if (stored === null) throw missing('the OS keychain has no private key for it');
  let signer: EvidenceSigner;
  try {
    signer = signerFromPrivateKey(Buffer.from(stored, 'base64'));
  } catch {
    throw missing('the keychain entry is not an Ed25519 private key');
  }
  if (!signer.publicKey.equals(recorded.publicKey)) throw missing('the keychain holds a different key');
  return signer;
}

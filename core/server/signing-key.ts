import crypto from 'node:crypto';
import type { EvidenceSigner } from '../evidence';
import { signerFromPrivateKey } from '../evidence';
import { ServerConfigError, secretSetting } from './config';

/** The setting `cavra server` reads its evidence signing key from (or `…_FILE`, a mounted secret). */
export const SIGNING_KEY_SETTING = 'CAVRA_SIGNING_KEY';

const SEED_BYTES = 32;
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): the prefix is fixed, the seed follows.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const HKDF_SALT = 'cavra.evidence-signing.v1';

/**
 * The server's evidence signing key source: one secret in the configuration (like the database
 * URL), from which each tenant's Ed25519 key is derived (HKDF-SHA-256, the tenant id as info).
 * Every replica given the same secret signs a tenant's checkpoints with the same key, with no
 * keychain on the server; tenants never share a key. Missing or malformed: ServerConfigError
 * naming the setting, never its value.
 */
export function signingKeyConfig(env: NodeJS.ProcessEnv): (tenant: string) => EvidenceSigner {
  const text = secretSetting(env, SIGNING_KEY_SETTING);
  if (!text) {
    throw new ServerConfigError(
      `No evidence signing key: set ${SIGNING_KEY_SETTING} or ${SIGNING_KEY_SETTING}_FILE (a file holding ` +
        `${SEED_BYTES} random bytes in base64, e.g. from \`openssl rand -base64 ${SEED_BYTES}\`); every replica needs the same one`,
    );
  }
  const secret = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (secret.length !== SEED_BYTES || secret.toString('base64') !== text) {
    throw new ServerConfigError(
      `${SIGNING_KEY_SETTING} must be ${SEED_BYTES} bytes in base64 (44 characters, e.g. from \`openssl rand -base64 ${SEED_BYTES}\`)`,
    );
  }
  const signers = new Map<string, EvidenceSigner>();
  return (tenant) => {
    let signer = signers.get(tenant);
    if (!signer) {
      const seed = Buffer.from(crypto.hkdfSync('sha256', secret, HKDF_SALT, `tenant:${tenant}`, SEED_BYTES));
      signer = signerFromPrivateKey(Buffer.concat([PKCS8_ED25519_PREFIX, seed]));
      signers.set(tenant, signer);
    }
    return signer;
  };
}

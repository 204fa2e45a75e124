import crypto from 'node:crypto';

/**
 * Detached Ed25519 signatures over the exact bytes of a pack file (`<pack>.yaml.sig`,
 * base64). Keys are given as base64 of the raw 32-byte public key, or as an SPKI PEM.
 */
interface PackSigningKey {
  id: string;
  publicKey: string;
}

type SignatureCheck = { ok: true; keyId: string } | { ok: false; reason: string };

export function parseSigningKey(publicKey: string): crypto.KeyObject {
  const trimmed = publicKey.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const key = crypto.createPublicKey(trimmed);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('is not an Ed25519 public key');
    return key;
  }
  const raw = Buffer.from(trimmed, 'base64');
  if (raw.length !== 32) throw new Error('must be base64 of a 32-byte Ed25519 public key or an SPKI PEM');
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function verifyPackSignature(text: string, signature: string, keys: readonly PackSigningKey[]): SignatureCheck {
  const bytes = Buffer.from(signature.trim(), 'base64');
  if (bytes.length !== 64) return { ok: false, reason: 'the signature is not base64 of a 64-byte Ed25519 signature' };
  if (keys.length === 0) return { ok: false, reason: 'no pack signing key is trusted by this tenant' };
  const data = Buffer.from(text, 'utf8');
  for (const key of keys) {
    try {
      if (crypto.verify(null, data, parseSigningKey(key.publicKey), bytes)) return { ok: true, keyId: key.id };
    } catch {
      // A malformed stored key verifies nothing; the other keys may still.
    }
  }
  return { ok: false, reason: 'the signature does not verify with any trusted pack signing key' };
}

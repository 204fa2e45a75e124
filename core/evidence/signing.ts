import crypto from 'node:crypto';

/**
 * The tenant's evidence signing key as the ledger sees it: an Ed25519 key whose private
 * half never leaves whoever constructed this object (the tenant directory loads it from
 * the OS keychain). Checkpoints, tombstones and bundles are all signed through it, each
 * with its own domain-separated message format.
 */
export interface EvidenceSigner {
  /** Hex SHA-256 of the raw 32-byte public key; the DSSE `keyid` and the manifest's key id. */
  readonly keyId: string;
  /** Raw 32-byte Ed25519 public key (RFC 8032 encoding). */
  readonly publicKey: Buffer;
  sign(message: Buffer): Buffer;
}

export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

export function keyIdOf(publicKey: Buffer): string {
  return crypto.hash('sha256', publicKey, 'hex');
}

export function publicKeyObject(raw: Buffer): crypto.KeyObject {
  if (raw.length !== ED25519_PUBLIC_KEY_SIZE) throw new Error('An Ed25519 public key is 32 bytes');
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function rawPublicKey(key: crypto.KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new Error('Not an Ed25519 key');
  }
  return Buffer.from(jwk.x, 'base64url');
}

/** Verifies with a raw public key; false (never a throw) for malformed keys or signatures. */
// Verifiers check thousands of signatures by one key; importing it once saves most of the cost.
let lastKey: { raw: Buffer; object: crypto.KeyObject } | null = null;

function keyObjectFor(raw: Buffer): crypto.KeyObject {
  if (lastKey && lastKey.raw.equals(raw)) return lastKey.object;
  const object = publicKeyObject(raw);
  lastKey = { raw: Buffer.from(raw), object };
  return object;
}

export function verifyEd25519(publicKey: Buffer | crypto.KeyObject, message: Buffer, signature: Buffer): boolean {
  try {
    const key = Buffer.isBuffer(publicKey) ? keyObjectFor(publicKey) : publicKey;
    return signature.length === ED25519_SIGNATURE_SIZE && crypto.verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** A signer over a private key held by the caller (PKCS#8 DER, as stored in the keychain). */
export function signerFromPrivateKey(pkcs8: Buffer): EvidenceSigner {
  const privateKey = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('The evidence signing key must be Ed25519');
  const publicKey = rawPublicKey(crypto.createPublicKey(privateKey));
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    sign: (message) => crypto.sign(null, message, privateKey),
  };
}

/** A fresh key pair: PKCS#8 DER private half for the keychain, raw public half for the tenant record. */
export function generateSigningKey(): { privateKey: Buffer; publicKey: Buffer } {
  const pair = crypto.generateKeyPairSync('ed25519');
  return {
    privateKey: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
    publicKey: rawPublicKey(pair.publicKey),
  };
}

/** Reads a public key given as a C2SP vkey line, PEM SPKI, or base64 of the raw 32 bytes. */
export function parsePublicKeyText(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.includes('-----BEGIN')) {
    return rawPublicKey(crypto.createPublicKey({ key: trimmed, format: 'pem' }));
  }
  // <name>+<hex key hash>+<base64(type || key)>: names hold no '+', but base64 may.
  const vkey = /^([^\s+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(trimmed);
  if (vkey) {
    const material = Buffer.from(vkey[3] as string, 'base64');
    if (material.length === ED25519_PUBLIC_KEY_SIZE + 1 && material[0] === 0x01) return material.subarray(1);
    throw new Error('The verifier key is not an Ed25519 (type 0x01) key');
  }
  const raw = Buffer.from(trimmed, 'base64');
  if (raw.length === ED25519_PUBLIC_KEY_SIZE && raw.toString('base64') === trimmed) return raw;
  throw new Error('Not a public key: expected a C2SP verifier key, a PEM public key, or base64 of 32 bytes');
}

import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { idTokenAlgorithms } from '../identity';
import { attestationNonce, checkAttestation } from './attestation';

// One list of ID-token algorithms (core/identity/algorithms.ts): every one the server's bearer
// check accepts also verifies in the offline attestation check, signed by a real JOSE library;
// a symmetric one never does, and a signature by another key of the same kind fails.

const REQUEST = 'apr_00000000-0000-4000-8000-000000000001';
const DIGEST = 'a'.repeat(64);

async function attested(alg: string, signWith?: CryptoKey | Uint8Array) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg };
  const random = 'r'.repeat(43);
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({
    nonce: attestationNonce(REQUEST, DIGEST, 'approve', random),
    auth_time: now,
  })
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuer('https://idp.example')
    .setSubject('alice')
    .setAudience('cavra')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(signWith ?? privateKey);
  return checkAttestation({
    request_id: REQUEST,
    action_sha256: DIGEST,
    event: 'approved',
    attestation: {
      id_token: token,
      nonce_random: random,
      issuer: 'https://idp.example',
      subject: 'alice',
      jwks: { keys: [jwk] },
    },
  });
}

describe('attestation algorithms', () => {
  it.each(idTokenAlgorithms.map((alg) => [alg]))('%s verifies offline, and not with another key', async (alg) => {
    const good = await attested(alg);
    expect(good.problems).toEqual([]);
    expect(good.ok).toBe(true);
    const other = (await jose.generateKeyPair(alg)).privateKey;
    const forged = await attested(alg, other);
    expect(forged.ok).toBe(false);
    expect(forged.problems.join()).toMatch(/signature does not verify/);
  });

  it('refuses a symmetric signature (HS256), whatever its key', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32));
    const token = await new jose.SignJWT({ nonce: 'x', auth_time: 1 })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer('https://idp.example')
      .setSubject('alice')
      .setIssuedAt(1)
      .sign(secret);
    const check = checkAttestation({
      request_id: REQUEST,
      action_sha256: DIGEST,
      event: 'approved',
      attestation: {
        id_token: token,
        nonce_random: 'r',
        issuer: 'https://idp.example',
        subject: 'alice',
        jwks: { keys: [{ kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'k1' }] },
      },
    });
    expect(check.ok).toBe(false);
    expect(check.problems.join()).toMatch(/signature does not verify/);
  });
});

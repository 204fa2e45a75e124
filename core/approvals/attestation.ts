import crypto from 'node:crypto';
import { BUNDLE_FILES, verifyBundle } from '../evidence';
import type { BundleVerification, VerifyOptions } from '../evidence';
import { idTokenAlgorithms } from '../identity';
import type { IdTokenAlgorithm } from '../identity';

/**
 * IdP-attested verdicts (SPEC §5). For a verdict on an `attest: idp` route the reviewer signs
 * in afresh at the tenant's IdP (prompt=login, max_age) with a nonce that commits to exactly
 * this verdict:
 *
 *   nonce = base64url(SHA-256(request_id "\n" action_sha256 "\n" verdict "\n" random))
 *
 * The approval record keeps the ID token (the IdP's signed, public assertion; never the access
 * or refresh token), `random`, and the IdP's JWKS as fetched then. Anyone holding the record can
 * check offline that the IdP authenticated this human, when, for this request, action and verdict.
 * A stolen refresh token cannot produce one (a refresh carries no fresh authentication and no
 * nonce of ours); neither can the agent (it cannot complete the IdP's login).
 */
export interface Attestation {
  idToken: string;
  random: string;
  issuer: string;
  subject: string;
  /** When the IdP authenticated the person (`auth_time`), ISO 8601. */
  authTime: string;
  name: string | null;
  /** The IdP's public keys when the token was checked (a snapshot for offline verification). */
  jwks: { keys: Record<string, unknown>[] };
}

/** How fresh the sign-in must be: `max_age` sent to the IdP and checked on `auth_time`. */
export const ATTESTATION_MAX_AGE_S = 300;

export function attestationNonce(requestId: string, actionSha256: string, verdict: string, random: string): string {
  return crypto
    .createHash('sha256')
    .update(`${requestId}\n${actionSha256}\n${verdict}\n${random}`, 'utf8')
    .digest('base64url');
}

/** What verification found for one attested verdict. */
export interface AttestationCheck {
  ok: boolean;
  /** The human the IdP authenticated, as the token names them. */
  issuer: string | null;
  subject: string | null;
  name: string | null;
  authTime: string | null;
  /** Why it does not verify (empty when it does). */
  problems: string[];
}

/** The verdict an approval event stands for: its nonce commits to it. */
export function verdictOf(event: string): 'approve' | 'deny' | null {
  if (event === 'approved' || event === 'break_glass') return 'approve';
  if (event === 'denied') return 'deny';
  return null;
}

/**
 * Checks an attestation as an approval record carries it, with no network: the ID token's
 * signature against the JWKS snapshot (or `pinnedJwks`, an auditor's own copy of the IdP's
 * keys), its issuer and subject against the record, the nonce against this request id, action
 * digest and verdict, and that the authentication was fresh when the token was issued.
 */
export function checkAttestation(
  record: { request_id: unknown; action_sha256: unknown; event: unknown; attestation: unknown },
  pinnedJwks?: { keys: Record<string, unknown>[] },
): AttestationCheck {
  const problems: string[] = [];
  const attestation = record.attestation as Record<string, unknown> | undefined;
  const result: AttestationCheck = { ok: false, issuer: null, subject: null, name: null, authTime: null, problems };
  if (!attestation || typeof attestation !== 'object') {
    problems.push('no attestation');
    return result;
  }
  const token = typeof attestation.id_token === 'string' ? attestation.id_token : '';
  const parts = token.split('.');
  if (parts.length !== 3) {
    problems.push('the ID token is not a signed JWT');
    return result;
  }
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    problems.push('the ID token cannot be decoded');
    return result;
  }
  result.issuer = typeof claims.iss === 'string' ? claims.iss : null;
  result.subject = typeof claims.sub === 'string' ? claims.sub : null;
  result.name = typeof claims.name === 'string' ? claims.name : typeof claims.email === 'string' ? claims.email : null;
  result.authTime = typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000).toISOString() : null;

  const jwks = pinnedJwks ?? (attestation.jwks as { keys?: Record<string, unknown>[] } | undefined);
  if (!signatureVerifies(token, header, jwks?.keys ?? [])) {
    problems.push(
      pinnedJwks
        ? 'the ID token signature does not verify against the pinned IdP keys'
        : 'the ID token signature does not verify against the IdP keys in the record',
    );
  }
  if (result.issuer !== attestation.issuer) problems.push('the token’s issuer differs from the recorded issuer');
  if (result.subject !== attestation.subject) problems.push('the token’s subject differs from the recorded subject');
  const verdict = verdictOf(String(record.event));
  const random = typeof attestation.nonce_random === 'string' ? attestation.nonce_random : '';
  const expected =
    verdict && random
      ? attestationNonce(String(record.request_id), String(record.action_sha256), verdict, random)
      : null;
  if (expected === null || claims.nonce !== expected) {
    problems.push('the token was not issued for this request, action and verdict (nonce mismatch)');
  }
  if (typeof claims.auth_time !== 'number' || typeof claims.iat !== 'number') {
    problems.push('the token does not say when the person authenticated (auth_time)');
  } else if (claims.iat - claims.auth_time > ATTESTATION_MAX_AGE_S + 60) {
    problems.push(`the authentication was not fresh (more than ${ATTESTATION_MAX_AGE_S} s before the token)`);
  }
  result.ok = problems.length === 0;
  return result;
}

/** How each accepted algorithm verifies (typed by the one list, so none can be missing here). */
const ALGORITHMS: Record<IdTokenAlgorithm, { hash: string | null; options?: Partial<crypto.VerifyKeyObjectInput> }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', options: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  PS384: { hash: 'sha384', options: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 } },
  PS512: { hash: 'sha512', options: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  // Ed25519 hashes internally: node takes no digest name for it.
  EdDSA: { hash: null },
};

function signatureVerifies(token: string, header: Record<string, unknown>, keys: Record<string, unknown>[]): boolean {
  const alg = typeof header.alg === 'string' ? header.alg : '';
  if (!(idTokenAlgorithms as readonly string[]).includes(alg)) return false;
  const spec = ALGORITHMS[alg as IdTokenAlgorithm];
  const [head, body, signature] = token.split('.') as [string, string, string];
  const candidates = keys.filter((key) => header.kid === undefined || key.kid === header.kid);
  for (const jwk of candidates) {
    try {
      const key = crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
      if (
        crypto.verify(
          spec.hash,
          Buffer.from(`${head}.${body}`),
          { key, ...spec.options },
          Buffer.from(signature, 'base64url'),
        )
      ) {
        return true;
      }
    } catch {
      // A key that is not a usable public key for this algorithm verifies nothing.
    }
  }
  return false;
}

/** One attested verdict found in a ledger or bundle, and what checking it found. */
export interface AttestedVerdict extends AttestationCheck {
  seq: number;
  requestId: string;
  event: string;
  by: string;
  actionSha256: string;
}

/**
 * Collects and checks every attested verdict while a verifier streams the records (one pass,
 * no network): hand `records` to the verifier, read `verdicts` afterwards.
 */
function attestationCollector(pinnedJwks?: { keys: Record<string, unknown>[] }): {
  records: NonNullable<VerifyOptions['records']>;
  verdicts: AttestedVerdict[];
} {
  const verdicts: AttestedVerdict[] = [];
  return {
    verdicts,
    records: {
      types: ['approval'],
      see({ seq, payload }) {
        if (payload.attestation === undefined) return;
        const check = checkAttestation(
          {
            request_id: payload.request_id,
            action_sha256: payload.action_sha256,
            event: payload.event,
            attestation: payload.attestation,
          },
          pinnedJwks,
        );
        verdicts.push({
          ...check,
          seq,
          requestId: String(payload.request_id),
          event: String(payload.event),
          by: String(payload.by),
          actionSha256: String(payload.action_sha256),
        });
      },
    },
  };
}

/**
 * An evidence bundle verified with its IdP-attested approval verdicts checked in the same pass
 * (`cavra evidence verify` and Offline review): a verdict whose ID token does not commit to its
 * request, action and verdict fails the bundle at that record, like any other broken record.
 */
export async function verifyAttestedBundle(
  dir: string,
  options: Omit<VerifyOptions, 'records'> & { pinnedJwks?: { keys: Record<string, unknown>[] } } = {},
): Promise<BundleVerification & { attestations: AttestedVerdict[] }> {
  const { pinnedJwks, ...verify } = options;
  const attested = attestationCollector(pinnedJwks);
  const result = await verifyBundle(dir, { ...verify, records: attested.records });
  const bad = attested.verdicts.find((verdict) => !verdict.ok);
  if (!result.ok || !bad) return { ...result, attestations: attested.verdicts };
  return {
    ...result,
    ok: false,
    failure: {
      kind: 'integrity',
      file: BUNDLE_FILES.records,
      seq: bad.seq,
      reason: `the IdP attestation of approval ${bad.requestId} (${bad.event}) does not verify: ${bad.problems.join('; ')}`,
    },
    attestations: attested.verdicts,
  };
}

import { z } from 'zod';
import { editionSchema, tenantIdSchema } from '../contract';
import type { BuildChannel, LicenseSigner, LicenseSummary } from '../contract';
import { EnvelopeError, keyIdOf, openEnvelope, signEnvelope } from '../evidence';
import type { DsseEnvelope, EvidenceSigner } from '../evidence';
import { trustedLicenseKeys } from './keys';
import { buildChannel } from './build-channel';

/*
 * The signed documents of licensing, each a DSSE envelope (the one implementation in
 * core/evidence) over a JSON payload: the license itself, and the vendor's revocation list.
 * The payload type binds the signature to the kind of document, so a revocation list can
 * never be replayed as a license or the other way round.
 */
export const LICENSE_PAYLOAD_TYPE = 'application/vnd.cavra.license+json';
export const REVOCATIONS_PAYLOAD_TYPE = 'application/vnd.cavra.license-revocations+json';

const rfc3339 = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time' });
const licenseIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/, 'must be 3–64 letters, digits, ".", "_" or "-"');

export const licensePayloadSchema = z
  .strictObject({
    format: z.literal('cavra-license'),
    version: z.literal(1),
    license_id: licenseIdSchema,
    edition: editionSchema,
    tenant: tenantIdSchema,
    evaluator: z.string().min(1).max(254),
    // Unknown feature names are kept (a newer vendor may add some) and enable nothing here.
    features: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/)).max(64),
    not_before: rfc3339,
    expires_at: rfc3339,
    issued_at: rfc3339,
    issuer: z.string().min(1).max(200).optional(),
  })
  .refine((p) => Date.parse(p.not_before) < Date.parse(p.expires_at), {
    message: 'expires_at must be after not_before',
    path: ['expires_at'],
  });
export type LicensePayload = z.infer<typeof licensePayloadSchema>;

export const revocationListPayloadSchema = z.strictObject({
  format: z.literal('cavra-license-revocations'),
  version: z.literal(1),
  issued_at: rfc3339,
  revoked: z
    .array(z.strictObject({ license_id: licenseIdSchema, revoked_at: rfc3339, reason: z.string().min(1).max(500) }))
    .max(100_000),
});
export type RevocationListPayload = z.infer<typeof revocationListPayloadSchema>;

/** A document that cannot be used, with the reason a person can act on. */
export class LicenseDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LicenseDocumentError';
  }
}

export interface Verified<T> {
  payload: T;
  signer: LicenseSigner;
}

function parseEnvelope(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LicenseDocumentError(`The ${what} is not JSON: give the signed file exactly as the vendor sent it`);
  }
}

/**
 * Opens a signed document with the first trusted key that signed it. A document signed only
 * by the demo key in a production build is refused by name, so nobody mistakes it for a
 * damaged file.
 */
function openSigned(text: string, payloadType: string, what: string, channel: BuildChannel): Verified<unknown> {
  const envelope = parseEnvelope(text, what);
  const problems: string[] = [];
  for (const key of trustedLicenseKeys(channel)) {
    try {
      const body = openEnvelope(envelope, payloadType, key.publicKey, keyIdOf(key.publicKey));
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        throw new LicenseDocumentError(`The ${what}'s signed payload is not JSON`);
      }
      return { payload, signer: key.signer };
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      if (error.kind === 'format') {
        throw new LicenseDocumentError(`The ${what} is not a signed CAVRA ${what}: ${error.message}`);
      }
      problems.push(error.message);
    }
  }
  if (channel === 'production') {
    const demo = trustedLicenseKeys('demo').find((key) => key.signer === 'demo');
    try {
      if (demo) {
        openEnvelope(envelope, payloadType, demo.publicKey, keyIdOf(demo.publicKey));
        throw new LicenseDocumentError(
          `The ${what} is signed with the demo key, which production builds never trust; ask the vendor for a ${what} signed with the vendor key`,
        );
      }
    } catch (error) {
      if (error instanceof LicenseDocumentError) throw error;
    }
  }
  throw new LicenseDocumentError(
    `The ${what}'s signature does not verify with the vendor key pinned in this build (it was altered, or signed by someone else)`,
  );
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(document)'} ${issue.message}` : 'invalid';
}

export function verifyLicenseDocument(text: string, channel: BuildChannel = buildChannel): Verified<LicensePayload> {
  const opened = openSigned(text, LICENSE_PAYLOAD_TYPE, 'license', channel);
  const parsed = licensePayloadSchema.safeParse(opened.payload);
  if (!parsed.success)
    throw new LicenseDocumentError(`The license is signed but malformed: ${describeIssue(parsed.error)}`);
  return { payload: parsed.data, signer: opened.signer };
}

export function verifyRevocationList(
  text: string,
  channel: BuildChannel = buildChannel,
): Verified<RevocationListPayload> {
  const opened = openSigned(text, REVOCATIONS_PAYLOAD_TYPE, 'revocation list', channel);
  const parsed = revocationListPayloadSchema.safeParse(opened.payload);
  if (!parsed.success) {
    throw new LicenseDocumentError(`The revocation list is signed but malformed: ${describeIssue(parsed.error)}`);
  }
  return { payload: parsed.data, signer: opened.signer };
}

export function licenseSummary(verified: Verified<LicensePayload>): LicenseSummary {
  const p = verified.payload;
  return {
    licenseId: p.license_id,
    edition: p.edition,
    tenant: p.tenant,
    evaluator: p.evaluator,
    features: [...p.features],
    notBefore: p.not_before,
    expiresAt: p.expires_at,
    issuedAt: p.issued_at,
    signer: verified.signer,
  };
}

/** Signs a license (the vendor's service does this; tests and demos sign with the demo key). */
export function signLicense(payload: LicensePayload, signer: EvidenceSigner): DsseEnvelope {
  return signEnvelope(LICENSE_PAYLOAD_TYPE, Buffer.from(JSON.stringify(payload), 'utf8'), signer);
}

export function signRevocationList(payload: RevocationListPayload, signer: EvidenceSigner): DsseEnvelope {
  return signEnvelope(REVOCATIONS_PAYLOAD_TYPE, Buffer.from(JSON.stringify(payload), 'utf8'), signer);
}

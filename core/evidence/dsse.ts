import type { EvidenceSigner } from './signing';
import { verifyEd25519 } from './signing';

/**
 * DSSE v1 envelopes (github.com/secure-systems-lab/dsse). The signature covers the
 * pre-authentication encoding, never the JSON envelope, so re-serializing the envelope
 * cannot change what was signed:
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 * with LEN the byte length as ASCII decimal.
 */

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: { keyid: string; sig: string }[];
}

export class EnvelopeError extends Error {
  /** `format`: not a DSSE envelope of the expected type; `signature`: no valid signature by the key. */
  constructor(
    message: string,
    readonly kind: 'format' | 'signature' = 'format',
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

export function signEnvelope(payloadType: string, payload: Buffer, signer: EvidenceSigner): DsseEnvelope {
  return {
    payload: payload.toString('base64'),
    payloadType,
    signatures: [{ keyid: signer.keyId, sig: signer.sign(pae(payloadType, payload)).toString('base64') }],
  };
}

/**
 * Returns the payload once a signature by `publicKey` verifies over it. Signatures by
 * other keys are ignored; at least one by this key must verify and none may fail.
 */
export function openEnvelope(envelope: unknown, expectedType: string, publicKey: Buffer, keyId: string): Buffer {
  if (typeof envelope !== 'object' || envelope === null) throw new EnvelopeError('the envelope is not a JSON object');
  const { payload, payloadType, signatures } = envelope as Record<string, unknown>;
  if (typeof payload !== 'string' || typeof payloadType !== 'string' || !Array.isArray(signatures)) {
    throw new EnvelopeError('the envelope lacks payload, payloadType or signatures');
  }
  if (payloadType !== expectedType)
    throw new EnvelopeError(`the payload type is "${payloadType}", not "${expectedType}"`);
  const body = Buffer.from(payload, 'base64');
  if (body.toString('base64') !== payload) throw new EnvelopeError('the payload is not canonical base64');
  const message = pae(payloadType, body);
  let verified = false;
  for (const entry of signatures as unknown[]) {
    if (typeof entry !== 'object' || entry === null) throw new EnvelopeError('a signature entry is malformed');
    const { keyid, sig } = entry as Record<string, unknown>;
    if (typeof sig !== 'string') throw new EnvelopeError('a signature entry has no sig');
    // A keyid is a hint only (DSSE); an entry without one is tried against the key.
    if (keyid !== undefined && keyid !== '' && keyid !== keyId) continue;
    if (!verifyEd25519(publicKey, message, Buffer.from(sig, 'base64'))) {
      throw new EnvelopeError('the envelope signature does not verify with the tenant key', 'signature');
    }
    verified = true;
  }
  if (!verified) throw new EnvelopeError('the envelope carries no signature by the tenant key', 'signature');
  return body;
}

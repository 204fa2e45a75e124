import { canonicalize } from './canonical-json';
import type { TombstonePayload } from './record-types';
import type { EvidenceSigner } from './signing';
import { verifyEd25519 } from './signing';

/**
 * A tombstone is the signed statement that retention pruned a range of payloads. It is a
 * ledger record itself (so the chain and the next checkpoint cover it) and also carries its
 * own Ed25519 signature, so an auditor holding only the tombstone can check who pruned what.
 * The signature covers the domain-separated JCS of every field but `signature`.
 */
const DOMAIN = 'cavra-tombstone/v1\n';

export type TombstoneStatement = Omit<TombstonePayload, 'signature'>;

function message(statement: TombstoneStatement): Buffer {
  return Buffer.from(DOMAIN + canonicalize(statement), 'utf8');
}

export function signTombstone(statement: TombstoneStatement, signer: EvidenceSigner): TombstonePayload {
  return { ...statement, signature: signer.sign(message(statement)).toString('base64') };
}

export function verifyTombstone(payload: TombstonePayload, publicKey: Buffer): boolean {
  const { signature, ...statement } = payload;
  return verifyEd25519(publicKey, message(statement), Buffer.from(signature, 'base64'));
}

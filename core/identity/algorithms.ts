/**
 * The JWS algorithms CAVRA accepts on an IdP's tokens — bearer tokens at the server and the ID
 * tokens that attest approval verdicts, checked online or offline from a bundle. One list, so
 * a token the server takes is never one an offline verifier rejects (or the reverse).
 * Asymmetric only: an HMAC "signature" would be made with a secret the verifier also holds.
 */
export const idTokenAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
] as const;
export type IdTokenAlgorithm = (typeof idTokenAlgorithms)[number];

import type { PackDocument } from './pack-schema';

/**
 * Built-in packs parsed and validated at build time (scripts/build.mjs puts them into the
 * bundles), keyed by the SHA-256 of the exact pack text. Parsing YAML and validating it cost
 * most of a `cavra` process's start; a pack file whose text is byte for byte the one built
 * skips both, and any other text (an edited or tampered file, a tenant's own pack) is parsed
 * and validated as always. Digests and pack-test results are those of the text, so they do
 * not change. Unbundled (tests, tsx) there is nothing pre-parsed.
 */
declare const __CAVRA_PREPARSED_PACKS__: Readonly<Record<string, PackDocument>> | undefined;

const preparsed: Readonly<Record<string, PackDocument>> =
  typeof __CAVRA_PREPARSED_PACKS__ === 'undefined' ? {} : __CAVRA_PREPARSED_PACKS__;

/** The document built for this exact text (by its SHA-256), or null. */
export function preparsedDocument(sha256: string): PackDocument | null {
  return Object.hasOwn(preparsed, sha256) ? (preparsed[sha256] as PackDocument) : null;
}

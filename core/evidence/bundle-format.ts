import { z } from 'zod';

/**
 * The evidence bundle: a directory an auditor can carry to an offline machine. FORMAT.md
 * in this folder documents it for people; this file is the same definition for code.
 */
export const BUNDLE_FORMAT = 'cavra-evidence-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://cavra.dev/attestations/evidence-bundle/v1';

export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  statement: 'statement.dsse.json',
  records: 'records.jsonl',
  inclusionProofs: 'inclusion-proofs.jsonl',
  checkpoints: 'checkpoints.jsonl',
  consistencyProofs: 'consistency-proofs.jsonl',
  tombstones: 'tombstones.jsonl',
  publicKey: 'tenant-key.pub',
} as const;

/** Files the manifest lists with their digests (the statement signs the manifest itself). */
export const LISTED_FILES = [
  BUNDLE_FILES.records,
  BUNDLE_FILES.inclusionProofs,
  BUNDLE_FILES.checkpoints,
  BUNDLE_FILES.consistencyProofs,
  BUNDLE_FILES.tombstones,
  BUNDLE_FILES.publicKey,
] as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const base64Hash = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);
const count = z.number().int().nonnegative();

export const manifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  format_version: z.literal(BUNDLE_FORMAT_VERSION),
  tenant: z.string().min(1),
  origin: z.string().min(1),
  created_at: z.string(),
  key: z.strictObject({ key_id: hex64, vkey: z.string() }),
  range: z.strictObject({
    from_seq: count,
    to_seq: count,
    count: z.number().int().positive(),
    from_time: z.string(),
    to_time: z.string(),
  }),
  tree: z.strictObject({ size: z.number().int().positive(), root: base64Hash, time: z.string() }),
  files: z.array(z.strictObject({ path: z.string(), sha256: hex64, bytes: count })),
});
export type BundleManifest = z.infer<typeof manifestSchema>;

export const statementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.strictObject({ name: z.string(), digest: z.strictObject({ sha256: hex64 }) })).length(1),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.strictObject({
    tenant: z.string(),
    origin: z.string(),
    format_version: z.number(),
    range: z.strictObject({ from_seq: count, to_seq: count, count }),
    tree: z.strictObject({ size: count, root: z.string() }),
    key_id: z.string(),
  }),
});
export type BundleStatement = z.infer<typeof statementSchema>;

/**
 * One line of records.jsonl: the hashed header fields, the payload, and the pruning note.
 * Inclusion and tombstone lines are read by the one parser in record-line.ts.
 */
export interface RecordLine {
  v: number;
  seq: number;
  time: string;
  type: string;
  prev: string;
  payload_sha256: string;
  payload: unknown;
  pruned_by?: number;
}

export const checkpointLineSchema = z.strictObject({ size: z.number().int().positive(), note: z.string() });

export const consistencyLineSchema = z.strictObject({
  from_size: z.number().int().positive(),
  to_size: z.number().int().positive(),
  path: z.array(base64Hash).max(128),
});

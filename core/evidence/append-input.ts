import { CanonicalJsonError, canonicalize } from './canonical-json';
import { LedgerInputError } from './errors';
import { MAX_PAYLOAD_BYTES, payloadDigest } from './record';
import type { RecordIndex, RecordType } from './record-types';
import { isRecordType, recordTypeSpec } from './record-types';

/** A record a caller asked to append, checked and canonicalised, ready to be chained. */
export interface PreparedAppend {
  type: RecordType;
  canonical: string;
  digest: Buffer;
  index: RecordIndex;
}

/**
 * The one gate every appended record passes, whichever store holds the ledger: an appendable
 * type, a payload its schema accepts, canonical JSON within the size limit.
 */
export function prepareAppend(input: { type: string; payload: unknown }): PreparedAppend {
  if (!isRecordType(input.type) || !recordTypeSpec(input.type).appendable) {
    throw new LedgerInputError(`"${String(input.type)}" is not a record type callers may append`);
  }
  const spec = recordTypeSpec(input.type);
  const parsed = spec.schema.safeParse(input.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LedgerInputError(
      `${input.type} payload: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid'}`,
    );
  }
  let canonical: string;
  try {
    canonical = canonicalize(input.payload);
  } catch (error) {
    if (error instanceof CanonicalJsonError) throw new LedgerInputError(`${input.type} payload: ${error.message}`);
    throw error;
  }
  if (Buffer.byteLength(canonical) > MAX_PAYLOAD_BYTES) {
    throw new LedgerInputError(`${input.type} payload is larger than ${MAX_PAYLOAD_BYTES} bytes`);
  }
  return { type: input.type, canonical, digest: payloadDigest(canonical), index: spec.index(input.payload) };
}

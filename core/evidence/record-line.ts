import crypto from 'node:crypto';
import { CanonicalJsonError, canonicalize } from './canonical-json';
import type { RecordHeader } from './record';
import { recordHash } from './record';

/*
 * The one parser of a bundle's record line and inclusion line (HOUSE rule 13): records.jsonl,
 * inclusion-proofs.jsonl and the two halves of a tombstones.jsonl line all go through here.
 * A line in canonical form (what the exporter writes) takes a fast path that skips JSON.parse;
 * any other well-formed line (re-serialized by another tool) is parsed, checked field by field
 * and its payload canonicalized, so both paths accept and refuse exactly the same lines.
 */

/** A line that is not a well-formed record or proof. `seq` when the line names one. */
export class RecordLineError extends Error {
  constructor(
    message: string,
    readonly seq?: number,
    /** True when the text is not JSON at all (truncated or edited). */
    readonly notJson = false,
  ) {
    super(message);
    this.name = 'RecordLineError';
  }
}

/** One record of a bundle: the hashed header, its hash, the canonical payload, the pruning note. */
export interface ParsedRecord {
  header: RecordHeader;
  hash: Buffer;
  /** The canonical payload bytes, or null when retention pruned the payload. */
  payload: Buffer | null;
  prunedBy: number | null;
}

export interface InclusionLine {
  seq: number;
  /** The size of the tree the path leads to: at least 1 (a proof into an empty tree proves nothing). */
  tree_size: number;
  /** Base64 SHA-256 hashes, leaf to root. */
  path: string[];
}

const RECORD_FIELDS = new Set(['v', 'seq', 'time', 'type', 'prev', 'payload_sha256', 'payload', 'pruned_by']);
const HEX64 = /^[0-9a-f]{64}$/;
const BASE64_HASH = /^[A-Za-z0-9+/]{43}=$/;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const MAX_PATH = 64;

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RecordLineError('not valid JSON (truncated or edited)', undefined, true);
  }
}

function seqOf(raw: unknown): number | undefined {
  const seq = (raw as { seq?: unknown } | null)?.seq;
  return isCount(seq) ? seq : undefined;
}

/** A record line already parsed from JSON (the general path, and a tombstone line's `record`). */
export function recordFromObject(raw: unknown): ParsedRecord {
  const refuse = (reason: string) => new RecordLineError(reason, seqOf(raw));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw refuse('a record line must be a JSON object');
  const r = raw as Record<string, unknown>;
  for (const key in r) if (!RECORD_FIELDS.has(key)) throw refuse(`unexpected field "${key}"`);
  if (!Number.isSafeInteger(r.v)) throw refuse('v must be an integer');
  if (!isCount(r.seq)) throw refuse('seq must be a sequence number');
  if (typeof r.time !== 'string') throw refuse('time must be a string');
  if (typeof r.type !== 'string' || r.type.length === 0 || r.type.length > 64)
    throw refuse('type must be a short string');
  if (typeof r.prev !== 'string' || !HEX64.test(r.prev)) throw refuse('prev must be a hex SHA-256');
  if (typeof r.payload_sha256 !== 'string' || !HEX64.test(r.payload_sha256))
    throw refuse('payload_sha256 must be a hex SHA-256');
  if (!('payload' in r)) throw refuse('payload is missing');
  if (r.pruned_by !== undefined && !isCount(r.pruned_by)) throw refuse('pruned_by must be a sequence number');
  const header: RecordHeader = {
    v: r.v as number,
    seq: r.seq,
    time: r.time,
    type: r.type,
    prev: r.prev,
    payload_sha256: r.payload_sha256,
  };
  let payload: Buffer | null = null;
  if (r.payload !== null) {
    try {
      payload = Buffer.from(canonicalize(r.payload), 'utf8');
    } catch (error) {
      if (error instanceof CanonicalJsonError) throw new RecordLineError(`record ${r.seq}: ${error.message}`, r.seq);
      throw error;
    }
  }
  return { header, hash: recordHash(header), payload, prunedBy: (r.pruned_by as number | undefined) ?? null };
}

/**
 * The tail of a canonical record line: records.jsonl lines are JCS, so `payload` comes first
 * and these members follow in this order with these value shapes.
 */
const RECORD_TAIL =
  /^,"payload_sha256":"([0-9a-f]{64})","prev":"([0-9a-f]{64})",(?:"pruned_by":(0|[1-9][0-9]{0,15}),)?"seq":(0|[1-9][0-9]{0,15}),"time":"([0-9:.TZ-]{24})","type":"([a-z][a-z_]{0,63})","v":(0|[1-9][0-9]{0,8})\}$/;
const RECORD_HEAD = Buffer.from('{"payload":');
const TAIL_MARK = ',"payload_sha256":"';
const NULL = Buffer.from('null');

/**
 * One records.jsonl line. For a line in canonical form the payload bytes are taken as they
 * stand: if they match payload_sha256 (the verifier checks) they are, short of a SHA-256
 * collision, exactly the canonical text the ledger hashed, so they need neither parsing nor
 * re-canonicalizing.
 */
export function parseRecordLine(bytes: Buffer): ParsedRecord {
  const head = bytes.length > RECORD_HEAD.length && bytes.subarray(0, RECORD_HEAD.length).equals(RECORD_HEAD);
  const tailAt = head ? bytes.lastIndexOf(TAIL_MARK) : -1;
  if (tailAt > 0) {
    // The tail is ASCII by construction of the pattern; latin1 decodes it without UTF-8 work.
    const tail = bytes.toString('latin1', tailAt);
    const m = RECORD_TAIL.exec(tail);
    if (m) {
      const payload = bytes.subarray(RECORD_HEAD.length, tailAt);
      const header: RecordHeader = {
        v: Number(m[7]),
        seq: Number(m[4]),
        time: m[5] as string,
        type: m[6] as string,
        prev: m[2] as string,
        payload_sha256: m[1] as string,
      };
      const prunedBy = m[3] === undefined ? null : Number(m[3]);
      // The tail already is the header's JCS text, save the pruning note and the opening brace.
      const members = tail.slice(1);
      const headerJcs = `{${prunedBy === null ? members : members.replace(`"pruned_by":${m[3]},`, '')}`;
      return {
        header,
        hash: crypto.hash('sha256', headerJcs, 'buffer'),
        payload: payload.equals(NULL) ? null : payload,
        prunedBy,
      };
    }
  }
  return recordFromObject(json(bytes.toString('utf8')));
}

/** An inclusion line already parsed from JSON (the general path, and a tombstone line's `proof`). */
export function inclusionFromObject(raw: unknown): InclusionLine {
  const refuse = (reason: string) => new RecordLineError(reason, seqOf(raw));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw refuse('a proof line must be a JSON object');
  const r = raw as Record<string, unknown>;
  for (const key in r)
    if (key !== 'seq' && key !== 'tree_size' && key !== 'path') throw refuse(`unexpected field "${key}"`);
  if (!isCount(r.seq)) throw refuse('seq must be a sequence number');
  if (!isCount(r.tree_size) || r.tree_size < 1) throw refuse('tree_size must be a tree size of at least 1');
  if (!Array.isArray(r.path) || r.path.length > MAX_PATH) throw refuse('path must be a list of hashes');
  for (const hash of r.path)
    if (typeof hash !== 'string' || !BASE64_HASH.test(hash)) throw refuse('path must hold base64 SHA-256 hashes');
  return { seq: r.seq, tree_size: r.tree_size, path: r.path as string[] };
}

const PROOF_HEAD = '{"path":[';
let lastPath: readonly string[] = [];
const PROOF_TAIL = /\],"seq":(0|[1-9][0-9]{0,15}),"tree_size":([1-9][0-9]{0,15})\}$/y;

/** One inclusion-proofs.jsonl line; canonical lines skip JSON.parse. */
export function parseInclusionLine(text: string): InclusionLine {
  const tailAt = text.startsWith(PROOF_HEAD) ? text.lastIndexOf('],"seq":') : -1;
  if (tailAt > 0) {
    PROOF_TAIL.lastIndex = tailAt;
    const m = PROOF_TAIL.exec(text);
    const list = text.slice(PROOF_HEAD.length, tailAt);
    if (m && (list.length === 0 || (list.startsWith('"') && list.endsWith('"')))) {
      const path = list.length === 0 ? [] : list.slice(1, -1).split('","');
      // Consecutive proofs share most of their path (the upper levels): a hash equal to the one
      // at the same step of the last accepted line was checked there already.
      const last = lastPath;
      if (path.length <= MAX_PATH && path.every((hash, k) => hash === last[k] || BASE64_HASH.test(hash))) {
        lastPath = path;
        return { seq: Number(m[1]), tree_size: Number(m[2]), path };
      }
    }
  }
  return inclusionFromObject(json(text));
}

/** One tombstones.jsonl line: a record line and its inclusion line, nothing else. */
export function parseTombstoneLine(text: string): { record: ParsedRecord; proof: InclusionLine } {
  const raw = json(text);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RecordLineError('a tombstone line must be a JSON object');
  const r = raw as Record<string, unknown>;
  for (const key in r) if (key !== 'record' && key !== 'proof') throw new RecordLineError(`unexpected field "${key}"`);
  return { record: recordFromObject(r.record), proof: inclusionFromObject(r.proof) };
}

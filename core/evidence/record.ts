import { canonicalize, quote } from './canonical-json';
import { leafHash, sha256 } from './merkle';

/**
 * One ledger record is a header plus a payload. The header is what gets hashed and chained:
 *
 *   record_hash = SHA-256(JCS(header))          the chain link: the next header's `prev`
 *   leaf        = SHA-256(0x00 || record_hash)  the RFC 6962 leaf over the record hash
 *
 * The header commits to the payload only through `payload_sha256` = SHA-256(JCS(payload)).
 * That indirection is what lets retention prune a payload — replace it with a signed
 * tombstone — while every record hash, chain link and Merkle root stays verifiable.
 */
export const RECORD_VERSION = 1;
export const GENESIS_PREV = '0'.repeat(64);
/** Payloads are evidence about one action, not a place for file contents. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export interface RecordHeader {
  v: number;
  seq: number;
  /** RFC 3339 UTC with milliseconds, as Date.prototype.toISOString writes it. */
  time: string;
  type: string;
  /** Hex record hash of the previous record, or 64 zeros for the first. */
  prev: string;
  payload_sha256: string;
}

/** A record as the ledger stores it: the header rebuilt, the hash it stored, the canonical payload. */
export interface StoredRecord {
  header: RecordHeader;
  recordHash: Buffer;
  /** Canonical JSON of the payload, or null once retention pruned it. */
  payload: string | null;
  /** The tombstone record that pruned the payload. */
  prunedBy: number | null;
}

/**
 * JCS of a header, written out directly: the members are fixed, already in code-unit order,
 * and their values are strings and integers, so this equals canonicalize(header) (a test
 * holds the two together) at a fraction of the cost.
 */
export function headerText(header: RecordHeader): string {
  if (!Number.isSafeInteger(header.seq) || !Number.isSafeInteger(header.v)) return canonicalize(header);
  return (
    `{"payload_sha256":${quote(header.payload_sha256)},"prev":${quote(header.prev)},` +
    `"seq":${header.seq},"time":${quote(header.time)},"type":${quote(header.type)},"v":${header.v}}`
  );
}

export function recordHash(header: RecordHeader): Buffer {
  return sha256(headerText(header));
}

export function recordLeaf(hash: Buffer): Buffer {
  return leafHash(hash);
}

export function payloadDigest(canonicalPayload: string): Buffer {
  return sha256(canonicalPayload);
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** The columns a ledger stores for a record, from which its header is rebuilt. */
export interface StoredHeaderColumns {
  seq: number;
  time_ms: number;
  type: string;
  payload_sha256: Buffer;
}

/** A stored record's header, rebuilt from its columns and linked to `prev` (hex). */
export function storedHeader(row: StoredHeaderColumns, prev: string): RecordHeader {
  return {
    v: RECORD_VERSION,
    seq: row.seq,
    time: isoTime(row.time_ms),
    type: row.type,
    prev,
    payload_sha256: row.payload_sha256.toString('hex'),
  };
}

/** A header time must be exactly what toISOString would write, so it has one byte form. */
export function parseIsoTime(text: string): number | null {
  // Verifying walks times in order, and most share their hour with the previous record.
  const hour = text.slice(0, 14);
  if (lastHour !== null && hour === lastHour.prefix && ISO_TAIL.test(text)) {
    const minutes = Number(text.slice(14, 16));
    const seconds = Number(text.slice(17, 19));
    if (minutes < 60 && seconds < 60)
      return lastHour.ms + minutes * 60_000 + seconds * 1000 + Number(text.slice(20, 23));
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(text)) return null;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms) || new Date(ms).toISOString() !== text) return null;
  lastHour = { prefix: hour, ms: Date.parse(`${hour}00:00.000Z`) };
  return ms;
}

const ISO_TAIL = /^.{14}\d{2}:\d{2}\.\d{3}Z$/;
let lastHour: { prefix: string; ms: number } | null = null;

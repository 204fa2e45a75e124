import crypto from 'node:crypto';
import type { SignedCheckpoint } from './checkpoint-note';
import { openCheckpoint } from './checkpoint-note';
import { MerkleFrontier } from './merkle';
import type { RecordHeader } from './record';
import { GENESIS_PREV, RECORD_VERSION, parseIsoTime, recordHash, recordLeaf } from './record';
import type { CheckpointPayload, TombstonePayload } from './record-types';
import { UNPRUNABLE_TYPES } from './record-types';
import { verifyTombstone } from './tombstone';

/*
 * The one record-stream verifier (HOUSE rule 13). The live ledger (Ledger.verify) and an
 * exported bundle (verifyBundle) feed it their records in order; it holds every rule about
 * a run of records — sequence, chain link, header hash, payload digest, time order, pruning
 * under signed tombstones, signed tombstones, checkpoint records, and the Merkle roots at
 * every signed checkpoint. What only one source has stays with that source: the ledger's
 * stored Merkle nodes and indexed columns, the bundle's files, manifest, DSSE statement,
 * consistency and inclusion proofs.
 */

/** The stream broke at `seq` (null: no single record is to blame). */
export class ChainBreak extends Error {
  constructor(
    readonly seq: number | null,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'ChainBreak';
  }
}

/** One record as a source reads it. */
export interface StreamRecord {
  header: RecordHeader;
  /** The canonical payload (bytes or text), or null once retention pruned it. */
  payload: Buffer | string | null;
  /** The tombstone record that pruned the payload. */
  prunedBy: number | null;
  /** The header's hash when the source has it already (a bundle's canonical line). */
  hash?: Buffer;
  /** The hash the source stored for this record, which the header must reproduce (the ledger). */
  storedHash?: Buffer;
}

export interface RecordStreamOptions {
  /** The tenant's public key; without one, no signature in the stream can be checked. */
  key: Buffer | null;
  origin: string;
  /** The first record the stream holds, the last, and the size of the signed tree they are part of. */
  fromSeq: number;
  toSeq: number;
  treeSize: number;
  /** Signed checkpoints by tree size, signatures already checked by the source (openCheckpoint). */
  checkpoints: ReadonlyMap<number, SignedCheckpoint>;
  /** Signed tombstones known before the stream (a bundle carries those that pruned its range). */
  tombstones?: ReadonlyMap<number, TombstonePayload>;
}

interface PrunedRun {
  min: number;
  max: number;
  count: number;
  maxTimeMs: number;
  /** The first pruned record of a type that is never pruned (checkpoints, tombstones). */
  unprunable: number | null;
}

export interface AcceptOptions {
  /** Told about every Merkle node the record completes (the ledger compares its stored nodes). */
  onNode?: (level: number, index: number, hash: Buffer) => void;
}

/** What a stream proved once it finished. */
export interface StreamOutcome {
  records: number;
  /** Signed checkpoint roots recomputed from the records themselves. */
  recomputedRoots: number;
  /** The last signed checkpoint whose root the records reproduced. */
  lastCheckpoint: SignedCheckpoint | null;
}

const unprunable = UNPRUNABLE_TYPES as readonly string[];

export class RecordStreamVerifier {
  private expected: number;
  private prevHash: string | null = null;
  private prevTimeMs = 0;
  private frontier: MerkleFrontier | null;
  private readonly tombstones: Map<number, TombstonePayload>;
  private readonly pruned = new Map<number, PrunedRun>();
  private recomputed = 0;
  private lastCheckpoint: SignedCheckpoint | null = null;

  constructor(private readonly options: RecordStreamOptions) {
    this.expected = options.fromSeq;
    this.frontier = options.fromSeq === 0 ? new MerkleFrontier() : null;
    this.tombstones = new Map(options.tombstones ?? []);
  }

  /** The size of the tree the records so far make, and its root (null before the frontier is known). */
  get size(): number {
    return this.frontier?.size ?? this.options.fromSeq;
  }

  root(): Buffer | null {
    return this.frontier ? this.frontier.root() : null;
  }

  /** A stream that starts mid-tree needs the subtrees in front of it (from an audit path) before its first record. */
  get needsFrontier(): boolean {
    return this.frontier === null;
  }

  startFrontier(lefts: Buffer[]): void {
    this.frontier = new MerkleFrontier(this.options.fromSeq, lefts);
  }

  /** Checks the next record and adds it to the tree; returns its hash and leaf. Throws ChainBreak. */
  accept(record: StreamRecord, accept: AcceptOptions = {}): { hash: Buffer; leaf: Buffer } {
    const { header } = record;
    const seq = header.seq;
    if (seq !== this.expected) {
      // The position where the stream broke is to blame, whichever record stands there.
      throw new ChainBreak(
        Math.min(this.expected, this.options.toSeq),
        this.expected > this.options.toSeq
          ? `record ${seq} follows the last record declared (${this.options.toSeq}): a record was inserted`
          : `expected record ${this.expected} here but found record ${seq}: a record was deleted, inserted or reordered`,
      );
    }
    const { hash, timeMs } = checkRecord(record);
    if (record.storedHash && !record.storedHash.equals(hash)) {
      throw new ChainBreak(seq, `record ${seq}: its stored hash does not match its header (edited, or chain broken)`);
    }
    if (this.prevHash !== null && header.prev !== this.prevHash) {
      throw new ChainBreak(seq, `record ${seq} does not link to record ${seq - 1}`);
    }
    if (timeMs < this.prevTimeMs) throw new ChainBreak(seq, `record ${seq} goes back in time`);

    const payload = record.payload;
    if (payload === null) this.notePruned(header, record.prunedBy, timeMs);
    else if (header.type === 'tombstone') this.tombstones.set(seq, openTombstone(seq, payload, this.options));
    else if (header.type === 'checkpoint') this.checkCheckpointRecord(seq, payload);

    if (!this.frontier) throw new Error('the stream starts mid-tree: startFrontier first');
    const leaf = recordLeaf(hash);
    this.frontier.append(leaf, accept.onNode);
    const cp = this.options.checkpoints.get(this.frontier.size);
    if (cp) {
      if (!this.frontier.root().equals(cp.root)) {
        throw new ChainBreak(
          seq,
          `the records up to ${seq} do not produce the signed root of the checkpoint at size ${cp.size}`,
        );
      }
      this.recomputed += 1;
      this.lastCheckpoint = cp;
    }
    this.prevHash = hash.toString('hex');
    this.prevTimeMs = timeMs;
    this.expected += 1;
    return { hash, leaf };
  }

  /** After the last record: the stream is whole, and every pruned record is under its signed tombstone. */
  finish(): StreamOutcome {
    const { fromSeq, toSeq, treeSize } = this.options;
    if (this.expected !== toSeq + 1) {
      throw new ChainBreak(
        null,
        `the records end at ${this.expected - 1} but records up to ${toSeq} are declared: the tail was cut off`,
      );
    }
    for (const size of this.options.checkpoints.keys()) {
      if (size > treeSize) throw new ChainBreak(null, `a checkpoint claims size ${size}, beyond the records`);
    }
    // Records pruned by a tombstone later in the stream (the ledger's order) are checked now.
    for (const [tombstoneSeq, run] of this.pruned) {
      const tombstone = this.tombstones.get(tombstoneSeq);
      if (!tombstone) {
        throw new ChainBreak(run.min, `record ${run.min} has no payload and no signed tombstone for it`);
      }
      this.checkRun(tombstoneSeq, tombstone, run);
    }
    for (const [seq, tombstone] of this.tombstones) {
      const { from_seq: from, to_seq: to, count } = tombstone;
      if (from < fromSeq || to > toSeq) continue;
      const held = this.pruned.get(seq)?.count ?? 0;
      if (held !== count)
        throw new ChainBreak(null, `tombstone ${seq} names ${count} pruned records, the range holds ${held}`);
    }
    return {
      records: this.expected - fromSeq,
      recomputedRoots: this.recomputed,
      lastCheckpoint: this.lastCheckpoint,
    };
  }

  private notePruned(header: RecordHeader, prunedBy: number | null, timeMs: number): void {
    if (prunedBy === null) {
      throw new ChainBreak(header.seq, `record ${header.seq} has no payload and no signed tombstone for it`);
    }
    const run = this.pruned.get(prunedBy) ?? {
      min: header.seq,
      max: header.seq,
      count: 0,
      maxTimeMs: 0,
      unprunable: null,
    };
    run.max = header.seq;
    run.count += 1;
    run.maxTimeMs = Math.max(run.maxTimeMs, timeMs);
    if (run.unprunable === null && unprunable.includes(header.type)) run.unprunable = header.seq;
    this.pruned.set(prunedBy, run);
    // A tombstone known already (a bundle's) judges each record as it comes, naming it.
    const tombstone = this.tombstones.get(prunedBy);
    if (tombstone)
      this.checkRun(prunedBy, tombstone, {
        ...run,
        min: header.seq,
        max: header.seq,
        maxTimeMs: timeMs,
        unprunable: unprunable.includes(header.type) ? header.seq : null,
      });
  }

  private checkRun(tombstoneSeq: number, tombstone: TombstonePayload, run: PrunedRun): void {
    const cutoff = parseIsoTime(tombstone.cutoff) ?? Date.parse(tombstone.cutoff);
    const outside =
      run.min < tombstone.from_seq
        ? run.min
        : run.max > tombstone.to_seq
          ? run.max
          : (run.unprunable ?? (!(run.maxTimeMs < cutoff) ? run.max : null));
    if (outside !== null) {
      throw new ChainBreak(outside, `record ${outside} is outside what tombstone ${tombstoneSeq} pruned`);
    }
  }

  /** A checkpoint record describes the tree of every record before it, under a signed note. */
  private checkCheckpointRecord(seq: number, payload: Buffer | string): void {
    const record = JSON.parse(payload.toString()) as CheckpointPayload;
    const { key, origin } = this.options;
    const listed = this.options.checkpoints.get(seq);
    if (listed && listed.note !== record.note) {
      throw new ChainBreak(seq, `record ${seq}: the checkpoint record does not match the signed checkpoint`);
    }
    let cp: SignedCheckpoint;
    try {
      if (!key) throw new Error('the tenant has no public key to check checkpoint signatures');
      // The same note, byte for byte, was opened by the source already.
      cp = listed ?? openCheckpoint(String(record.note), key, origin);
    } catch (error) {
      throw new ChainBreak(seq, `checkpoint record ${seq}: ${(error as Error).message}`);
    }
    if (cp.size !== seq || cp.root.toString('base64') !== record.root || cp.size !== record.size) {
      throw new ChainBreak(seq, `checkpoint record ${seq} does not describe the tree before it`);
    }
    if (this.frontier && this.frontier.size === seq && !this.frontier.root().equals(cp.root)) {
      throw new ChainBreak(seq, `the records before ${seq} do not produce its signed root`);
    }
  }
}

/**
 * The rules one record must meet wherever it stands: a known format version, a canonical
 * time, record 0 linking to nothing, a payload that matches its digest (or a pruning note,
 * never both). Returns the header's hash and time. Throws ChainBreak.
 */
export function checkRecord(record: StreamRecord): { hash: Buffer; timeMs: number } {
  const { header, payload } = record;
  const seq = header.seq;
  if (header.v !== RECORD_VERSION) throw new ChainBreak(seq, `record format version ${header.v} is unknown`);
  const timeMs = parseIsoTime(header.time);
  if (timeMs === null) throw new ChainBreak(seq, `record ${seq} has a malformed time`);
  if (seq === 0 && header.prev !== GENESIS_PREV)
    throw new ChainBreak(seq, 'record 0 must not link to a previous record');
  if (payload !== null) {
    if (record.prunedBy !== null) throw new ChainBreak(seq, `record ${seq} is both present and pruned`);
    if (crypto.hash('sha256', payload, 'hex') !== header.payload_sha256) {
      throw new ChainBreak(seq, `record ${seq}: the payload does not match its payload_sha256 (edited)`);
    }
  }
  return { hash: record.hash ?? recordHash(header), timeMs };
}

/** A tombstone record's payload, signed by the tenant key for this ledger's origin. Throws ChainBreak. */
export function openTombstone(
  seq: number,
  payload: Buffer | string,
  trust: { key: Buffer | null; origin: string },
): TombstonePayload {
  let tombstone: TombstonePayload;
  try {
    tombstone = JSON.parse(payload.toString()) as TombstonePayload;
  } catch {
    throw new ChainBreak(seq, `record ${seq}: the tombstone cannot be read`);
  }
  if (!trust.key || tombstone?.origin !== trust.origin || !verifyTombstone(tombstone, trust.key)) {
    throw new ChainBreak(seq, `record ${seq}: the tombstone signature does not verify with the tenant key`);
  }
  return tombstone;
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalize } from './canonical-json';
import type { BundleManifest, BundleStatement, RecordLine } from './bundle-format';
import {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  LISTED_FILES,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
} from './bundle-format';
import { verifierKey } from './checkpoint-note';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse';
import { LedgerInputError } from './errors';
import type { SubtreeSource } from './merkle';
import { consistencyProof, inclusionProof } from './merkle';
import type { StoredRecord } from './record';
import type { EvidenceSigner } from './signing';

/** What an export reads from a ledger (the Ledger provides it; declared here so neither imports the other). */
export interface ExportableLedger {
  readonly tenant: string;
  readonly origin: string;
  size(): number;
  /** Signs a checkpoint over every record now, and returns the latest. */
  checkpoint(): { size: number; root: string; time: string };
  seqRangeForTimes(from: number | null, to: number | null): { first: number; last: number } | null;
  proofSource(): SubtreeSource;
  records(from: number, to: number): Iterable<StoredRecord>;
  checkpointsBetween(minSize: number, maxSize: number): { size: number; note: string }[];
}

/** A range bound: a sequence number, or a time (RFC 3339 string or Date). */
export type RangeBound = number | string | Date;

export interface ExportOptions {
  out: string;
  from?: RangeBound;
  to?: RangeBound;
  signal?: AbortSignal;
  onProgress?: (progress: { phase: 'records' | 'finishing'; done: number; total: number }) => void;
  now?: () => Date;
}

export interface ExportResult {
  dir: string;
  fromSeq: number;
  toSeq: number;
  count: number;
  treeSize: number;
  root: string;
  keyId: string;
  manifestSha256: string;
}

const CHUNK = 2048;
const HIGH_WATER = 1 << 20;

/** Writes a file while hashing it; `flush` batches small writes into ~1 MiB. */
class HashedFile {
  private readonly fd: number;
  private readonly hash = crypto.createHash('sha256');
  private pending: string[] = [];
  private pendingBytes = 0;
  bytes = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'wx', 0o644);
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= HIGH_WATER) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.hash.update(chunk);
    let offset = 0;
    while (offset < chunk.length) offset += fs.writeSync(this.fd, chunk, offset);
    this.bytes += chunk.length;
  }

  /** Flushes, fsyncs and closes; returns the hex SHA-256 of everything written. */
  finish(): string {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    return this.hash.digest('hex');
  }

  abandon(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

export function recordLine(record: StoredRecord): RecordLine {
  const line: RecordLine = {
    ...record.header,
    payload: record.payload === null ? null : (JSON.parse(record.payload) as unknown),
  };
  if (record.prunedBy !== null) line.pruned_by = record.prunedBy;
  return line;
}

function resolveBound(ledger: ExportableLedger, bound: RangeBound | undefined, side: 'from' | 'to'): number | null {
  if (bound === undefined) return null;
  if (typeof bound === 'number') {
    if (!Number.isSafeInteger(bound) || bound < 0) throw new LedgerInputError(`${side}: not a sequence number`);
    return bound;
  }
  const ms = bound instanceof Date ? bound.getTime() : Date.parse(bound);
  if (!Number.isFinite(ms))
    throw new LedgerInputError(`${side}: "${String(bound)}" is neither a time nor a sequence number`);
  const range = side === 'from' ? ledger.seqRangeForTimes(ms, null) : ledger.seqRangeForTimes(null, ms);
  if (!range) return side === 'from' ? Number.MAX_SAFE_INTEGER : -1;
  return side === 'from' ? range.first : range.last;
}

/**
 * Exports records [from, to] of a ledger as a bundle directory (see FORMAT.md). A fresh
 * checkpoint is signed first so the bundle's final tree head covers every exported record.
 * The bundle is assembled in a sibling temp directory and renamed into place only when
 * complete, so a cancelled or failed export never leaves a half bundle behind.
 */
export async function exportBundle(
  ledger: ExportableLedger,
  signer: EvidenceSigner,
  options: ExportOptions,
): Promise<ExportResult> {
  const { signal, onProgress } = options;
  const now = options.now ?? (() => new Date());
  const out = path.resolve(options.out);
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new LedgerInputError(`${out} already exists and is not an empty directory`);
  }
  if (ledger.size() === 0) throw new LedgerInputError(`Tenant ${ledger.tenant} has no evidence records yet`);
  const final = ledger.checkpoint();
  const treeSize = final.size;
  const requestedFrom = resolveBound(ledger, options.from, 'from') ?? 0;
  const requestedTo = resolveBound(ledger, options.to, 'to') ?? treeSize - 1;
  const fromSeq = requestedFrom;
  const toSeq = Math.min(requestedTo, treeSize - 1);
  if (fromSeq > toSeq) throw new LedgerInputError('The requested range holds no records covered by a checkpoint');
  const total = toSeq - fromSeq + 1;

  fs.mkdirSync(path.dirname(out), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(out), `.${path.basename(out)}.partial-`));
  const open: HashedFile[] = [];
  const file = (name: string) => {
    const f = new HashedFile(path.join(staging, name));
    open.push(f);
    return f;
  };
  try {
    const source = ledger.proofSource();
    const records = file(BUNDLE_FILES.records);
    const proofs = file(BUNDLE_FILES.inclusionProofs);
    const tombstoneSeqs = new Set<number>();
    let first: StoredRecord | null = null;
    let last: StoredRecord | null = null;
    let done = 0;
    for (const record of ledger.records(fromSeq, toSeq + 1)) {
      first ??= record;
      last = record;
      if (record.prunedBy !== null) tombstoneSeqs.add(record.prunedBy);
      records.write(`${canonicalize(recordLine(record))}\n`);
      const audit = inclusionProof(source, record.header.seq, treeSize).map((hash) => hash.toString('base64'));
      proofs.write(`${canonicalize({ seq: record.header.seq, tree_size: treeSize, path: audit })}\n`);
      done += 1;
      if (done % CHUNK === 0) {
        onProgress?.({ phase: 'records', done, total });
        // Yield so a cancel, progress events and the gate's appends get their turn.
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
      }
    }
    if (!first || !last || done !== total) throw new Error(`Expected ${total} records, read ${done}`);
    onProgress?.({ phase: 'records', done, total });

    // Every checkpoint up to the final one, each with its consistency proof: the roots inside
    // the range are recomputed from the records, and any of them an anchor witnessed can be
    // checked against the witness (`evidence verify --witness`), wherever the range starts.
    const checkpoints = ledger.checkpointsBetween(1, treeSize);
    const checkpointFile = file(BUNDLE_FILES.checkpoints);
    const consistencyFile = file(BUNDLE_FILES.consistencyProofs);
    for (const cp of checkpoints) {
      checkpointFile.write(`${canonicalize({ size: cp.size, note: cp.note })}\n`);
      if (cp.size < treeSize) {
        const proof = consistencyProof(source, cp.size, treeSize).map((hash) => hash.toString('base64'));
        consistencyFile.write(`${canonicalize({ from_size: cp.size, to_size: treeSize, path: proof })}\n`);
      }
    }
    const tombstoneFile = file(BUNDLE_FILES.tombstones);
    for (const seq of [...tombstoneSeqs].sort((a, b) => a - b)) {
      const [tombstone] = [...ledger.records(seq, seq + 1)];
      if (!tombstone) throw new Error(`Tombstone ${seq} is missing from the ledger`);
      const audit = inclusionProof(source, seq, treeSize).map((hash) => hash.toString('base64'));
      tombstoneFile.write(
        `${canonicalize({ record: recordLine(tombstone), proof: { seq, tree_size: treeSize, path: audit } })}\n`,
      );
    }
    const vkey = verifierKey(ledger.origin, signer.publicKey);
    const keyFile = file(BUNDLE_FILES.publicKey);
    keyFile.write(`${vkey}\n`);
    onProgress?.({ phase: 'finishing', done, total });

    const digests = new Map(open.map((f) => [path.basename(f.file), { sha256: f.finish(), bytes: f.bytes }]));
    open.length = 0;
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      format_version: BUNDLE_FORMAT_VERSION,
      tenant: ledger.tenant,
      origin: ledger.origin,
      created_at: now().toISOString(),
      key: { key_id: signer.keyId, vkey },
      range: {
        from_seq: fromSeq,
        to_seq: toSeq,
        count: total,
        from_time: first.header.time,
        to_time: last.header.time,
      },
      tree: { size: treeSize, root: final.root, time: final.time },
      files: LISTED_FILES.map((name) => {
        const digest = digests.get(name);
        if (!digest) throw new Error(`${name} was not written`);
        return { path: name, ...digest };
      }),
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
    const manifestSha256 = crypto.hash('sha256', manifestBytes, 'hex');
    writeDurably(path.join(staging, BUNDLE_FILES.manifest), manifestBytes);
    const statement: BundleStatement = {
      _type: STATEMENT_TYPE,
      subject: [{ name: BUNDLE_FILES.manifest, digest: { sha256: manifestSha256 } }],
      predicateType: PREDICATE_TYPE,
      predicate: {
        tenant: ledger.tenant,
        origin: ledger.origin,
        format_version: BUNDLE_FORMAT_VERSION,
        range: { from_seq: fromSeq, to_seq: toSeq, count: total },
        tree: { size: treeSize, root: final.root },
        key_id: signer.keyId,
      },
    };
    const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(canonicalize(statement), 'utf8'), signer);
    writeDurably(path.join(staging, BUNDLE_FILES.statement), Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`));
    signal?.throwIfAborted();
    if (fs.existsSync(out)) fs.rmdirSync(out);
    fs.renameSync(staging, out);
    return {
      dir: out,
      fromSeq,
      toSeq,
      count: total,
      treeSize,
      root: final.root,
      keyId: signer.keyId,
      manifestSha256,
    };
  } catch (error) {
    for (const f of open) f.abandon();
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function writeDurably(file: string, bytes: Buffer): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    fs.writeFileSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

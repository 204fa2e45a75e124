import type { Store } from '../store';
import { exportBundle } from './bundle-export';
import type { ExportOptions, ExportResult, ExportableLedger } from './bundle-export';
import { LedgerCorruptError } from './errors';
import type { SubtreeSource } from './merkle';
import { leafHash, nodeHash } from './merkle';
import type { StoredRecord } from './record';
import { GENESIS_PREV, storedHeader } from './record';
import type { CheckpointPayload } from './record-types';
import type { SharedCheckpoint, SharedLedger } from './shared-ledger';
import type { EvidenceSigner } from './signing';

/** Rows read per query while taking the snapshot. */
const PAGE = 5_000;

/** Every perfect subtree of a tree held in memory: level 0 the leaves, each level half the one below. */
class MemoryTree implements SubtreeSource {
  private readonly levels: Buffer[][];

  constructor(leaves: Buffer[]) {
    this.levels = [leaves];
    for (let below = leaves; below.length >= 2;) {
      const level: Buffer[] = [];
      for (let i = 0; i + 1 < below.length; i += 2) level.push(nodeHash(below[i] as Buffer, below[i + 1] as Buffer));
      this.levels.push(level);
      below = level;
    }
  }

  perfect(level: number, index: number): Buffer {
    const hash = this.levels[level]?.[index];
    if (!hash) throw new LedgerCorruptError(`Merkle node ${level}/${index} is outside the central ledger`);
    return hash;
  }
}

interface Row {
  seq: number;
  time_ms: number;
  type: string;
  record_hash: Buffer;
  payload_sha256: Buffer;
  payload: string | null;
  pruned_by: number | null;
}

/**
 * The shared ledger's records up to a signed checkpoint, read once and served to the one
 * bundle writer (bundle-export.ts) through the interface the local ledger also serves: one
 * bundle format, one verifier, whichever store the ledger lives in.
 */
class SharedSnapshot implements ExportableLedger {
  private readonly tree: MemoryTree;

  constructor(
    readonly tenant: string,
    readonly origin: string,
    private readonly rows: Row[],
    private readonly final: SharedCheckpoint,
    private readonly signed: { size: number; note: string }[],
  ) {
    this.tree = new MemoryTree(rows.map((row) => leafHash(row.record_hash)));
  }

  size(): number {
    return this.rows.length;
  }

  checkpoint(): { size: number; root: string; time: string } {
    return { size: this.final.size, root: this.final.root, time: this.final.time };
  }

  seqRangeForTimes(from: number | null, to: number | null): { first: number; last: number } | null {
    const first = from === null ? 0 : this.rows.find((row) => row.time_ms >= from)?.seq;
    const last = to === null ? this.rows.length - 1 : this.rows.findLast((row) => row.time_ms <= to)?.seq;
    if (first === undefined || last === undefined || first > last) return null;
    return { first, last };
  }

  proofSource(): SubtreeSource {
    return this.tree;
  }

  *records(from: number, to: number): Iterable<StoredRecord> {
    let prev = from === 0 ? GENESIS_PREV : this.rows[from - 1]?.record_hash.toString('hex');
    if (prev === undefined) throw new LedgerCorruptError(`Record ${from - 1} is missing from the central ledger`);
    for (const row of this.rows.slice(from, to)) {
      yield {
        header: storedHeader(row, prev),
        recordHash: row.record_hash,
        payload: row.payload,
        prunedBy: row.pruned_by,
      };
      prev = row.record_hash.toString('hex');
    }
  }

  checkpointsBetween(minSize: number, maxSize: number): { size: number; note: string }[] {
    return this.signed.filter((cp) => cp.size >= minSize && cp.size <= maxSize);
  }
}

/**
 * Exports a tenant's shared (central) ledger as an evidence bundle (FORMAT.md §Bundles): a
 * checkpoint over every record is signed first (a `checkpoint` record, under the ledger lock),
 * then the records it covers are read in one snapshot and written by the same bundle writer
 * as a local export, so `cavra evidence verify` checks both alike. The snapshot is held in
 * memory (records and tree): fine for an organisation's ledger of some hundred thousand
 * records; a paged snapshot with stored subtrees is the step beyond.
 */
export async function exportSharedLedger(
  ledger: SharedLedger,
  store: Store,
  tenant: string,
  signer: EvidenceSigner,
  options: ExportOptions,
): Promise<ExportResult> {
  const final = await ledger.checkpoint(tenant, signer);
  const rows: Row[] = [];
  const signed: { size: number; note: string }[] = [];
  await store.read({ tenant }, async (session) => {
    for (let from = 0; from < final.size; from += PAGE) {
      const page = await session.all<Row>(
        `SELECT seq, time_ms, type, record_hash, payload_sha256, payload, pruned_by FROM ledger_records
         WHERE seq >= $1 AND seq < $2 ORDER BY seq`,
        [from, Math.min(final.size, from + PAGE)],
      );
      rows.push(...page);
    }
    const checkpoints = await session.all<{ payload: string | null }>(
      `SELECT payload FROM ledger_records WHERE type = 'checkpoint' AND seq <= $1 ORDER BY seq`,
      [final.size],
    );
    for (const { payload } of checkpoints) {
      const checkpoint = JSON.parse(String(payload)) as CheckpointPayload;
      signed.push({ size: checkpoint.size, note: checkpoint.note });
    }
  });
  rows.forEach((row, i) => {
    if (row.seq !== i) throw new LedgerCorruptError(`Record ${i} is missing from the central ledger`);
  });
  return exportBundle(new SharedSnapshot(tenant, final.origin, rows, final, signed), signer, options);
}

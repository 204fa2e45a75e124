import type { SqliteDatabase } from '../store';
import type { SubtreeSource } from './merkle';
import { LedgerCorruptError } from './errors';
import { leafHash } from './merkle';

/** Perfect subtrees above the leaves are keyed level * 2^40 + index in `ledger_tree`. */
const LEVEL_STRIDE = 2 ** 40;

export function treeNodeId(level: number, index: number): number {
  return level * LEVEL_STRIDE + index;
}

/**
 * The ledger's Merkle tree as stored in SQLite: leaves come from record hashes, higher
 * perfect subtrees from `ledger_tree`. A `cached` instance memoizes lookups — an export
 * walking consecutive audit paths asks for the same upper nodes again and again. Nodes of a
 * completed subtree never change, so the memo cannot go stale.
 */
export class LedgerTree implements SubtreeSource {
  private readonly leafStmt;
  private readonly nodeStmt;
  private readonly cache: Map<number, Buffer> | null;
  readonly ranges: Map<string, Buffer> | null;

  constructor(db: SqliteDatabase, options: { cached?: boolean } = {}) {
    this.cache = options.cached ? new Map() : null;
    this.ranges = options.cached ? new Map() : null;
    this.leafStmt = db.prepare<[number], { record_hash: Buffer }>(
      'SELECT record_hash FROM ledger_records WHERE seq = ?',
    );
    this.nodeStmt = db.prepare<[number], { hash: Buffer }>('SELECT hash FROM ledger_tree WHERE node = ?');
  }

  perfect(level: number, index: number): Buffer {
    const id = treeNodeId(level, index);
    const hit = this.cache?.get(id);
    if (hit) return hit;
    let hash: Buffer;
    if (level === 0) {
      const row = this.leafStmt.get(index);
      if (!row) throw new LedgerCorruptError(`Record ${index} is missing from the ledger`);
      hash = leafHash(row.record_hash);
    } else {
      const row = this.nodeStmt.get(id);
      if (!row) throw new LedgerCorruptError(`Merkle node ${level}/${index} is missing from the ledger`);
      hash = row.hash;
    }
    if (this.cache) {
      // Bounded: an export of millions of records must not hold every node it touched.
      if (this.cache.size > 200_000) this.cache.clear();
      if (this.ranges && this.ranges.size > 10_000) this.ranges.clear();
      this.cache.set(id, hash);
    }
    return hash;
  }
}

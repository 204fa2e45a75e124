import type { Store, StoreSession } from '../store';
import { prepareAppend } from './append-input';
import type { PreparedAppend } from './append-input';
import { LedgerAppendError } from './errors';
import type { RecordHeader } from './record';
import { GENESIS_PREV, RECORD_VERSION, isoTime, payloadDigest, recordHash, storedHeader } from './record';

export interface SharedAppendReceipt {
  seq: number;
  time: string;
  recordHash: string;
}

export type SharedLedgerVerification =
  { ok: true; size: number } | { ok: false; size: number; seq: number; failure: string };

interface Pending {
  item: PreparedAppend;
  resolve: (receipt: SharedAppendReceipt) => void;
  reject: (error: Error) => void;
}

/** Records per transaction: large enough to amortise a durable commit, small enough to stay short. */
const MAX_BATCH = 500;
const PAGE = 2_000;

/**
 * The evidence ledger's records on the store port, for the shared (PostgreSQL) store where
 * many replicas append to one tenant's ledger. The header, hash and chain are exactly the local
 * ledger's (record.ts). Order comes from the store: each batch takes the tenant's ledger lock
 * (an advisory lock on PostgreSQL), reads the tail inside that transaction and chains onto it,
 * so concurrent appenders in any number of processes never fork, skip or repeat a sequence
 * number. Appends queued in one tick share one durable commit (group commit); `append` resolves
 * only once its transaction committed. Merkle tree and checkpoints stay with the local ledger
 * for now (core/evidence/ledger.ts).
 */
export class SharedLedger {
  private readonly queues = new Map<string, Pending[]>();
  private readonly flushing = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  append(tenant: string, input: { type: string; payload: unknown }): Promise<SharedAppendReceipt> {
    let item: PreparedAppend;
    try {
      item = prepareAppend(input);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(tenant) ?? [];
      queue.push({ item, resolve, reject });
      this.queues.set(tenant, queue);
      if (queue.length === 1 && !this.flushing.has(tenant)) setImmediate(() => void this.flush(tenant));
    });
  }

  private async flush(tenant: string): Promise<void> {
    if (this.flushing.has(tenant)) return;
    this.flushing.add(tenant);
    try {
      for (;;) {
        const queue = this.queues.get(tenant) ?? [];
        const batch = queue.splice(0, MAX_BATCH);
        if (batch.length === 0) break;
        try {
          const receipts = await this.store.transaction({ tenant }, (session) => this.write(session, batch));
          batch.forEach((pending, i) => pending.resolve(receipts[i] as SharedAppendReceipt));
        } catch (error) {
          const failure = new LedgerAppendError(`The evidence record was not stored: ${(error as Error).message}`);
          for (const pending of batch) pending.reject(failure);
        }
      }
    } finally {
      this.flushing.delete(tenant);
      this.queues.delete(tenant);
    }
  }

  private async write(session: StoreSession, batch: readonly Pending[]): Promise<SharedAppendReceipt[]> {
    await session.lock('ledger');
    const tail = await session.get<{ seq: number; time_ms: number; record_hash: Buffer }>(
      'SELECT seq, time_ms, record_hash FROM ledger_records ORDER BY seq DESC LIMIT 1',
    );
    let seq = tail ? tail.seq + 1 : 0;
    let prev = tail ? tail.record_hash.toString('hex') : GENESIS_PREV;
    let lastMs = tail ? tail.time_ms : 0;
    const receipts: SharedAppendReceipt[] = [];
    for (const { item } of batch) {
      // Times never go backwards, so seq order and time order agree (as in the local ledger).
      const timeMs = Math.max(this.now(), lastMs);
      const header: RecordHeader = {
        v: RECORD_VERSION,
        seq,
        time: isoTime(timeMs),
        type: item.type,
        prev,
        payload_sha256: item.digest.toString('hex'),
      };
      const hash = recordHash(header);
      await session.run(
        `INSERT INTO ledger_records (seq, time_ms, type, record_hash, payload_sha256, payload, decision, agent, session)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          seq,
          timeMs,
          item.type,
          hash,
          item.digest,
          item.canonical,
          item.index.decision ?? null,
          item.index.agent ?? null,
          item.index.session ?? null,
        ],
      );
      receipts.push({ seq, time: header.time, recordHash: hash.toString('hex') });
      prev = hash.toString('hex');
      lastMs = timeMs;
      seq += 1;
    }
    return receipts;
  }

  /**
   * Walks the tenant's records in order: sequence numbers from 0 without a gap, each header
   * rebuilt and hashed to the stored hash, each `prev` the previous record's hash, each payload
   * hashing to its header's digest.
   */
  async verify(tenant: string): Promise<SharedLedgerVerification> {
    let next = 0;
    let prev = GENESIS_PREV;
    for (;;) {
      const rows = await this.store.read({ tenant }, (session) =>
        session.all<{
          seq: number;
          time_ms: number;
          type: string;
          record_hash: Buffer;
          payload_sha256: Buffer;
          payload: string | null;
        }>(
          `SELECT seq, time_ms, type, record_hash, payload_sha256, payload FROM ledger_records
           WHERE seq >= $1 ORDER BY seq LIMIT $2`,
          [next, PAGE],
        ),
      );
      for (const row of rows) {
        const fail = (failure: string): SharedLedgerVerification => ({ ok: false, size: next, seq: row.seq, failure });
        if (row.seq !== next) return fail(`record ${next} is missing (found ${row.seq})`);
        const header = storedHeader(row, prev);
        if (!recordHash(header).equals(row.record_hash))
          return fail(`record ${row.seq} does not hash to its stored hash or does not chain`);
        if (row.payload !== null && !payloadDigest(row.payload).equals(row.payload_sha256)) {
          return fail(`record ${row.seq}'s payload does not match its digest`);
        }
        prev = row.record_hash.toString('hex');
        next += 1;
      }
      if (rows.length < PAGE) return { ok: true, size: next };
    }
  }
}

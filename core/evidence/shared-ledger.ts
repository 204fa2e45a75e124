import crypto from 'node:crypto';
import type { SqlValue, Store, StoreSession } from '../store';
import { prepareAppend } from './append-input';
import type { PreparedAppend } from './append-input';
import { canonicalize } from './canonical-json';
import { openCheckpoint, signCheckpoint } from './checkpoint-note';
import { LedgerAppendError, LedgerCorruptError, LedgerInputError, LedgerSigningError } from './errors';
import { MerkleFrontier, leafHash } from './merkle';
import type { RecordHeader } from './record';
import { GENESIS_PREV, RECORD_VERSION, isoTime, payloadDigest, recordHash, storedHeader } from './record';
import type { CheckpointPayload } from './record-types';
import type { EvidenceSigner } from './signing';

export interface SharedAppendReceipt {
  seq: number;
  time: string;
  recordHash: string;
  /** True when this origin record was stored before (a retried batch): nothing new was appended. */
  duplicate?: boolean;
}

/**
 * Where a record came from when another ledger shipped it (a gate's outbox): the sending
 * install and its own sequence number. A record with an origin is appended at most once.
 */
export interface RecordOrigin {
  origin: string;
  originSeq: number;
}

const ORIGIN = /^[A-Za-z0-9._:-]{1,128}$/;

/** A signed tree head of a shared ledger, as its `checkpoint` record holds it. */
export interface SharedCheckpoint extends CheckpointPayload {
  /** The log's name in the signed note (`cavra.evidence/<tenant>/<12 hex>`). */
  origin: string;
  /** Where the checkpoint record itself sits: right after the records it covers. */
  seq: number;
}

export type SharedLedgerVerification =
  { ok: true; size: number } | { ok: false; size: number; seq: number; failure: string };

interface Pending {
  item: PreparedAppend;
  origin: RecordOrigin | null;
  resolve: (receipt: SharedAppendReceipt) => void;
  reject: (error: Error) => void;
}

/** Records per transaction: large enough to amortise a durable commit, small enough to stay short. */
const MAX_BATCH = 500;
/** Rows per INSERT statement (9 parameters each: well under SQLite's and PostgreSQL's limits). */
const ROWS_PER_INSERT = 100;
const PAGE = 2_000;

/**
 * The evidence ledger's records on the store port, for the shared (PostgreSQL) store where
 * many replicas append to one tenant's ledger. The header, hash and chain are exactly the local
 * ledger's (record.ts). Order comes from the store: each batch takes the tenant's ledger lock
 * (an advisory lock on PostgreSQL), reads the tail inside that transaction and chains onto it,
 * so concurrent appenders in any number of processes never fork, skip or repeat a sequence
 * number. Appends queued in one tick share one durable commit (group commit); `append` resolves
 * only once its transaction committed. Checkpoints are `checkpoint` records signed on demand
 * (before every export, `checkpoint`); the Merkle tree is recomputed from the record hashes
 * rather than stored, so signing and exporting cost O(n) reads (stored subtrees, as the local
 * ledger keeps in `ledger_tree`, would make them O(log n)).
 */
export class SharedLedger {
  private readonly queues = new Map<string, Pending[]>();
  private readonly flushing = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Appends a record; with `origin`, a record already stored under the same origin and origin
   * sequence resolves with its first receipt (`duplicate: true`) instead of a second copy, and
   * one stored with other content is refused. The check runs under the ledger lock, in the
   * transaction that appends, so racing retries on several replicas still store it once.
   */
  append(
    tenant: string,
    input: { type: string; payload: unknown },
    origin: RecordOrigin | null = null,
  ): Promise<SharedAppendReceipt> {
    let item: PreparedAppend;
    try {
      item = prepareAppend(input);
      if (origin !== null) {
        if (typeof origin.origin !== 'string' || !ORIGIN.test(origin.origin)) {
          throw new LedgerInputError('origin: 1–128 letters, digits or . _ : -');
        }
        if (!Number.isSafeInteger(origin.originSeq) || origin.originSeq < 0) {
          throw new LedgerInputError('originSeq: must be a non-negative integer');
        }
      }
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(tenant) ?? [];
      queue.push({ item, origin, resolve, reject });
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
          const outcomes = await this.store.transaction({ tenant }, (session) => this.write(session, batch));
          batch.forEach((pending, i) => {
            const outcome = outcomes[i] as SharedAppendReceipt | Error;
            if (outcome instanceof Error) pending.reject(outcome);
            else pending.resolve(outcome);
          });
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

  private async write(session: StoreSession, batch: readonly Pending[]): Promise<(SharedAppendReceipt | Error)[]> {
    await session.lock('ledger');
    const tail = await session.get<{ seq: number; time_ms: number; record_hash: Buffer }>(
      'SELECT seq, time_ms, record_hash FROM ledger_records ORDER BY seq DESC LIMIT 1',
    );
    const known = await this.storedOrigins(session, batch);
    let seq = tail ? tail.seq + 1 : 0;
    let prev = tail ? tail.record_hash.toString('hex') : GENESIS_PREV;
    let lastMs = tail ? tail.time_ms : 0;
    const outcomes: (SharedAppendReceipt | Error)[] = [];
    const records: SqlValue[][] = [];
    const origins: SqlValue[][] = [];
    for (const { item, origin } of batch) {
      const key = origin ? `${origin.origin}\n${origin.originSeq}` : null;
      const stored = key !== null ? known.get(key) : undefined;
      if (stored) {
        outcomes.push(
          stored.digest.equals(item.digest) && stored.type === item.type
            ? { ...stored.receipt, duplicate: true }
            : new LedgerInputError(
                `${origin?.origin} #${origin?.originSeq} was already stored with other content; a retried record must be identical`,
              ),
        );
        continue;
      }
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
      records.push([
        seq,
        timeMs,
        item.type,
        hash,
        item.digest,
        item.canonical,
        item.index.decision ?? null,
        item.index.agent ?? null,
        item.index.session ?? null,
      ]);
      const receipt = { seq, time: header.time, recordHash: hash.toString('hex') };
      if (origin && key !== null) {
        origins.push([origin.origin, origin.originSeq, seq]);
        // A batch that repeats a key stores it once; the repeat answers like a retry.
        known.set(key, { receipt, digest: item.digest, type: item.type });
      }
      outcomes.push(receipt);
      prev = hash.toString('hex');
      lastMs = timeMs;
      seq += 1;
    }
    await insertRows(
      session,
      'ledger_records (seq, time_ms, type, record_hash, payload_sha256, payload, decision, agent, session)',
      records,
    );
    await insertRows(session, 'ledger_origins (origin, origin_seq, seq)', origins);
    return outcomes;
  }

  /** The batch's origin keys already in the ledger: one range query per origin named. */
  private async storedOrigins(
    session: StoreSession,
    batch: readonly Pending[],
  ): Promise<Map<string, { receipt: SharedAppendReceipt; digest: Buffer; type: string }>> {
    const ranges = new Map<string, { low: number; high: number }>();
    for (const { origin } of batch) {
      if (!origin) continue;
      const range = ranges.get(origin.origin);
      if (!range) ranges.set(origin.origin, { low: origin.originSeq, high: origin.originSeq });
      else {
        range.low = Math.min(range.low, origin.originSeq);
        range.high = Math.max(range.high, origin.originSeq);
      }
    }
    const known = new Map<string, { receipt: SharedAppendReceipt; digest: Buffer; type: string }>();
    for (const [origin, { low, high }] of ranges) {
      const rows = await session.all<{
        origin_seq: number;
        seq: number;
        time_ms: number;
        type: string;
        record_hash: Buffer;
        payload_sha256: Buffer;
      }>(
        `SELECT o.origin_seq, r.seq, r.time_ms, r.type, r.record_hash, r.payload_sha256
         FROM ledger_origins o JOIN ledger_records r ON r.seq = o.seq
         WHERE o.origin = $1 AND o.origin_seq >= $2 AND o.origin_seq <= $3`,
        [origin, low, high],
      );
      for (const row of rows) {
        known.set(`${origin}\n${row.origin_seq}`, {
          receipt: { seq: row.seq, time: isoTime(row.time_ms), recordHash: row.record_hash.toString('hex') },
          digest: row.payload_sha256,
          type: row.type,
        });
      }
    }
    return known;
  }

  /**
   * Signs the tenant's tree head with `signer` and appends it as a `checkpoint` record, unless
   * the last record already is the signed checkpoint of every record before it; returns the
   * checkpoint covering every record but itself. Runs under the ledger lock, so a checkpoint
   * describes exactly the records before it whichever replica appends. The log's name is
   * fixed by the first checkpoint; later ones must be signed by the same key, or the ledger's
   * history would verify under no single key (replicas must share the tenant key).
   */
  async checkpoint(tenant: string, signer: EvidenceSigner): Promise<SharedCheckpoint> {
    return this.store.transaction({ tenant }, async (session) => {
      await session.lock('ledger');
      const rows = await session.all<{ seq: number; time_ms: number; record_hash: Buffer }>(
        'SELECT seq, time_ms, record_hash FROM ledger_records ORDER BY seq',
      );
      const lastRow = await session.get<{ seq: number; payload: string | null }>(
        `SELECT seq, payload FROM ledger_records WHERE type = 'checkpoint' ORDER BY seq DESC LIMIT 1`,
      );
      const frontier = new MerkleFrontier();
      for (const [i, row] of rows.entries()) {
        if (row.seq !== i) throw new LedgerCorruptError(`Record ${i} is missing from the central ledger`);
        frontier.append(leafHash(row.record_hash));
      }
      let last: SharedCheckpoint | null = null;
      if (lastRow) {
        const payload = JSON.parse(String(lastRow.payload)) as CheckpointPayload;
        try {
          const opened = openCheckpoint(payload.note, signer.publicKey);
          last = { ...payload, origin: opened.origin, seq: lastRow.seq };
        } catch (error) {
          throw new LedgerSigningError(
            `The central ledger of ${tenant} was checkpointed with another key (${payload.key_id.slice(0, 16)}…) than this server holds (${signer.keyId.slice(0, 16)}…): ${(error as Error).message}. Every replica must sign with the tenant's one key`,
          );
        }
      }
      const size = rows.length;
      if (size === 0) throw new LedgerInputError(`Tenant ${tenant} has no central evidence records yet`);
      if (last && last.seq === size - 1 && last.size === size - 1) return last;
      const origin = last?.origin ?? `cavra.evidence/${tenant}/${crypto.randomBytes(6).toString('hex')}`;
      const root = frontier.root();
      const lastTimeMs = (rows[size - 1] as { time_ms: number }).time_ms;
      const nowMs = Math.max(this.now(), lastTimeMs);
      const lastSignedAt = last ? Math.floor(Date.parse(last.time) / 1000) : 0;
      const time = Math.max(Math.floor(nowMs / 1000), lastSignedAt);
      const signed = signCheckpoint({ origin, size, root }, signer, time);
      const payload: CheckpointPayload = {
        size,
        root: root.toString('base64'),
        time: isoTime(time * 1000),
        key_id: signer.keyId,
        note: signed.note,
      };
      const canonical = canonicalize(payload);
      const digest = payloadDigest(canonical);
      const header: RecordHeader = {
        v: RECORD_VERSION,
        seq: size,
        time: isoTime(nowMs),
        type: 'checkpoint',
        prev: (rows[size - 1] as { record_hash: Buffer }).record_hash.toString('hex'),
        payload_sha256: digest.toString('hex'),
      };
      await insertRows(
        session,
        'ledger_records (seq, time_ms, type, record_hash, payload_sha256, payload, decision, agent, session)',
        [[size, nowMs, 'checkpoint', recordHash(header), digest, canonical, null, null, null]],
      );
      return { ...payload, origin, seq: size };
    });
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

/** Multi-row INSERTs: one round trip per hundred rows instead of one per row. */
async function insertRows(session: StoreSession, target: string, rows: readonly SqlValue[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const chunk = rows.slice(start, start + ROWS_PER_INSERT);
    const params: SqlValue[] = [];
    const values = chunk.map((row) => {
      const placeholders = row.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    await session.run(`INSERT INTO ${target} VALUES ${values.join(', ')}`, params);
  }
}

import crypto from 'node:crypto';
import path from 'node:path';
import type { SqliteDatabase } from '../store';
import { prepareAppend } from './append-input';
import { canonicalize } from './canonical-json';
import type { SignedCheckpoint } from './checkpoint-note';
import { openCheckpoint, signCheckpoint, verifierKey } from './checkpoint-note';
import type { ExportOptions, ExportResult } from './bundle-export';
import { exportBundle } from './bundle-export';
import { LedgerAppendError, LedgerCorruptError, LedgerInputError, LedgerSigningError } from './errors';
import { LedgerTree, treeNodeId } from './ledger-tree';
import type { SubtreeSource } from './merkle';
import { MerkleFrontier, consistencyProof, inclusionProof, leafHash, rangeHash } from './merkle';
import type { RecordHeader, StoredRecord } from './record';
import { GENESIS_PREV, RECORD_VERSION, isoTime, payloadDigest, recordHash, storedHeader } from './record';
import type {
  AppendableRecordType,
  CheckpointPayload,
  RecordIndex,
  RecordType,
  TombstonePayload,
} from './record-types';
import { UNPRUNABLE_TYPES, isRecordType, recordTypeSpec } from './record-types';
import type { EvidenceSigner } from './signing';
import { signTombstone } from './tombstone';
import { ChainBreak, RecordStreamVerifier } from './record-stream';
import { recordThenApply } from './record-then-apply';
import type { WitnessLine } from './witness';
import {
  WitnessError,
  appendWitness,
  checkWitnessed,
  checkpointAnchor,
  readWitness,
  witnessedCheckpoints,
} from './witness';

/** Where a ledger gets its tenant's keys. Lookups may fail (no keychain); the ledger reports it. */
export interface LedgerKeys {
  /** The tenant's public key, or null when the tenant has none. */
  publicKey(): { publicKey: Buffer; keyId: string } | null;
  /** The signer; throws with an operator-facing reason when the tenant cannot sign. */
  signer(): EvidenceSigner;
}

export interface CheckpointPolicy {
  /** Sign a checkpoint once this many records are not covered by one (default 256). */
  records: number;
  /** …or once the oldest uncovered record is this many seconds old (default 10). */
  seconds: number;
}

const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { records: 256, seconds: 10 };

export interface LedgerOptions {
  db: SqliteDatabase;
  tenant: string;
  keys: LedgerKeys;
  now?: () => Date;
  checkpoints?: Partial<CheckpointPolicy>;
  /**
   * The high-water file: every checkpoint this ledger signs is appended there, outside the
   * database, and export and verify refuse a ledger older than any of them. Defaults to
   * `checkpoint-witness.jsonl` beside the database file; null turns it off (in-memory stores).
   */
  highWaterFile?: string | null;
}

/** The high-water file beside a tenant's database (FORMAT.md §Anchoring). */
export const HIGH_WATER_FILE = 'checkpoint-witness.jsonl';

export interface AppendInput {
  type: AppendableRecordType;
  payload: unknown;
}

export interface AppendReceipt {
  seq: number;
  time: string;
  recordHash: string;
}

export interface CheckpointInfo {
  size: number;
  root: string;
  /** RFC 3339 time from the checkpoint's timestamped signature. */
  time: string;
  keyId: string;
  note: string;
}

export type SigningState = { state: 'ready'; keyId: string } | { state: 'unavailable'; reason: string };

export interface Retention {
  /** Payloads older than this many days are pruned; null keeps them forever. */
  days: number | null;
  legalHold: boolean;
}

export interface LedgerStatus {
  tenant: string;
  origin: string;
  size: number;
  lastCheckpoint: CheckpointInfo | null;
  /** Records (other than checkpoint records) no signed checkpoint covers yet. */
  uncovered: number;
  signing: SigningState;
  retention: Retention;
}

export interface LedgerQuery {
  types?: RecordType[];
  decisions?: string[];
  agent?: string;
  session?: string;
  rule?: string;
  /** Inclusive time bounds (RFC 3339 or Date). */
  from?: string | Date;
  to?: string | Date;
  /** Cursor: only records with seq below this (the `next` of a previous page). */
  before?: number;
  /** Default 50, at most 500. */
  limit?: number;
}

export interface LedgerRecordSummary {
  seq: number;
  time: string;
  type: string;
  recordHash: string;
  summary: string;
  decision: string | null;
  agent: string | null;
  session: string | null;
  pruned: boolean;
}

export interface LedgerPage {
  records: LedgerRecordSummary[];
  /** Pass as `before` for the next (older) page; null at the start of the ledger. */
  next: number | null;
}

export interface LedgerRecordDetail {
  header: RecordHeader;
  recordHash: string;
  leafHash: string;
  /** Null once retention pruned it; `prunedBy` then names the tombstone record. */
  payload: unknown;
  prunedBy: number | null;
  /** Inclusion in the latest checkpoint, or null while no checkpoint covers the record yet. */
  proof: { checkpoint: CheckpointInfo; path: string[] } | null;
}

/** One record as a consumer reads it: see `Ledger.entries`. */
export interface LedgerEntry {
  seq: number;
  timeMs: number;
  type: string;
  /** The stored canonical JSON, or null once retention pruned it. */
  payload: string | null;
}

export interface LedgerProgress {
  done: number;
  total: number;
}

export type LedgerVerification =
  | {
      ok: true;
      size: number;
      checkpoints: number;
      lastCheckpoint: CheckpointInfo | null;
      /** Witnessed checkpoints (the high-water file and any `witness` given) the ledger is consistent with. */
      witnessed: number;
    }
  | { ok: false; size: number; seq: number | null; reason: string };

export interface PruneResult {
  pruned: number;
  tombstone: number | null;
  reason?: string;
}

interface QueuedAppend {
  type: RecordType;
  canonical: string;
  digest: Buffer;
  index: RecordIndex;
  resolve: (receipt: AppendReceipt) => void;
  reject: (error: Error) => void;
}

interface TailState {
  size: number;
  lastHash: Buffer;
  lastTimeMs: number;
  frontier: MerkleFrontier;
  lastCheckpoint: { size: number; time: number } | null;
  uncovered: number;
  oldestUncoveredMs: number | null;
  /** Checkpoints signed in the open transaction, for the high-water file once it commits. */
  signed: CheckpointInfo[];
}

/** Appends are committed in batches of at most this many records (group commit). */
const MAX_BATCH = 1024;
/** A failed keychain lookup is not retried on every append. */
const SIGNER_RETRY_MS = 30_000;
const CHUNK = 4096;

/**
 * One tenant's append-only evidence ledger (SPEC §6).
 *
 * Durability: `append` resolves only after the transaction holding the record has
 * committed on a connection with `synchronous = FULL` in WAL mode, i.e. after the WAL is
 * fsynced; a failed commit rejects, so the gate can deny ("no record, no action").
 *
 * Group commit: appends are queued and flushed on the next macrotask in one
 * BEGIN IMMEDIATE transaction, so concurrent callers share one fsync. Everything that
 * depends on the tail (sequence number, previous hash, Merkle frontier) is re-read inside
 * that transaction when another process has appended since, so a CLI and the console can
 * write the same tenant ledger and the chain stays single-file.
 */
export class Ledger {
  readonly tenant: string;
  readonly origin: string;
  private readonly db: SqliteDatabase;
  private readonly keys: LedgerKeys;
  private readonly now: () => Date;
  private readonly policy: CheckpointPolicy;
  private readonly tree: LedgerTree;
  private readonly highWaterFile: string | null;
  private readonly stmts;
  private state: TailState;
  private queue: QueuedAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private signerCache: { signer: EvidenceSigner } | { error: string; at: number } | null = null;

  constructor(options: LedgerOptions) {
    this.db = options.db;
    this.tenant = options.tenant;
    this.keys = options.keys;
    this.now = options.now ?? (() => new Date());
    this.policy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoints };
    if (!(this.policy.records >= 1) || !(this.policy.seconds > 0)) {
      throw new Error('Checkpoint policy needs records ≥ 1 and seconds > 0');
    }
    const db = this.db;
    const dbFile = db.memory || db.name === '' ? null : db.name;
    this.highWaterFile =
      options.highWaterFile !== undefined
        ? options.highWaterFile
        : dbFile === null
          ? null
          : path.join(path.dirname(dbFile), HIGH_WATER_FILE);
    this.stmts = {
      tail: db.prepare<[], { seq: number; record_hash: Buffer; time_ms: number }>(
        'SELECT seq, record_hash, time_ms FROM ledger_records ORDER BY seq DESC LIMIT 1',
      ),
      insertRecord: db.prepare(
        `INSERT INTO ledger_records (seq, time_ms, type, record_hash, payload_sha256, payload, decision, agent, session)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertRule: db.prepare('INSERT OR IGNORE INTO ledger_record_rules (rule, seq) VALUES (?, ?)'),
      insertNode: db.prepare('INSERT INTO ledger_tree (node, hash) VALUES (?, ?)'),
      insertCheckpoint: db.prepare(
        'INSERT INTO ledger_checkpoints (size, root, time, key_id, note) VALUES (?, ?, ?, ?, ?)',
      ),
      lastCheckpoint: db.prepare<[], { size: number; root: Buffer; time: number; key_id: string; note: string }>(
        'SELECT size, root, time, key_id, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1',
      ),
      checkpointCovering: db.prepare<
        [number],
        { size: number; root: Buffer; time: number; key_id: string; note: string }
      >('SELECT size, root, time, key_id, note FROM ledger_checkpoints WHERE size > ? ORDER BY size DESC LIMIT 1'),
      // Counting stops at the checkpoint interval: past it a checkpoint is due either way,
      // and a ledger that cannot sign may hold millions of uncovered records.
      uncovered: db.prepare<[number, number], { n: number }>(
        `SELECT COUNT(*) AS n FROM
           (SELECT 1 FROM ledger_records WHERE seq >= ? AND type != 'checkpoint' ORDER BY seq LIMIT ?)`,
      ),
      oldestUncovered: db.prepare<[number], { time_ms: number }>(
        `SELECT time_ms FROM ledger_records WHERE seq >= ? AND type != 'checkpoint' ORDER BY seq LIMIT 1`,
      ),
      checkpointRecordsFrom: db.prepare<[number], { n: number }>(
        `SELECT COUNT(*) AS n FROM ledger_records WHERE type = 'checkpoint' AND seq >= ?`,
      ),
      meta: db.prepare<[string], { value: string }>('SELECT value FROM ledger_meta WHERE key = ?'),
      setMeta: db.prepare(
        'INSERT INTO ledger_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      record: db.prepare<
        [number],
        {
          seq: number;
          time_ms: number;
          type: string;
          record_hash: Buffer;
          payload_sha256: Buffer;
          payload: string | null;
          pruned_by: number | null;
        }
      >('SELECT seq, time_ms, type, record_hash, payload_sha256, payload, pruned_by FROM ledger_records WHERE seq = ?'),
      range: db.prepare<
        [number, number],
        {
          seq: number;
          time_ms: number;
          type: string;
          record_hash: Buffer;
          payload_sha256: Buffer;
          payload: string | null;
          pruned_by: number | null;
        }
      >(
        `SELECT seq, time_ms, type, record_hash, payload_sha256, payload, pruned_by FROM ledger_records
         WHERE seq >= ? AND seq < ? ORDER BY seq`,
      ),
      prevHash: db.prepare<[number], { record_hash: Buffer }>('SELECT record_hash FROM ledger_records WHERE seq = ?'),
      indexedRange: db.prepare<
        [number, number],
        {
          seq: number;
          type: string;
          payload: string | null;
          decision: string | null;
          agent: string | null;
          session: string | null;
        }
      >(
        'SELECT seq, type, payload, decision, agent, session FROM ledger_records WHERE seq >= ? AND seq < ? ORDER BY seq',
      ),
      rulesRange: db.prepare<[number, number], { seq: number; rule: string }>(
        'SELECT seq, rule FROM ledger_record_rules WHERE seq >= ? AND seq < ?',
      ),
      entries: db.prepare<[number, number], { seq: number; time_ms: number; type: string; payload: string | null }>(
        'SELECT seq, time_ms, type, payload FROM ledger_records WHERE seq >= ? AND seq < ? ORDER BY seq',
      ),
      checkpointsBetween: db.prepare<
        [number, number],
        { size: number; root: Buffer; time: number; key_id: string; note: string }
      >('SELECT size, root, time, key_id, note FROM ledger_checkpoints WHERE size >= ? AND size <= ? ORDER BY size'),
      nodesBetween: db.prepare<[number, number], { node: number; hash: Buffer }>(
        'SELECT node, hash FROM ledger_tree WHERE node >= ? AND node < ? ORDER BY node',
      ),
      firstAtOrAfter: db.prepare<[number], { seq: number }>(
        'SELECT seq FROM ledger_records WHERE time_ms >= ? ORDER BY time_ms, seq LIMIT 1',
      ),
      lastAtOrBefore: db.prepare<[number], { seq: number }>(
        'SELECT seq FROM ledger_records WHERE time_ms <= ? ORDER BY time_ms DESC, seq DESC LIMIT 1',
      ),
    };
    this.tree = new LedgerTree(db);
    db.prepare('INSERT OR IGNORE INTO ledger_meta (key, value) VALUES (?, ?)').run(
      'origin',
      // A schema-less URL naming this log (tlog-checkpoint §Note text); random so two
      // installs with the same tenant id never issue checkpoints under one name.
      `cavra.evidence/${this.tenant}/${crypto.randomBytes(6).toString('hex')}`,
    );
    this.origin = (this.stmts.meta.get('origin') as { value: string }).value;
    this.state = this.loadState();
  }

  /**
   * Appends one record and resolves once it is durably committed. Rejects with
   * LedgerInputError for a payload that does not fit its type, LedgerAppendError when the
   * commit fails: the caller must then treat the action as not recorded.
   */
  append(input: AppendInput): Promise<AppendReceipt> {
    return new Promise((resolve, reject) => {
      let queued: QueuedAppend;
      try {
        queued = { ...this.prepare(input), resolve, reject };
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.queue.push(queued);
      this.scheduleFlush();
    });
  }

  /**
   * Appends one record and commits it before returning (what queued before it commits
   * first, in order). For configuration changes, which must be on record before they apply
   * (recordThenApply); decisions use the group-committed `append`.
   */
  appendNow(input: AppendInput): AppendReceipt {
    let outcome: { receipt: AppendReceipt } | { error: Error } | null = null;
    const queued: QueuedAppend = {
      ...this.prepare(input),
      resolve: (receipt) => (outcome = { receipt }),
      reject: (error) => (outcome = { error }),
    };
    this.queue.push(queued);
    this.flushNow();
    const settled = outcome as { receipt: AppendReceipt } | { error: Error } | null;
    if (settled === null) throw new LedgerAppendError('The evidence record was not committed');
    if ('error' in settled) throw settled.error;
    return settled.receipt;
  }

  /** Appends many records in as few transactions as possible (imports, bulk tools). */
  async appendMany(inputs: readonly AppendInput[]): Promise<AppendReceipt[]> {
    return Promise.all(inputs.map((input) => this.append(input)));
  }

  /**
   * Exports records as an offline-verifiable bundle directory (FORMAT.md): signs a fresh
   * checkpoint first, reports progress, honours the abort signal.
   */
  async export(options: ExportOptions): Promise<ExportResult> {
    this.flushNow();
    // A ledger whose indexed columns were edited is not exported as if it were sound.
    for (let start = 0, size = this.size(); start < size; start += CHUNK) {
      const mismatch = this.indexMismatch(start, Math.min(size, start + CHUNK));
      if (mismatch) {
        throw new LedgerCorruptError(
          `The ledger does not verify, so nothing was exported: record ${mismatch.seq}: ${mismatch.reason}`,
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Records deleted together with the checkpoints that covered them leave a ledger that
    // looks whole; the checkpoints it signed before, kept outside the database, do not.
    try {
      this.checkWitness([]);
    } catch (error) {
      if (error instanceof WitnessError) {
        throw new LedgerCorruptError(`The ledger does not verify, so nothing was exported: ${error.message}`);
      }
      throw error;
    }
    return exportBundle(this, this.signer(), options);
  }

  /**
   * Checks the ledger against witnessed checkpoints — the high-water file's and `lines` (an
   * anchor's witness file): each must be a prefix of the ledger's tree, none beyond it.
   * Throws WitnessError; returns how many witnessed checkpoints were checked.
   */
  checkWitness(lines: readonly WitnessLine[]): number {
    this.flushNow();
    const size = this.size();
    const key = this.publicKeyOrNull();
    const all = [...(this.highWaterFile ? this.readHighWater() : []), ...lines];
    if (all.length === 0) return 0;
    if (!key) throw new WitnessError('the tenant has no public key to check witnessed checkpoints with');
    const witnessed = witnessedCheckpoints(all, { tenant: this.tenant, origin: this.origin, publicKey: key.publicKey });
    return checkWitnessed(witnessed, {
      what: 'ledger',
      size,
      signedAt: null,
      rootAt: (at) => rangeHash(this.tree, 0, at),
    }).checked;
  }

  private readHighWater(): WitnessLine[] {
    try {
      return readWitness(this.highWaterFile as string);
    } catch (error) {
      // No file yet: nothing was signed (or it was deleted, which only the external anchors catch).
      if (error instanceof WitnessError && /does not exist/.test(error.message)) return [];
      throw new WitnessError(`the high-water file ${this.highWaterFile}: ${(error as Error).message}`);
    }
  }

  /**
   * The indexed columns (decision, agent, session, rules) of records [start, end) against the
   * index their hashed payloads give: they are copies for filtering, and a copy that differs
   * was edited (the Evidence screen would filter a denial out as an allow).
   */
  private indexMismatch(start: number, end: number): { seq: number; reason: string } | null {
    const rules = new Map<number, string[]>();
    for (const row of this.stmts.rulesRange.all(start, end))
      rules.set(row.seq, [...(rules.get(row.seq) ?? []), row.rule]);
    for (const row of this.stmts.indexedRange.all(start, end)) {
      let index: RecordIndex = {};
      if (row.payload !== null && isRecordType(row.type)) {
        try {
          index = recordTypeSpec(row.type).index(JSON.parse(row.payload) as unknown);
        } catch {
          return { seq: row.seq, reason: 'its payload cannot be read' };
        }
      }
      for (const column of ['decision', 'agent', 'session'] as const) {
        if ((index[column] ?? null) !== row[column]) {
          return {
            seq: row.seq,
            reason: `the indexed ${column} column says ${JSON.stringify(row[column])}, the hashed payload ${JSON.stringify(index[column] ?? null)} (edited)`,
          };
        }
      }
      const stored = [...(rules.get(row.seq) ?? [])].sort().join(',');
      const expected = [...new Set(index.rules ?? [])].sort().join(',');
      if (stored !== expected) {
        return {
          seq: row.seq,
          reason: `the indexed rules (${stored || 'none'}) differ from the hashed payload's (${expected || 'none'}) (edited)`,
        };
      }
    }
    return null;
  }

  status(): LedgerStatus {
    this.refreshForRead();
    const cp = this.stmts.lastCheckpoint.get();
    const from = cp ? cp.size : 0;
    // Index lookups only: checkpoint records are few, so this stays cheap at any size.
    const checkpointRecords = (this.stmts.checkpointRecordsFrom.get(from) as { n: number }).n;
    return {
      tenant: this.tenant,
      origin: this.origin,
      size: this.state.size,
      lastCheckpoint: cp ? checkpointInfo(cp) : null,
      uncovered: Math.max(0, this.state.size - from - checkpointRecords),
      signing: this.signing(),
      retention: this.retention(),
    };
  }

  /** Whether the ledger can sign checkpoints and exports now; cheap enough to ask per request. */
  signing(): SigningState {
    try {
      return { state: 'ready', keyId: this.signer().keyId };
    } catch (error) {
      return { state: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Signs a checkpoint now if any record is uncovered (export does this), and returns the latest. */
  checkpoint(): CheckpointInfo {
    this.flushNow();
    const signer = this.signer();
    this.write(() => {
      const state = this.cloneState();
      if (state.uncovered > 0) this.writeCheckpoint(state, signer);
      return state;
    });
    const cp = this.stmts.lastCheckpoint.get();
    if (!cp) throw new LedgerSigningError('The ledger is empty: there is nothing to checkpoint');
    return checkpointInfo(cp);
  }

  /** The C2SP verifier key auditors pin with `cavra evidence verify --trusted-key`; null without a key. */
  verifierKey(): string | null {
    const key = this.publicKeyOrNull();
    return key ? verifierKey(this.origin, key.publicKey) : null;
  }

  latestCheckpoint(): CheckpointInfo | null {
    const cp = this.stmts.lastCheckpoint.get();
    return cp ? checkpointInfo(cp) : null;
  }

  retention(): Retention {
    const days = this.stmts.meta.get('retention_days')?.value;
    return {
      days: days === undefined ? null : Number(days),
      legalHold: this.stmts.meta.get('legal_hold')?.value === '1',
    };
  }

  /** Whether retention was ever chosen for this ledger (null days alone cannot tell "for ever" from "never set"). */
  retentionChosen(): boolean {
    return this.stmts.meta.get('legal_hold') !== undefined;
  }

  /** Changes retention and records the change as a `config_change` record. */
  async setRetention(next: Retention, actor: string): Promise<AppendReceipt> {
    if (next.days !== null && (!Number.isInteger(next.days) || next.days < 1 || next.days > 36_500)) {
      throw new LedgerInputError('Retention must be a whole number of days between 1 and 36500, or none');
    }
    const previous = this.retention();
    return recordThenApply(
      this,
      { type: 'config_change', payload: { change: 'evidence.retention', by: actor, before: previous, after: next } },
      (receipt) => {
        this.db.transaction(() => {
          if (next.days === null) this.db.prepare(`DELETE FROM ledger_meta WHERE key = 'retention_days'`).run();
          else this.stmts.setMeta.run('retention_days', String(next.days));
          this.stmts.setMeta.run('legal_hold', next.legalHold ? '1' : '0');
        })();
        return receipt;
      },
    );
  }

  /**
   * Replaces payloads older than the retention period with a signed tombstone. Record
   * headers (and so every hash, link and root) stay; checkpoint and tombstone payloads are
   * kept because verification needs them. Nothing happens under legal hold.
   */
  async prune(): Promise<PruneResult> {
    this.flushNow();
    const retention = this.retention();
    if (retention.legalHold) return { pruned: 0, tombstone: null, reason: 'legal hold' };
    if (retention.days === null) return { pruned: 0, tombstone: null, reason: 'no retention period' };
    const days = retention.days;
    const signer = this.signer();
    const cutoffMs = this.now().getTime() - days * 86_400_000;
    const unprunable = UNPRUNABLE_TYPES.map((t) => `'${t}'`).join(',');
    let result: PruneResult = { pruned: 0, tombstone: null, reason: 'nothing is past retention' };
    this.write(() => {
      const state = this.cloneState();
      const first = this.db
        .prepare<[], { seq: number | null }>(
          `SELECT MIN(seq) AS seq FROM ledger_records WHERE payload IS NOT NULL AND type NOT IN (${unprunable})`,
        )
        .get()?.seq;
      const last = this.db
        .prepare<[number], { seq: number | null }>('SELECT MAX(seq) AS seq FROM ledger_records WHERE time_ms < ?')
        .get(cutoffMs)?.seq;
      if (first === null || first === undefined || last === null || last === undefined || first > last) return state;
      const count = (
        this.db
          .prepare<[number, number], { n: number }>(
            `SELECT COUNT(*) AS n FROM ledger_records
             WHERE seq BETWEEN ? AND ? AND payload IS NOT NULL AND type NOT IN (${unprunable})`,
          )
          .get(first, last) as { n: number }
      ).n;
      if (count === 0) return state;
      const tombstone: TombstonePayload = signTombstone(
        {
          reason: 'retention',
          retention_days: days,
          cutoff: isoTime(cutoffMs),
          from_seq: first,
          to_seq: last,
          count,
          origin: this.origin,
          key_id: signer.keyId,
        },
        signer,
      );
      const canonical = canonicalize(tombstone);
      const seq = state.size;
      this.insert(state, 'tombstone', canonical, payloadDigest(canonical), {});
      this.db
        .prepare(
          `UPDATE ledger_records SET payload = NULL, pruned_by = ?, decision = NULL, agent = NULL, session = NULL
           WHERE seq BETWEEN ? AND ? AND payload IS NOT NULL AND type NOT IN (${unprunable})`,
        )
        .run(seq, first, last);
      this.db.prepare('DELETE FROM ledger_record_rules WHERE seq BETWEEN ? AND ?').run(first, last);
      this.writeCheckpoint(state, signer);
      result = { pruned: count, tombstone: seq };
      return state;
    });
    return result;
  }

  /** Newest first, filtered by the indexed fields. */
  query(filter: LedgerQuery = {}): LedgerPage {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 50), 1), 500);
    const where: string[] = [];
    const params: (string | number)[] = [];
    let upper = filter.before ?? Number.MAX_SAFE_INTEGER;
    let lower = 0;
    if (filter.from !== undefined) {
      const row = this.stmts.firstAtOrAfter.get(timeMs(filter.from, 'from'));
      if (!row) return { records: [], next: null };
      lower = row.seq;
    }
    if (filter.to !== undefined) {
      const row = this.stmts.lastAtOrBefore.get(timeMs(filter.to, 'to'));
      if (!row) return { records: [], next: null };
      upper = Math.min(upper, row.seq + 1);
    }
    where.push('r.seq >= ?', 'r.seq < ?');
    params.push(lower, upper);
    if (filter.types && filter.types.length > 0) {
      where.push(`r.type IN (${filter.types.map(() => '?').join(',')})`);
      params.push(...filter.types);
    }
    if (filter.decisions && filter.decisions.length > 0) {
      where.push(`r.decision IN (${filter.decisions.map(() => '?').join(',')})`);
      params.push(...filter.decisions);
    }
    if (filter.agent !== undefined) {
      where.push('r.agent = ?');
      params.push(filter.agent);
    }
    if (filter.session !== undefined) {
      where.push('r.session = ?');
      params.push(filter.session);
    }
    // By rule alone (or with broad filters), the (rule, seq) index drives the scan newest-first
    // and LIMIT stops it early, however rare the rule. With a session — the most selective
    // filter — the session index drives and each candidate probes (rule, seq) instead.
    const driveByRule = filter.rule !== undefined && filter.session === undefined;
    const from = driveByRule
      ? 'ledger_record_rules rr JOIN ledger_records r ON r.seq = rr.seq AND rr.rule = ?'
      : 'ledger_records r';
    if (driveByRule) params.unshift(filter.rule as string);
    else if (filter.rule !== undefined) {
      where.push('EXISTS (SELECT 1 FROM ledger_record_rules rr WHERE rr.rule = ? AND rr.seq = r.seq)');
      params.push(filter.rule);
    }
    const rows = this.db
      .prepare<(string | number)[], SummaryRow>(
        `SELECT r.seq, r.time_ms, r.type, r.record_hash, r.payload, r.pruned_by, r.decision, r.agent, r.session
         FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${driveByRule ? 'rr.seq' : 'r.seq'} DESC LIMIT ?`,
      )
      .all(...params, limit + 1);
    const page = rows.slice(0, limit);
    return {
      records: page.map(toSummary),
      next: rows.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
    };
  }

  /**
   * Summaries of the named records, newest first, for lists another capability links to
   * (the records behind an AISPM finding). Unknown seqs are left out; at most 500.
   */
  summaries(seqs: readonly number[]): LedgerRecordSummary[] {
    const wanted = [...new Set(seqs)].filter((seq) => Number.isSafeInteger(seq) && seq >= 0).slice(0, 500);
    if (wanted.length === 0) return [];
    const rows = this.db
      .prepare<number[], SummaryRow>(
        `SELECT seq, time_ms, type, record_hash, payload, pruned_by, decision, agent, session FROM ledger_records
         WHERE seq IN (${wanted.map(() => '?').join(',')}) ORDER BY seq DESC`,
      )
      .all(...wanted);
    return rows.map(toSummary);
  }

  /** One record with its payload and its inclusion proof in the latest checkpoint covering it. */
  record(seq: number): LedgerRecordDetail | null {
    const stored = this.readRecord(seq);
    if (!stored) return null;
    const cp = this.stmts.checkpointCovering.get(seq);
    return {
      header: stored.header,
      recordHash: stored.recordHash.toString('hex'),
      leafHash: leafHash(stored.recordHash).toString('hex'),
      payload: stored.payload === null ? null : (JSON.parse(stored.payload) as unknown),
      prunedBy: stored.prunedBy,
      proof: cp
        ? {
            checkpoint: checkpointInfo(cp),
            path: inclusionProof(this.tree, seq, cp.size).map((hash) => hash.toString('base64')),
          }
        : null,
    };
  }

  inclusionProof(seq: number, treeSize: number): Buffer[] {
    return inclusionProof(this.tree, seq, treeSize);
  }

  consistencyProof(oldSize: number, newSize: number): Buffer[] {
    return consistencyProof(this.tree, oldSize, newSize);
  }

  /** A subtree source that memoizes lookups, for walking many consecutive proofs. */
  proofSource(): SubtreeSource {
    return new LedgerTree(this.db, { cached: true });
  }

  /** First and last seq of records whose time falls in [from, to]; null when none does. */
  seqRangeForTimes(from: number | null, to: number | null): { first: number; last: number } | null {
    const first = from === null ? 0 : this.stmts.firstAtOrAfter.get(from)?.seq;
    const last = to === null ? this.size() - 1 : this.stmts.lastAtOrBefore.get(to)?.seq;
    if (first === undefined || last === undefined || first > last) return null;
    return { first, last };
  }

  size(): number {
    this.refreshForRead();
    return this.state.size;
  }

  checkpointsBetween(minSize: number, maxSize: number): CheckpointInfo[] {
    return this.stmts.checkpointsBetween.all(minSize, maxSize).map(checkpointInfo);
  }

  /** Records [from, to) in order, with their headers rebuilt; chunked so memory stays flat. */
  *records(from: number, to: number): Generator<StoredRecord> {
    let prev = from === 0 ? GENESIS_PREV : this.stmts.prevHash.get(from - 1)?.record_hash.toString('hex');
    if (prev === undefined) throw new LedgerCorruptError(`Record ${from - 1} is missing from the ledger`);
    for (let start = from; start < to; start += CHUNK) {
      const rows = this.stmts.range.all(start, Math.min(to, start + CHUNK));
      for (const row of rows) {
        const header = storedHeader(row, prev);
        prev = row.record_hash.toString('hex');
        yield { header, recordHash: row.record_hash, payload: row.payload, prunedBy: row.pruned_by };
      }
    }
  }

  /**
   * Records [from, to) as consumers of the ledger read them (AISPM): sequence number, time,
   * type and the stored canonical payload (null once pruned), without rebuilding headers.
   * Integrity is the verifier's business; this is the fast path for reading what is there.
   */
  *entries(from: number, to: number): Generator<LedgerEntry> {
    for (let start = from; start < to; start += CHUNK) {
      for (const row of this.stmts.entries.all(start, Math.min(to, start + CHUNK))) {
        yield { seq: row.seq, timeMs: row.time_ms, type: row.type, payload: row.payload };
      }
    }
  }

  /**
   * Verifies the whole ledger as stored: every header hash and chain link, every payload
   * digest, every stored Merkle node, every checkpoint root and signature, every tombstone.
   * Works in chunks, yielding between them so appends and progress events keep flowing.
   */
  async verify(
    options: {
      signal?: AbortSignal;
      onProgress?: (progress: LedgerProgress) => void;
      /** Lines of an anchor's witness file to check the ledger against, besides the high-water file. */
      witness?: readonly WitnessLine[];
    } = {},
  ): Promise<LedgerVerification> {
    const { signal, onProgress } = options;
    this.flushNow();
    const total = this.size();
    const key = this.publicKeyOrNull();
    const fail = (seq: number | null, reason: string): LedgerVerification => ({ ok: false, size: total, seq, reason });
    // Every stored checkpoint, also any claiming a size beyond the records (the stream refuses those).
    const rows = this.stmts.checkpointsBetween.all(1, Number.MAX_SAFE_INTEGER);
    const checkpoints = new Map<number, SignedCheckpoint>();
    for (const cp of rows) {
      if (!key)
        return fail(Math.min(cp.size, total) - 1, 'the tenant has no public key to check checkpoint signatures');
      try {
        const opened = openCheckpoint(cp.note, key.publicKey, this.origin);
        if (opened.size !== cp.size || !opened.root.equals(cp.root))
          throw new Error('the note disagrees with the index');
        checkpoints.set(cp.size, opened);
      } catch (error) {
        return fail(
          Math.min(cp.size, total) - 1,
          `checkpoint at size ${cp.size}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const stream = new RecordStreamVerifier({
      key: key?.publicKey ?? null,
      origin: this.origin,
      fromSeq: 0,
      toSeq: total - 1,
      treeSize: total,
      checkpoints,
    });
    let outcome: ReturnType<RecordStreamVerifier['finish']>;
    try {
      let prev = GENESIS_PREV;
      for (let start = 0; start < total; start += CHUNK) {
        signal?.throwIfAborted();
        const end = Math.min(total, start + CHUNK);
        const mismatch = this.indexMismatch(start, end);
        const nodes = new Map<number, Buffer>();
        for (let level = 1; 2 ** level <= end; level++) {
          const lo = treeNodeId(level, Math.floor(start / 2 ** level));
          const hi = treeNodeId(level, Math.floor(end / 2 ** level) + 1);
          for (const node of this.stmts.nodesBetween.all(lo, hi)) nodes.set(node.node, node.hash);
        }
        for (const row of this.stmts.range.all(start, end)) {
          // The header is rebuilt from the columns and linked to the stored hash before it:
          // an edited column or a broken link no longer reproduces the stored hash.
          const header = storedHeader(row, prev);
          let badNode: string | null = null;
          stream.accept(
            { header, payload: row.payload, prunedBy: row.pruned_by, storedHash: row.record_hash },
            {
              onNode: (level, index, hash) => {
                const stored = nodes.get(treeNodeId(level, index));
                if (!stored || !stored.equals(hash)) badNode ??= `Merkle node ${level}/${index}`;
              },
            },
          );
          if (mismatch?.seq === row.seq) return fail(row.seq, `record ${row.seq}: ${mismatch.reason}`);
          if (badNode) return fail(row.seq, `${badNode} is missing or does not match the records`);
          prev = row.record_hash.toString('hex');
        }
        onProgress?.({ done: end, total });
        await new Promise((resolve) => setImmediate(resolve));
      }
      outcome = stream.finish();
    } catch (error) {
      if (error instanceof ChainBreak) return fail(error.seq, error.reason);
      throw error;
    }
    const last = outcome.lastCheckpoint ? rows.find((cp) => cp.size === outcome.lastCheckpoint?.size) : undefined;
    // The stored tree was just checked against the records, so roots read from it are sound.
    let witnessed: number;
    try {
      witnessed = this.checkWitness(options.witness ?? []);
    } catch (error) {
      if (error instanceof WitnessError) return fail(null, error.message);
      throw error;
    }
    return {
      ok: true,
      size: total,
      checkpoints: checkpoints.size,
      lastCheckpoint: last ? checkpointInfo(last) : null,
      witnessed,
    };
  }

  /** Flushes queued appends and stops the checkpoint timer. */
  close(): void {
    if (this.closed) return;
    this.flushNow();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  // ── internals ──────────────────────────────────────────────────────────

  private prepare(input: AppendInput): Omit<QueuedAppend, 'resolve' | 'reject'> {
    if (this.closed) throw new LedgerAppendError('The ledger is closed');
    return prepareAppend(input);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flushNow(): void {
    while (this.queue.length > 0) this.flush();
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    const receipts: AppendReceipt[] = [];
    try {
      const signer = this.signerIfDue(batch.length);
      this.write(() => {
        const state = this.cloneState();
        for (const item of batch) {
          const seq = state.size;
          const time = this.insert(state, item.type, item.canonical, item.digest, item.index);
          receipts.push({ seq, time, recordHash: state.lastHash.toString('hex') });
          // Exactly every N records, even inside one large batch.
          if (signer && state.uncovered >= this.policy.records) this.writeCheckpoint(state, signer);
        }
        if (signer && this.checkpointDue(state)) this.writeCheckpoint(state, signer);
        return state;
      });
    } catch (error) {
      const failure = new LedgerAppendError(
        `The evidence record could not be committed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
      for (const item of batch) item.reject(failure);
      if (this.queue.length > 0) this.scheduleFlush();
      return;
    }
    batch.forEach((item, i) => item.resolve(receipts[i] as AppendReceipt));
    this.armTimer();
    if (this.queue.length > 0) this.scheduleFlush();
  }

  /**
   * Runs `work` in BEGIN IMMEDIATE on a copy of the tail state, refreshed from the database
   * first if another process appended; the copy replaces the cached state only after COMMIT.
   */
  private write(work: () => TailState): void {
    const next = this.db
      .transaction(() => {
        this.refreshInTransaction();
        return work();
      })
      .immediate();
    this.state = next;
    const signed = next.signed.splice(0);
    if (this.highWaterFile) {
      for (const cp of signed) {
        try {
          appendWitness(this.highWaterFile, checkpointAnchor(this.tenant, this.origin, cp), {
            key: `local:${this.origin}:${cp.size}`,
            at: this.now(),
            dedupe: false,
          });
        } catch {
          // The checkpoint is committed and signed; a high-water file that cannot be written
          // only lags (export and verify still check what it holds, and the anchors).
        }
      }
    }
  }

  private refreshInTransaction(): void {
    const tail = this.stmts.tail.get();
    const size = tail ? tail.seq + 1 : 0;
    if (size !== this.state.size || (tail && !tail.record_hash.equals(this.state.lastHash))) {
      this.state = this.loadState();
    }
  }

  private refreshForRead(): void {
    const tail = this.stmts.tail.get();
    const size = tail ? tail.seq + 1 : 0;
    if (size === this.state.size) return;
    this.state = this.loadState();
    // Records another process appended (a short-lived `cavra evaluate`) still get their
    // checkpoint within T seconds from whichever long-lived process reads the ledger.
    this.armTimer();
  }

  private cloneState(): TailState {
    return { ...this.state, frontier: this.state.frontier.clone(), signed: [] };
  }

  private loadState(): TailState {
    const tail = this.stmts.tail.get();
    const size = tail ? tail.seq + 1 : 0;
    const frontier = new MerkleFrontier(
      size,
      MerkleFrontier.subtreesOf(size).map(([level, index]) => this.tree.perfect(level, index)),
    );
    const cp = this.stmts.lastCheckpoint.get();
    const from = cp ? cp.size : 0;
    const uncovered = (this.stmts.uncovered.get(from, this.policy.records) as { n: number }).n;
    return {
      size,
      lastHash: tail ? tail.record_hash : Buffer.from(GENESIS_PREV, 'hex'),
      lastTimeMs: tail ? tail.time_ms : 0,
      frontier,
      lastCheckpoint: cp ? { size: cp.size, time: cp.time } : null,
      uncovered,
      oldestUncoveredMs: uncovered > 0 ? (this.stmts.oldestUncovered.get(from)?.time_ms ?? null) : null,
      signed: [],
    };
  }

  /** Inserts one record into the open transaction and advances `state`; returns its time. */
  private insert(state: TailState, type: string, canonical: string, digest: Buffer, index: RecordIndex): string {
    // Times never go backwards, so seq order and time order agree and time ranges map to seq ranges.
    const timeMs = Math.max(this.now().getTime(), state.lastTimeMs);
    const time = isoTime(timeMs);
    const seq = state.size;
    const header: RecordHeader = {
      v: RECORD_VERSION,
      seq,
      time,
      type,
      prev: state.size === 0 ? GENESIS_PREV : state.lastHash.toString('hex'),
      payload_sha256: digest.toString('hex'),
    };
    const hash = recordHash(header);
    this.stmts.insertRecord.run(
      seq,
      timeMs,
      type,
      hash,
      digest,
      canonical,
      index.decision ?? null,
      index.agent ?? null,
      index.session ?? null,
    );
    for (const rule of index.rules ?? []) this.stmts.insertRule.run(rule, seq);
    state.frontier.append(leafHash(hash), (level, nodeIndex, nodeHash) => {
      this.stmts.insertNode.run(treeNodeId(level, nodeIndex), nodeHash);
    });
    state.size += 1;
    state.lastHash = hash;
    state.lastTimeMs = timeMs;
    if (type !== 'checkpoint') {
      state.uncovered += 1;
      state.oldestUncoveredMs ??= timeMs;
    }
    return time;
  }

  private checkpointDue(state: TailState): boolean {
    if (state.uncovered === 0) return false;
    if (state.uncovered >= this.policy.records) return true;
    return (
      state.oldestUncoveredMs !== null && this.now().getTime() - state.oldestUncoveredMs >= this.policy.seconds * 1000
    );
  }

  /** Signs the current tree head and appends it as a `checkpoint` record, in the open transaction. */
  private writeCheckpoint(state: TailState, signer: EvidenceSigner): void {
    const root = state.frontier.root();
    const time = Math.max(Math.floor(this.now().getTime() / 1000), state.lastCheckpoint?.time ?? 0);
    const signed: SignedCheckpoint = signCheckpoint({ origin: this.origin, size: state.size, root }, signer, time);
    this.stmts.insertCheckpoint.run(state.size, root, time, signer.keyId, signed.note);
    const payload: CheckpointPayload = {
      size: state.size,
      root: root.toString('base64'),
      time: isoTime(time * 1000),
      key_id: signer.keyId,
      note: signed.note,
    };
    const canonical = canonicalize(payload);
    const coveredSize = state.size;
    this.insert(state, 'checkpoint', canonical, payloadDigest(canonical), {});
    state.lastCheckpoint = { size: coveredSize, time };
    state.signed.push(checkpointInfo({ size: coveredSize, root, time, key_id: signer.keyId, note: signed.note }));
    state.uncovered = 0;
    state.oldestUncoveredMs = null;
  }

  /** The signer when a checkpoint may become due with this batch; null if none or unavailable. */
  private signerIfDue(batchSize: number): EvidenceSigner | null {
    const state = this.state;
    const elapsed = state.oldestUncoveredMs === null ? 0 : this.now().getTime() - state.oldestUncoveredMs;
    const mayBeDue = state.uncovered + batchSize >= this.policy.records || elapsed >= this.policy.seconds * 1000;
    if (!mayBeDue) return null;
    try {
      return this.signer();
    } catch {
      // Appends never fail for want of a signer: the record is durable, only the checkpoint waits.
      return null;
    }
  }

  private signer(): EvidenceSigner {
    const cached = this.signerCache;
    if (cached && 'signer' in cached) return cached.signer;
    if (cached && this.now().getTime() - cached.at < SIGNER_RETRY_MS) throw new LedgerSigningError(cached.error);
    try {
      const signer = this.keys.signer();
      const key = this.publicKeyOrNull();
      if (key && !key.publicKey.equals(signer.publicKey)) {
        throw new LedgerSigningError('The keychain holds a different signing key than the tenant record names');
      }
      this.signerCache = { signer };
      return signer;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.signerCache = { error: message, at: this.now().getTime() };
      throw new LedgerSigningError(message, { cause: error });
    }
  }

  private publicKeyOrNull(): { publicKey: Buffer; keyId: string } | null {
    try {
      return this.keys.publicKey();
    } catch {
      return null;
    }
  }

  private armTimer(): void {
    if (this.timer || this.closed || this.state.uncovered === 0 || this.state.oldestUncoveredMs === null) return;
    const wait = Math.max(0, this.state.oldestUncoveredMs + this.policy.seconds * 1000 - this.now().getTime());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      try {
        const signer = this.signer();
        this.write(() => {
          const state = this.cloneState();
          if (this.checkpointDue(state)) this.writeCheckpoint(state, signer);
          return state;
        });
      } catch {
        // No signer or a busy database: the next append or timer tries again.
      }
      this.armTimer();
    }, wait);
    this.timer.unref();
  }

  private readRecord(seq: number): StoredRecord | null {
    if (!Number.isSafeInteger(seq) || seq < 0) return null;
    const row = this.stmts.record.get(seq);
    if (!row) return null;
    const prev = seq === 0 ? GENESIS_PREV : this.stmts.prevHash.get(seq - 1)?.record_hash.toString('hex');
    if (prev === undefined) throw new LedgerCorruptError(`Record ${seq - 1} is missing from the ledger`);
    return {
      header: storedHeader(row, prev),
      recordHash: row.record_hash,
      payload: row.payload,
      prunedBy: row.pruned_by,
    };
  }
}

function checkpointInfo(row: {
  size: number;
  root: Buffer;
  time: number;
  key_id: string;
  note: string;
}): CheckpointInfo {
  return {
    size: row.size,
    root: row.root.toString('base64'),
    time: isoTime(row.time * 1000),
    keyId: row.key_id,
    note: row.note,
  };
}

function timeMs(value: string | Date, field: string): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new LedgerInputError(`${field}: not a valid time`);
  return ms;
}

function summarize(type: string, payload: string | null): string {
  if (payload === null) return 'payload pruned by retention';
  if (!isRecordType(type)) return type;
  try {
    return recordTypeSpec(type).describe(JSON.parse(payload) as unknown);
  } catch {
    return type;
  }
}

/** A ledger_records row as the record lists read it. */
interface SummaryRow {
  seq: number;
  time_ms: number;
  type: string;
  record_hash: Buffer;
  payload: string | null;
  pruned_by: number | null;
  decision: string | null;
  agent: string | null;
  session: string | null;
}

function toSummary(row: SummaryRow): LedgerRecordSummary {
  return {
    seq: row.seq,
    time: isoTime(row.time_ms),
    type: row.type,
    recordHash: row.record_hash.toString('hex'),
    summary: summarize(row.type, row.payload),
    decision: row.decision,
    agent: row.agent,
    session: row.session,
    pruned: row.pruned_by !== null,
  };
}

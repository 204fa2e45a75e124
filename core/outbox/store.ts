import crypto from 'node:crypto';
import type { ConnectorKind, DeliveryPurpose, DeliveryState } from '../contract';
import type { SqliteDatabase } from '../store';

/** What an attempt's server answered, kept on the row until its evidence record commits. */
export interface AttemptOutcome {
  attempt: number;
  at: number;
  ok: boolean;
  code: string | null;
  text: string;
  retryable: boolean;
  durationMs: number;
  accepted?: string[];
  rejected?: string[];
  /** The worker stopped during the attempt: the result is unknown. */
  interrupted?: boolean;
}

export interface StoredDelivery {
  id: string;
  idempotencyKey: string;
  connectorId: string;
  connectorKind: ConnectorKind;
  purpose: DeliveryPurpose;
  subject: string;
  recipients: string[];
  /** The OutboundMessage as JSON (content, never a secret). */
  message: string;
  state: DeliveryState;
  attempts: number;
  maxAttempts: number;
  baseDelayMs: number;
  nextAttemptAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  outcome: AttemptOutcome | null;
  approvalId: string | null;
  escalationId: string | null;
  escalate: boolean;
  lastCode: string | null;
  lastText: string | null;
  createdAt: number;
  createdBy: string;
  finishedAt: number | null;
  /** Set by claimDue on a delivery taken over from a worker that stopped mid-attempt. */
  recovered?: boolean;
}

export interface StoredAttempt {
  deliveryId: string;
  attempt: number;
  at: number;
  outcome: 'accepted' | 'failed' | 'interrupted';
  code: string | null;
  text: string;
  durationMs: number;
  evidenceSeq: number | null;
}

export interface NewDelivery {
  idempotencyKey: string;
  connectorId: string;
  connectorKind: ConnectorKind;
  purpose: DeliveryPurpose;
  subject: string;
  recipients: string[];
  message: string;
  maxAttempts: number;
  baseDelayMs: number;
  escalate: boolean;
  createdBy: string;
  /** Waits for this approval request before the first attempt. */
  approvalId?: string;
}

export interface DeliveryFilter {
  states?: readonly DeliveryState[];
  connectorId?: string;
  purpose?: DeliveryPurpose;
  limit?: number;
}

/** How an attempt ends for the row: the next state and when to try again. */
export interface AttemptResolution {
  state: DeliveryState;
  nextAttemptAt: number | null;
  evidenceSeq: number | null;
  escalationId?: string | null;
}

/**
 * The outbox's storage, per tenant, behind an async interface so a PostgreSQL store can
 * take its place (HOUSE rule 15). Every state change is one short transaction.
 */
export interface OutboxRepository {
  enqueue(tenant: string, delivery: NewDelivery, now: number): Promise<{ delivery: StoredDelivery; created: boolean }>;
  get(tenant: string, id: string): Promise<StoredDelivery | null>;
  list(tenant: string, filter: DeliveryFilter): Promise<StoredDelivery[]>;
  attempts(tenant: string, ids: readonly string[]): Promise<StoredAttempt[]>;
  /**
   * Claims due deliveries for `owner`: queued ones whose time has come, and sending ones
   * whose lease ran out or whose owner is gone (`isOwnerGone`). Claiming counts an attempt.
   */
  claimDue(
    tenant: string,
    claim: { owner: string; now: number; leaseMs: number; limit: number; onlyId?: string },
    isOwnerGone: (owner: string) => boolean,
  ): Promise<StoredDelivery[]>;
  /** Makes the server's answer durable before its evidence is written (no re-send after a crash). */
  saveOutcome(tenant: string, id: string, owner: string, outcome: AttemptOutcome): Promise<boolean>;
  /** Writes the attempt row and the delivery's next state, releasing the lease. */
  resolveAttempt(tenant: string, id: string, outcome: AttemptOutcome, resolution: AttemptResolution): Promise<void>;
  awaitingApproval(tenant: string): Promise<StoredDelivery[]>;
  /** awaiting_approval → queued (approved) or refused. */
  settleApproval(tenant: string, id: string, state: 'queued' | 'refused', text: string, now: number): Promise<boolean>;
  /** failed (or refused without an approval) → queued with `budget` more attempts. */
  requeue(tenant: string, id: string, now: number, budget: number): Promise<StoredDelivery | null>;
  /** Deliveries of this connector that have not finished fail (the connector was removed). */
  failOpen(tenant: string, connectorId: string, text: string, now: number): Promise<number>;
  anchoredSize(tenant: string, connectorId: string): Promise<number>;
  setAnchoredSize(tenant: string, connectorId: string, size: number): Promise<void>;
  health(
    tenant: string,
    connectorId: string,
    since: number,
  ): Promise<{ last: StoredAttempt | null; failures: number; successes: number }>;
}

interface Row {
  id: string;
  idempotency_key: string;
  connector_id: string;
  connector_kind: ConnectorKind;
  purpose: DeliveryPurpose;
  subject: string;
  recipients: string;
  message: string;
  state: DeliveryState;
  attempts: number;
  max_attempts: number;
  base_delay_ms: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  outcome: string | null;
  approval_id: string | null;
  escalation_id: string | null;
  escalate: number;
  last_code: string | null;
  last_text: string | null;
  created_at: number;
  created_by: string;
  finished_at: number | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: number;
  outcome: 'accepted' | 'failed' | 'interrupted';
  code: string | null;
  text: string;
  duration_ms: number;
  evidence_seq: number | null;
}

const toDelivery = (row: Row): StoredDelivery => ({
  id: row.id,
  idempotencyKey: row.idempotency_key,
  connectorId: row.connector_id,
  connectorKind: row.connector_kind,
  purpose: row.purpose,
  subject: row.subject,
  recipients: JSON.parse(row.recipients) as string[],
  message: row.message,
  state: row.state,
  attempts: row.attempts,
  maxAttempts: row.max_attempts,
  baseDelayMs: row.base_delay_ms,
  nextAttemptAt: row.next_attempt_at,
  leaseOwner: row.lease_owner,
  leaseUntil: row.lease_until,
  outcome: row.outcome ? (JSON.parse(row.outcome) as AttemptOutcome) : null,
  approvalId: row.approval_id,
  escalationId: row.escalation_id,
  escalate: row.escalate === 1,
  lastCode: row.last_code,
  lastText: row.last_text,
  createdAt: row.created_at,
  createdBy: row.created_by,
  finishedAt: row.finished_at,
});

const toAttempt = (row: AttemptRow): StoredAttempt => ({
  deliveryId: row.delivery_id,
  attempt: row.attempt,
  at: row.at,
  outcome: row.outcome,
  code: row.code,
  text: row.text,
  durationMs: row.duration_ms,
  evidenceSeq: row.evidence_seq,
});

/** The SQLite outbox: the `outbox` tables of each tenant's own database. */
export class SqliteOutboxRepository implements OutboxRepository {
  constructor(private readonly db: (tenant: string) => SqliteDatabase) {}

  async enqueue(tenant: string, delivery: NewDelivery, now: number) {
    const db = this.db(tenant);
    const id = `dlv_${crypto.randomUUID()}`;
    const inserted = db
      .prepare(
        `INSERT OR IGNORE INTO outbox_deliveries (id, idempotency_key, connector_id, connector_kind, purpose, subject,
           recipients, message, state, max_attempts, base_delay_ms, next_attempt_at, approval_id, escalate, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        delivery.idempotencyKey,
        delivery.connectorId,
        delivery.connectorKind,
        delivery.purpose,
        delivery.subject,
        JSON.stringify(delivery.recipients),
        delivery.message,
        delivery.approvalId ? 'awaiting_approval' : 'queued',
        delivery.maxAttempts,
        delivery.baseDelayMs,
        delivery.approvalId ? null : now,
        delivery.approvalId ?? null,
        delivery.escalate ? 1 : 0,
        now,
        delivery.createdBy,
      );
    const row = db
      .prepare(`SELECT * FROM outbox_deliveries WHERE idempotency_key = ?`)
      .get(delivery.idempotencyKey) as Row;
    return { delivery: toDelivery(row), created: inserted.changes === 1 };
  }

  async get(tenant: string, id: string) {
    const row = this.db(tenant).prepare(`SELECT * FROM outbox_deliveries WHERE id = ?`).get(id) as Row | undefined;
    return row ? toDelivery(row) : null;
  }

  async list(tenant: string, filter: DeliveryFilter) {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.states && filter.states.length > 0) {
      where.push(`state IN (${filter.states.map(() => '?').join(',')})`);
      args.push(...filter.states);
    }
    if (filter.connectorId) {
      where.push('connector_id = ?');
      args.push(filter.connectorId);
    }
    if (filter.purpose) {
      where.push('purpose = ?');
      args.push(filter.purpose);
    }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
    const rows = this.db(tenant)
      .prepare(
        `SELECT * FROM outbox_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      .all(...args, limit) as Row[];
    return rows.map(toDelivery);
  }

  async attempts(tenant: string, ids: readonly string[]) {
    if (ids.length === 0) return [];
    const rows = this.db(tenant)
      .prepare(
        `SELECT * FROM outbox_attempts WHERE delivery_id IN (${ids.map(() => '?').join(',')}) ORDER BY delivery_id, attempt`,
      )
      .all(...ids) as AttemptRow[];
    return rows.map(toAttempt);
  }

  async claimDue(
    tenant: string,
    claim: { owner: string; now: number; leaseMs: number; limit: number; onlyId?: string },
    isOwnerGone: (owner: string) => boolean,
  ) {
    const db = this.db(tenant);
    // A cheap read first: most ticks find nothing due and must not take the write lock.
    const due = db
      .prepare(
        `SELECT 1 FROM outbox_deliveries
         WHERE ((state = 'queued' AND next_attempt_at <= ?) OR state = 'sending') AND (? IS NULL OR id = ?) LIMIT 1`,
      )
      .get(claim.now, claim.onlyId ?? null, claim.onlyId ?? null);
    if (!due) return [];
    return db
      .transaction(() => {
        const candidates = db
          .prepare(
            `SELECT * FROM outbox_deliveries
             WHERE ((state = 'queued' AND next_attempt_at <= ?) OR state = 'sending') AND (? IS NULL OR id = ?)
             ORDER BY next_attempt_at, created_at LIMIT ?`,
          )
          .all(claim.now, claim.onlyId ?? null, claim.onlyId ?? null, claim.limit * 4) as Row[];
        const claimed: StoredDelivery[] = [];
        for (const row of candidates) {
          if (claimed.length >= claim.limit) break;
          if (row.state === 'sending') {
            const expired = row.lease_until === null || row.lease_until <= claim.now;
            const gone = row.lease_owner !== null && row.lease_owner !== claim.owner && isOwnerGone(row.lease_owner);
            if (!expired && !gone) continue;
            // Recovered: the attempt in flight is counted already; its outcome (if saved) is kept.
            db.prepare(`UPDATE outbox_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?`).run(
              claim.owner,
              claim.now + claim.leaseMs,
              row.id,
            );
            claimed.push({ ...toDelivery(row), leaseOwner: claim.owner, recovered: true });
            continue;
          }
          db.prepare(
            `UPDATE outbox_deliveries SET state = 'sending', attempts = attempts + 1, lease_owner = ?, lease_until = ?
             WHERE id = ? AND state = 'queued'`,
          ).run(claim.owner, claim.now + claim.leaseMs, row.id);
          claimed.push({
            ...toDelivery(row),
            state: 'sending',
            attempts: row.attempts + 1,
            leaseOwner: claim.owner,
            leaseUntil: claim.now + claim.leaseMs,
          });
        }
        return claimed;
      })
      .immediate();
  }

  async saveOutcome(tenant: string, id: string, owner: string, outcome: AttemptOutcome) {
    const result = this.db(tenant)
      .prepare(`UPDATE outbox_deliveries SET outcome = ? WHERE id = ? AND state = 'sending' AND lease_owner = ?`)
      .run(JSON.stringify(outcome), id, owner);
    return result.changes === 1;
  }

  async resolveAttempt(tenant: string, id: string, outcome: AttemptOutcome, resolution: AttemptResolution) {
    const db = this.db(tenant);
    const terminal =
      resolution.state === 'delivered' || resolution.state === 'failed' || resolution.state === 'refused';
    db.transaction(() => {
      db.prepare(
        `INSERT OR REPLACE INTO outbox_attempts (delivery_id, attempt, at, outcome, code, text, duration_ms, evidence_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        outcome.attempt,
        outcome.at,
        outcome.interrupted ? 'interrupted' : outcome.ok ? 'accepted' : 'failed',
        outcome.code,
        outcome.text,
        outcome.durationMs,
        resolution.evidenceSeq,
      );
      db.prepare(
        `UPDATE outbox_deliveries SET state = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
           outcome = NULL, last_code = ?, last_text = ?, finished_at = ?,
           escalation_id = COALESCE(?, escalation_id)
         WHERE id = ?`,
      ).run(
        resolution.state,
        resolution.nextAttemptAt,
        outcome.code,
        outcome.text,
        terminal ? outcome.at + outcome.durationMs : null,
        resolution.escalationId ?? null,
        id,
      );
    })();
  }

  async awaitingApproval(tenant: string) {
    const rows = this.db(tenant)
      .prepare(`SELECT * FROM outbox_deliveries WHERE state = 'awaiting_approval' ORDER BY created_at LIMIT 200`)
      .all() as Row[];
    return rows.map(toDelivery);
  }

  async settleApproval(tenant: string, id: string, state: 'queued' | 'refused', text: string, now: number) {
    const result = this.db(tenant)
      .prepare(
        `UPDATE outbox_deliveries SET state = ?, next_attempt_at = ?, last_text = ?, finished_at = ?
         WHERE id = ? AND state = 'awaiting_approval'`,
      )
      .run(state, state === 'queued' ? now : null, text, state === 'refused' ? now : null, id);
    return result.changes === 1;
  }

  async requeue(tenant: string, id: string, now: number, budget: number) {
    // Attempt numbers go on from where they stopped, so the audit keeps every earlier attempt.
    const result = this.db(tenant)
      .prepare(
        `UPDATE outbox_deliveries SET state = 'queued', max_attempts = attempts + ?, next_attempt_at = ?,
           finished_at = NULL, escalation_id = NULL
         WHERE id = ? AND (state = 'failed' OR (state = 'refused' AND approval_id IS NULL))`,
      )
      .run(Math.max(1, budget), now, id);
    return result.changes === 1 ? this.get(tenant, id) : null;
  }

  async failOpen(tenant: string, connectorId: string, text: string, now: number) {
    const result = this.db(tenant)
      .prepare(
        `UPDATE outbox_deliveries SET state = 'failed', last_text = ?, finished_at = ?, next_attempt_at = NULL,
           lease_owner = NULL, lease_until = NULL
         WHERE connector_id = ? AND state IN ('queued', 'awaiting_approval')`,
      )
      .run(text, now, connectorId);
    return result.changes;
  }

  async anchoredSize(tenant: string, connectorId: string) {
    const row = this.db(tenant)
      .prepare(`SELECT anchored_size FROM outbox_anchors WHERE connector_id = ?`)
      .get(connectorId) as { anchored_size: number } | undefined;
    return row?.anchored_size ?? 0;
  }

  async setAnchoredSize(tenant: string, connectorId: string, size: number) {
    this.db(tenant)
      .prepare(
        `INSERT INTO outbox_anchors (connector_id, anchored_size) VALUES (?, ?)
         ON CONFLICT(connector_id) DO UPDATE SET anchored_size = MAX(anchored_size, excluded.anchored_size)`,
      )
      .run(connectorId, size);
  }

  async health(tenant: string, connectorId: string, since: number) {
    const db = this.db(tenant);
    const last = db
      .prepare(
        `SELECT a.* FROM outbox_attempts a JOIN outbox_deliveries d ON d.id = a.delivery_id
         WHERE d.connector_id = ? ORDER BY a.at DESC LIMIT 1`,
      )
      .get(connectorId) as AttemptRow | undefined;
    const counts = db
      .prepare(
        `SELECT SUM(a.outcome = 'accepted') AS ok, SUM(a.outcome != 'accepted') AS bad
         FROM outbox_attempts a JOIN outbox_deliveries d ON d.id = a.delivery_id
         WHERE d.connector_id = ? AND a.at >= ?`,
      )
      .get(connectorId, since) as { ok: number | null; bad: number | null };
    return { last: last ? toAttempt(last) : null, successes: counts.ok ?? 0, failures: counts.bad ?? 0 };
  }
}

import crypto from 'node:crypto';
import { ContractError, approvalStateSchema } from '../contract';
import type { Action, ApprovalSubjectType, PrincipalKind } from '../contract';
import type { SqliteDatabase } from '../store';
import type { ApprovalBinding } from './binding';

const approvalStates = approvalStateSchema.options;
type ApprovalState = (typeof approvalStates)[number];

/** Reviewers see the content an agent wants to write, up to this much; the binding covers all of it. */
const MAX_STORED_CONTENT = 64 * 1024;
/** How often waiters look for decisions made by another process (the CLI, the console). */
const POLL_MS = 200;
/** An append takes milliseconds (seconds when the database is busy); older unrecorded rows are crash leftovers. */
const STALE_UNRECORDED_MS = 2 * 60_000;

export interface ApprovalRequest {
  id: string;
  tenant: string;
  state: ApprovalState;
  binding: ApprovalBinding;
  /** `<pack>/<route>` as the Decision names it, or `default`. */
  route: string;
  ruleId: string | null;
  /** Why the policy asks for an approval. */
  reason: string;
  requireReason: boolean;
  /** The human on whose behalf the agent acts; never allowed to approve their own request. */
  requester: string | null;
  agent: { id: string; session?: string } | null;
  adapter: string;
  correlationId: string;
  decisionId: string;
  actionType: ApprovalSubjectType;
  target: string;
  /** The exact action (or, for a report delivery, what is sent to whom) the approval is bound to. */
  action: Action | ApprovalSubject;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  decisionReason: string | null;
  /** When an approved request was used by the action it approves (it allows that action once). */
  consumedAt: string | null;
  /** Ledger records: the decision that opened the request (null for report deliveries), the `requested` record and the latest state record. */
  decisionSeq: number | null;
  requestedSeq: number | null;
  stateSeq: number | null;
  /** The OS user id the gate verified behind the requesting agent (socket peer or install owner). */
  requesterUid: number | null;
  /**
   * Approved by the local evaluation identity for an agent of the same OS user: nobody
   * independent looked at it. Recorded, shown, and a readiness blocker (SPEC §7).
   */
  selfApproved: boolean;
}

/** A request for something other than an agent action: the fields that bind it. */
export interface ApprovalSubject {
  type: Exclude<ApprovalSubjectType, Action['type']>;
  [field: string]: unknown;
}

/** A request as opened: the desk fills in its state and times, and the tenant from the binding. */
export type NewApprovalRequest = Omit<
  ApprovalRequest,
  | 'id'
  | 'tenant'
  | 'state'
  | 'requireReason'
  | 'createdAt'
  | 'expiresAt'
  | 'decidedAt'
  | 'decidedBy'
  | 'decisionReason'
  | 'consumedAt'
  | 'decisionSeq'
  | 'requestedSeq'
  | 'stateSeq'
  | 'requesterUid'
  | 'selfApproved'
> & {
  id?: string;
  requireReason?: boolean;
  expiresInMs: number;
  decisionSeq?: number | null;
  requesterUid?: number | null;
};

/** The ledger record of one state change (record type `approval`). */
interface ApprovalEvent {
  request_id: string;
  event: ApprovalState | 'requested';
  /** Who caused it: a principal id, or `cavra` for expiry and recovery. */
  by: string;
  reason?: string;
  tenant: string;
  action_sha256: string;
  pack_id: string | null;
  pack_version: string | null;
  route: string;
  rule_id: string | null;
  requester: string | null;
  agent?: { id: string; session?: string };
  adapter: string;
  correlation_id: string;
  decision_id: string;
  action_type: ApprovalSubjectType;
  target: string;
  expires_at: string;
  /** The kind of principal who caused it (`human`, `local_evaluation`; absent for the core itself). */
  by_kind?: PrincipalKind;
  self_approved?: true;
}

interface ApprovalDeskOptions {
  store(tenant: string): SqliteDatabase;
  /** Appends the event to the tenant's ledger; resolves with its sequence number once durable. */
  record(tenant: string, event: ApprovalEvent): Promise<number>;
  now?: () => Date;
  /** Told about every recorded state change (push events to the console). */
  onChange?: (request: ApprovalRequest) => void;
  log?: (message: string) => void;
}

interface Row {
  id: string;
  state: ApprovalState;
  action_sha256: string;
  pack_id: string | null;
  pack_version: string | null;
  route: string;
  rule_id: string | null;
  reason: string;
  require_reason: number;
  requester: string | null;
  agent_id: string | null;
  agent_session: string | null;
  adapter: string;
  correlation_id: string;
  decision_id: string;
  action_type: ApprovalSubjectType;
  target: string;
  action: string;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  decision_reason: string | null;
  consumed_at: number | null;
  requested_seq: number | null;
  state_seq: number | null;
  decision_seq: number | null;
  requester_uid: number | null;
  decided_by_kind: string | null;
  self_approved: number;
}

interface Waiter {
  tenant: string;
  id: string;
  resolve: (request: ApprovalRequest | null) => void;
  timer: NodeJS.Timeout;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Approval requests (SPEC §5), one table per tenant database. A state change counts only
 * once its ledger record is committed: until then the row carries no `state_seq`, waiters
 * keep waiting, and a failed append puts the request back as it was ("no record, no
 * effect"). Every transition leaves `pending`; expiry is enforced here, on every read and
 * by the waiters' poll, never by a manual command.
 */
export class ApprovalDesk {
  private readonly now: () => Date;
  private readonly waiters = new Set<Waiter>();
  private readonly recovered = new Set<string>();
  private poller: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(private readonly options: ApprovalDeskOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Opens a pending request and records it; rejects (and leaves nothing pending) if it cannot be recorded. */
  async open(input: NewApprovalRequest): Promise<ApprovalRequest> {
    const tenant = input.binding.tenant;
    const db = this.db(tenant);
    const id = input.id ?? `apr_${crypto.randomUUID()}`;
    const now = this.now().getTime();
    const action = storedAction(input.action);
    db.prepare(
      `INSERT INTO approval_requests (id, state, action_sha256, pack_id, pack_version, route, rule_id, reason,
         require_reason, requester, agent_id, agent_session, adapter, correlation_id, decision_id, action_type,
         target, action, created_at, expires_at, decision_seq, requester_uid)
       VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      input.binding.actionSha256,
      input.binding.packId,
      input.binding.packVersion,
      input.route,
      input.ruleId,
      input.reason,
      input.requireReason ? 1 : 0,
      input.requester,
      input.agent?.id ?? null,
      input.agent?.session ?? null,
      input.adapter,
      input.correlationId,
      input.decisionId,
      input.actionType,
      input.target,
      JSON.stringify(action),
      now,
      now + Math.max(1000, input.expiresInMs),
      input.decisionSeq ?? null,
      input.requesterUid ?? null,
    );
    const row = this.row(tenant, id) as Row;
    let seq: number;
    try {
      seq = await this.options.record(tenant, this.event(tenant, row, 'requested', 'cavra'));
    } catch (error) {
      db.prepare(`DELETE FROM approval_requests WHERE id = ? AND requested_seq IS NULL`).run(id);
      throw error;
    }
    db.prepare(`UPDATE approval_requests SET requested_seq = ?, state_seq = ? WHERE id = ?`).run(seq, seq, id);
    const request = this.toRequest(tenant, this.row(tenant, id) as Row);
    this.changed(request);
    return request;
  }

  /**
   * Approves or denies a pending request. Refused: an unknown, decided or expired request;
   * the requester approving their own (denying it is withdrawing it); a deny (or, where the route says so, an approval)
   * without a reason; a decision the ledger cannot record.
   */
  async decide(
    tenant: string,
    id: string,
    decision: {
      verdict: 'approve' | 'deny';
      by: string;
      reason?: string;
      /** Who `by` is: the local evaluation identity approving for its own OS user is self-approval. */
      byKind?: PrincipalKind;
      byUid?: number | null;
    },
  ): Promise<ApprovalRequest> {
    await this.expireDue(tenant);
    const row = this.row(tenant, id);
    if (!row) throw new ContractError('not_found', `id: approval request "${id}" does not exist`, 'id');
    if (row.state !== 'pending' || row.state_seq === null) {
      throw new ContractError('conflict', `id: approval request ${id} is ${row.state}, not pending`, 'id');
    }
    if (decision.verdict === 'approve' && row.requester !== null && row.requester === decision.by) {
      throw new ContractError(
        'forbidden',
        'You requested this action; someone else must decide it (separation of duties)',
      );
    }
    const reason = decision.reason?.trim() ?? '';
    if (decision.verdict === 'deny' && reason === '') {
      throw new ContractError('invalid_input', 'reason: is required to deny a request', 'reason');
    }
    if (decision.verdict === 'approve' && row.require_reason === 1 && reason === '') {
      throw new ContractError('invalid_input', `reason: route ${row.route} requires a reason to approve`, 'reason');
    }
    const state: ApprovalState = decision.verdict === 'approve' ? 'approved' : 'denied';
    // Unknown on either side counts as the same user: self-approval is only ruled out by proof.
    const selfApproved =
      decision.verdict === 'approve' &&
      decision.byKind === 'local_evaluation' &&
      (row.requester_uid === null || decision.byUid == null || row.requester_uid === decision.byUid);
    return this.transition(tenant, row, state, decision.by, reason === '' ? null : reason, {
      kind: decision.byKind,
      selfApproved,
    });
  }

  /** Withdraws a pending request (the waiting adapter gave up, or an operator cancelled it). */
  async cancel(tenant: string, id: string, by: string, reason: string): Promise<ApprovalRequest> {
    const row = this.row(tenant, id);
    if (!row) throw new ContractError('not_found', `id: approval request "${id}" does not exist`, 'id');
    if (row.state !== 'pending' || row.state_seq === null) {
      throw new ContractError('conflict', `id: approval request ${id} is ${row.state}, not pending`, 'id');
    }
    return this.transition(tenant, row, 'cancelled', by, reason);
  }

  get(tenant: string, id: string): ApprovalRequest | null {
    const row = this.row(tenant, id);
    return row ? this.toRequest(tenant, row) : null;
  }

  /** Newest first. Call `expireDue` before for an up-to-date view (the handlers do). */
  list(tenant: string, filter: { states?: readonly ApprovalState[]; limit?: number } = {}): ApprovalRequest[] {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
    const states = filter.states && filter.states.length > 0 ? filter.states : approvalStates;
    const rows = this.db(tenant)
      .prepare(
        `SELECT * FROM approval_requests WHERE state IN (${states.map(() => '?').join(',')})
         ORDER BY created_at DESC, id LIMIT ?`,
      )
      .all(...states, limit) as Row[];
    return rows.map((row) => this.toRequest(tenant, row));
  }

  /** Approvals the local evaluation identity gave to an agent of its own OS user (readiness blockers). */
  selfApproved(tenant: string): ApprovalRequest[] {
    const rows = this.db(tenant)
      .prepare(`SELECT * FROM approval_requests WHERE self_approved = 1 AND state_seq IS NOT NULL ORDER BY decided_at`)
      .all() as Row[];
    return rows.map((row) => this.toRequest(tenant, row));
  }

  /** A recorded, pending request for the same binding, so a retry joins it instead of opening another. */
  pendingFor(binding: ApprovalBinding): ApprovalRequest | null {
    const row = this.db(binding.tenant)
      .prepare(
        `SELECT * FROM approval_requests
         WHERE action_sha256 = ? AND pack_id IS ? AND pack_version IS ? AND state = 'pending'
           AND state_seq IS NOT NULL AND expires_at > ?
         ORDER BY created_at DESC LIMIT 1`,
      )
      .get(binding.actionSha256, binding.packId, binding.packVersion, this.now().getTime()) as Row | undefined;
    return row ? this.toRequest(binding.tenant, row) : null;
  }

  /**
   * Uses an approval: the approved, recorded, unexpired and not yet used request with this
   * binding is marked used by `correlationId` and returned. Atomic, so one approval
   * allows one action even when retries race.
   */
  consume(binding: ApprovalBinding, correlationId: string, requestId?: string): ApprovalRequest | null {
    const db = this.db(binding.tenant);
    const now = this.now().getTime();
    const candidates = db
      .prepare(
        `SELECT id FROM approval_requests
         WHERE action_sha256 = ? AND pack_id IS ? AND pack_version IS ? AND state = 'approved'
           AND state_seq IS NOT NULL AND consumed_at IS NULL AND expires_at > ? AND (? IS NULL OR id = ?)
         ORDER BY decided_at`,
      )
      .all(binding.actionSha256, binding.packId, binding.packVersion, now, requestId ?? null, requestId ?? null) as {
      id: string;
    }[];
    for (const { id } of candidates) {
      const taken = db
        .prepare(`UPDATE approval_requests SET consumed_at = ?, consumed_by = ? WHERE id = ? AND consumed_at IS NULL`)
        .run(now, correlationId, id);
      if (taken.changes === 1) return this.get(binding.tenant, id);
    }
    return null;
  }

  /** Expires every pending request past its time, recording each; returns how many. */
  async expireDue(tenant: string): Promise<number> {
    const rows = this.db(tenant)
      .prepare(`SELECT * FROM approval_requests WHERE state = 'pending' AND state_seq IS NOT NULL AND expires_at <= ?`)
      .all(this.now().getTime()) as Row[];
    let expired = 0;
    for (const row of rows) {
      try {
        await this.transition(tenant, row, 'expired', 'cavra', 'not decided before it expired');
        expired += 1;
      } catch (error) {
        // Another process expired or decided it first, or the ledger is failing: the row
        // stays pending-looking to waiters, which still time out and deny.
        if (!(error instanceof ContractError)) this.log(`approval expiry not recorded: ${message(error)}`);
      }
    }
    return expired;
  }

  /**
   * Resolves with the request once its state is recorded as something other than pending,
   * or with its current (pending) form after `timeoutMs`, whichever comes first. Decisions
   * made by other processes are seen through a poll of the tenant database.
   */
  wait(tenant: string, id: string, timeoutMs: number): Promise<ApprovalRequest | null> {
    const current = this.get(tenant, id);
    if (!current || isSettled(current)) return Promise.resolve(current);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        tenant,
        id,
        resolve: (request) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          if (this.waiters.size === 0) this.stopPolling();
          resolve(request);
        },
        // A timer, not the wall clock: a clock jump cannot stretch or skip the wait.
        timer: setTimeout(() => waiter.resolve(this.get(tenant, id)), Math.max(0, timeoutMs)),
      };
      this.waiters.add(waiter);
      this.startPolling();
    });
  }

  close(): void {
    for (const waiter of [...this.waiters]) waiter.resolve(null);
    this.stopPolling();
  }

  private async transition(
    tenant: string,
    row: Row,
    state: Exclude<ApprovalState, 'pending'>,
    by: string,
    reason: string | null,
    decider: { kind?: PrincipalKind; selfApproved: boolean } = { selfApproved: false },
  ): Promise<ApprovalRequest> {
    const db = this.db(tenant);
    const now = this.now().getTime();
    const claimed = db
      .prepare(
        `UPDATE approval_requests SET state = ?, decided_at = ?, decided_by = ?, decision_reason = ?, state_seq = NULL,
           decided_by_kind = ?, self_approved = ?
         WHERE id = ? AND state = 'pending' AND state_seq IS NOT NULL`,
      )
      .run(state, now, by, reason, decider.kind ?? null, decider.selfApproved ? 1 : 0, row.id);
    if (claimed.changes !== 1) {
      throw new ContractError('conflict', `id: approval request ${row.id} was decided by someone else first`, 'id');
    }
    let seq: number;
    try {
      const claimedRow = this.row(tenant, row.id) as Row;
      seq = await this.options.record(tenant, this.event(tenant, claimedRow, state, by, reason ?? undefined));
    } catch (error) {
      db.prepare(
        `UPDATE approval_requests SET state = 'pending', decided_at = NULL, decided_by = NULL, decision_reason = NULL,
           decided_by_kind = NULL, self_approved = 0, state_seq = requested_seq WHERE id = ?`,
      ).run(row.id);
      throw new ContractError(
        'unavailable',
        `The ${state} state of ${row.id} could not be recorded in the evidence ledger, so it did not take effect: ${message(error)}`,
      );
    }
    db.prepare(`UPDATE approval_requests SET state_seq = ? WHERE id = ?`).run(seq, row.id);
    const request = this.toRequest(tenant, this.row(tenant, row.id) as Row);
    this.changed(request);
    return request;
  }

  private changed(request: ApprovalRequest): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.tenant === request.tenant && waiter.id === request.id && isSettled(request)) waiter.resolve(request);
    }
    try {
      this.options.onChange?.(request);
    } catch (error) {
      this.log(`approval change listener failed: ${message(error)}`);
    }
  }

  private startPolling(): void {
    if (this.poller) return;
    this.poller = setInterval(() => void this.poll(), POLL_MS);
    this.poller.unref();
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const tenants = new Set([...this.waiters].map((waiter) => waiter.tenant));
      for (const tenant of tenants) {
        await this.expireDue(tenant);
        for (const waiter of [...this.waiters]) {
          if (waiter.tenant !== tenant) continue;
          const request = this.get(tenant, waiter.id);
          if (!request || isSettled(request)) waiter.resolve(request);
        }
      }
    } catch (error) {
      this.log(`approval poll failed: ${message(error)}`);
    } finally {
      this.polling = false;
    }
  }

  private db(tenant: string): SqliteDatabase {
    const db = this.options.store(tenant);
    if (!this.recovered.has(tenant)) {
      this.recovered.add(tenant);
      recover(db, this.now().getTime() - STALE_UNRECORDED_MS);
    }
    return db;
  }

  private row(tenant: string, id: string): Row | undefined {
    return this.db(tenant).prepare(`SELECT * FROM approval_requests WHERE id = ?`).get(id) as Row | undefined;
  }

  private event(tenant: string, row: Row, event: ApprovalEvent['event'], by: string, reason?: string): ApprovalEvent {
    return {
      request_id: row.id,
      event,
      by,
      ...(reason ? { reason } : {}),
      tenant,
      action_sha256: row.action_sha256,
      pack_id: row.pack_id,
      pack_version: row.pack_version,
      route: row.route,
      rule_id: row.rule_id,
      requester: row.requester,
      ...(row.agent_id
        ? { agent: row.agent_session ? { id: row.agent_id, session: row.agent_session } : { id: row.agent_id } }
        : {}),
      adapter: row.adapter,
      correlation_id: row.correlation_id,
      decision_id: row.decision_id,
      action_type: row.action_type,
      target: row.target,
      expires_at: new Date(row.expires_at).toISOString(),
      ...(row.decided_by_kind && event !== 'requested' ? { by_kind: row.decided_by_kind as PrincipalKind } : {}),
      ...(row.self_approved === 1 && event === 'approved' ? { self_approved: true as const } : {}),
    };
  }

  private toRequest(tenant: string, row: Row): ApprovalRequest {
    return {
      id: row.id,
      tenant,
      // A state whose record is not committed yet has not happened.
      state: row.state_seq === null ? 'pending' : row.state,
      binding: {
        tenant,
        actionSha256: row.action_sha256,
        packId: row.pack_id,
        packVersion: row.pack_version,
      },
      route: row.route,
      ruleId: row.rule_id,
      reason: row.reason,
      requireReason: row.require_reason === 1,
      requester: row.requester,
      agent: row.agent_id ? { id: row.agent_id, ...(row.agent_session ? { session: row.agent_session } : {}) } : null,
      adapter: row.adapter,
      correlationId: row.correlation_id,
      decisionId: row.decision_id,
      actionType: row.action_type,
      target: row.target,
      action: JSON.parse(row.action) as Action | ApprovalSubject,
      createdAt: iso(row.created_at) as string,
      expiresAt: iso(row.expires_at) as string,
      decidedAt: row.state_seq === null ? null : iso(row.decided_at),
      decidedBy: row.state_seq === null ? null : row.decided_by,
      decisionReason: row.state_seq === null ? null : row.decision_reason,
      consumedAt: iso(row.consumed_at),
      decisionSeq: row.decision_seq ?? null,
      requestedSeq: row.requested_seq,
      stateSeq: row.state_seq,
      requesterUid: row.requester_uid,
      selfApproved: row.state_seq !== null && row.self_approved === 1,
    };
  }

  private log(text: string): void {
    (this.options.log ?? ((m: string) => process.stderr.write(`[cavra] ${m}\n`)))(text);
  }
}

function isSettled(request: ApprovalRequest): boolean {
  return request.state !== 'pending';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function storedAction(action: Action | ApprovalSubject): Action | ApprovalSubject {
  if (typeof action.content !== 'string' || action.content.length <= MAX_STORED_CONTENT) return action;
  return { ...action, content: `${action.content.slice(0, MAX_STORED_CONTENT)}\n… (truncated for display)` };
}

/**
 * After a crash: a decision whose record never committed is undone (the request is pending
 * again), and a request whose own record never committed is removed — neither happened.
 * Only rows older than `before` are touched: younger ones may belong to another process
 * that is still waiting for its append.
 */
function recover(db: SqliteDatabase, before: number): void {
  db.transaction(() => {
    db.prepare(
      `UPDATE approval_requests SET state = 'pending', decided_at = NULL, decided_by = NULL, decision_reason = NULL,
         state_seq = requested_seq
       WHERE state_seq IS NULL AND requested_seq IS NOT NULL AND decided_at < ?`,
    ).run(before);
    db.prepare(`DELETE FROM approval_requests WHERE requested_seq IS NULL AND created_at < ?`).run(before);
  })();
}

import crypto from 'node:crypto';
import { ContractError, approvalStateSchema } from '../contract';
import type { Action, ApprovalState, ApprovalSubjectType, ApprovalVote, PrincipalKind, Role } from '../contract';
import type { Statement as SqliteStatement } from 'better-sqlite3';
import type { SqliteDatabase } from '../store';
import type { ApprovalBinding } from './binding';
import { separationRefusal, stepUpRequirement } from './separation';
import type { Decider, StepUpReason } from './separation';
import type { Attestation } from './attestation';

const approvalStates = approvalStateSchema.options;
type Statement = SqliteStatement<unknown[]>;
/** States a request can leave: a transition claims the row from one of these. */
type Leavable = 'pending' | 'approved';

/** Reviewers see the content an agent wants to write, up to this much; the binding covers all of it. */
const MAX_STORED_CONTENT = 64 * 1024;
/** How often waiters look for decisions made by another process (the CLI, the console). */
const POLL_MS = 200;
/**
 * A request whose adapter's wait ended this long ago, still pending, has nobody waiting (the
 * adapter's gate went away without saying so): it is abandoned by the next sweep.
 */
const ABANDON_GRACE_MS = 5_000;
/** How long a break-glass approval may be used after it was given. */
export const BREAK_GLASS_VALID_MS = 15 * 60_000;
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
  /** The route's terms as they were when the request opened. */
  terms: RouteTerms;
  /** When the waiting adapter gives up (null when no adapter waits). */
  waitUntil: string | null;
  /** The real end of the decision window (see `effectiveEnd`). */
  effectiveExpiresAt: string;
  votes: ApprovalVote[];
  agentPrincipal: string | null;
  breakGlass: { by: string; justification: string; at: string; validUntil: string } | null;
}

/** What a route asks of the people who decide (pack `approval_routes`), copied onto each request. */
export interface RouteTerms {
  approverGroups: string[];
  requiredApprovals: number;
  requireReason: boolean;
  /** "Approve for retry": an approval after the adapter stopped waiting allows one identical retry. */
  allowReuse: boolean;
  attest: 'none' | 'idp';
}

export const DEFAULT_TERMS: RouteTerms = {
  approverGroups: [],
  requiredApprovals: 1,
  requireReason: false,
  allowReuse: false,
  attest: 'none',
};

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
  | 'terms'
  | 'waitUntil'
  | 'effectiveExpiresAt'
  | 'votes'
  | 'agentPrincipal'
  | 'breakGlass'
> & {
  id?: string;
  requireReason?: boolean;
  terms?: Partial<RouteTerms>;
  expiresInMs: number;
  decisionSeq?: number | null;
  requesterUid?: number | null;
  agentPrincipal?: string | null;
};

/** What `check` looks at: a verdict, or with `justification` a break-glass approval. */
export type CheckedVerdict = Omit<Verdict, 'attestation'> & { justification?: string };

/** The typed refusal the CLI and the console read: sign in again at the IdP, then decide. */
function stepUpRequired(route: string, why: StepUpReason, what: 'approve' | 'deny' | 'break-glass'): ContractError {
  const because =
    why === 'attested_route'
      ? `route ${route} needs a fresh IdP sign-in for each verdict`
      : 'the request came from an agent running as your OS user, so only a fresh IdP sign-in shows that a person approves';
  return new ContractError(
    'step_up_required',
    `Step-up required: ${because}; decide in the console or with "cavra approvals ${what === 'break-glass' ? 'break-glass' : what}" (it opens the browser). Nothing was recorded.`,
    'redirectUri',
  );
}

/** A verdict as the desk takes it: the decider is what the transport verified. */
export interface Verdict {
  verdict: 'approve' | 'deny';
  decider: Decider;
  reason?: string;
  /** A fresh IdP sign-in bound to this request, action and verdict (attested routes). */
  attestation?: Attestation;
}

/** The ledger record of one state change (record type `approval`). */
interface ApprovalEvent {
  request_id: string;
  event: Exclude<ApprovalState, 'pending'> | 'requested' | 'viewed' | 'break_glass';
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
  /** N-of-M: this approval is the `approval`th of `required` distinct approvers. */
  approval?: number;
  required?: number;
  /** The route's terms the request was opened under. */
  approvers?: string[];
  allow_reuse?: boolean;
  attest?: 'none' | 'idp';
  agent_principal?: string;
  /** Break-glass: outside the route, with its justification and until when it may be used. */
  break_glass?: true;
  valid_until?: string;
  /** The IdP's signed proof of the fresh sign-in (the ID token and what its nonce commits to; no other token). */
  attestation?: Record<string, unknown>;
}

/** What a change did to a request: opened it, added a verdict that leaves it pending, or changed its state. */
export type ApprovalChange = 'requested' | 'verdict' | 'state';

interface ApprovalDeskOptions {
  store(tenant: string): SqliteDatabase;
  /** The decider's standing in the tenant (separation of duties); the local evaluation tenant kind. */
  standing?(tenant: string, principalId: string): { groups: string[]; roles: Role[] };
  tenantKind?(tenant: string): 'evaluation' | 'production';
  /** Whether the tenant has an IdP (attested routes need one; without it nobody but the local evaluator signs in). */
  ssoConfigured?(tenant: string): Promise<boolean>;
  /** The version of a pack active in the tenant now (null when it is not): a change invalidates pending requests. */
  packVersion?(tenant: string, packId: string): string | null;
  /** Tells the tenant's escalation contacts about a break-glass approval (best effort, after it is recorded). */
  escalate?(tenant: string, request: ApprovalRequest): Promise<void>;
  /** Appends the event to the tenant's ledger; resolves with its sequence number once durable. */
  record(tenant: string, event: ApprovalEvent): Promise<number>;
  now?: () => Date;
  /** Told about every recorded change (push events to the console): opened, a verdict that leaves it pending, a new state. */
  onChange?: (request: ApprovalRequest, change: ApprovalChange) => void;
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
  prior_state: Leavable | null;
  prior_seq: number | null;
  approver_groups: string;
  required_approvals: number;
  allow_reuse: number;
  attest: 'none' | 'idp';
  wait_until: number | null;
  agent_principal: string | null;
  break_glass_by: string | null;
  break_glass_justification: string | null;
  break_glass_until: number | null;
}

interface VoteRow {
  principal_id: string;
  display_name: string | null;
  verdict: 'approve' | 'deny';
  reason: string | null;
  at: number;
  seq: number | null;
  attestation: string | null;
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
 * once its ledger record is committed: until then the row carries no `state_seq` (readers
 * see the state it left, `prior_state`), waiters keep waiting, and a failed append puts the
 * request back as it was ("no record, no effect"). Expiry and abandonment are enforced here,
 * on every read and by the waiters' poll, never by a manual command.
 */
export class ApprovalDesk {
  private readonly now: () => Date;
  private readonly waiters = new Set<Waiter>();
  private readonly recovered = new Set<string>();
  private poller: NodeJS.Timeout | null = null;
  private polling = false;
  private readonly statements = new WeakMap<SqliteDatabase, Map<string, Statement>>();
  /** Every column of the requests table but the action (read once). */
  private summaryColumns: string[] | null = null;

  constructor(private readonly options: ApprovalDeskOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Opens a pending request and records it; rejects (and leaves nothing pending) if it cannot be recorded. */
  async open(input: NewApprovalRequest): Promise<ApprovalRequest> {
    const tenant = input.binding.tenant;
    const id = input.id ?? `apr_${crypto.randomUUID()}`;
    const now = this.now().getTime();
    const action = storedAction(input.action);
    const terms: RouteTerms = { ...DEFAULT_TERMS, ...input.terms };
    if (input.requireReason) terms.requireReason = true;
    this.sql(
      tenant,
      `INSERT INTO approval_requests (id, state, action_sha256, pack_id, pack_version, route, rule_id, reason,
         require_reason, requester, agent_id, agent_session, adapter, correlation_id, decision_id, action_type,
         target, action, created_at, expires_at, decision_seq, requester_uid, approver_groups, required_approvals,
         allow_reuse, attest, agent_principal)
       VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      input.binding.actionSha256,
      input.binding.packId,
      input.binding.packVersion,
      input.route,
      input.ruleId,
      input.reason,
      terms.requireReason ? 1 : 0,
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
      JSON.stringify(terms.approverGroups),
      terms.requiredApprovals,
      terms.allowReuse ? 1 : 0,
      terms.attest,
      input.agentPrincipal ?? null,
    );
    const row = this.row(tenant, id) as Row;
    let seq: number;
    try {
      seq = await this.options.record(tenant, {
        ...this.event(tenant, row, 'requested', 'cavra'),
        approvers: terms.approverGroups,
        required: terms.requiredApprovals,
        allow_reuse: terms.allowReuse,
        attest: terms.attest,
      });
    } catch (error) {
      this.sql(tenant, `DELETE FROM approval_requests WHERE id = ? AND requested_seq IS NULL`).run(id);
      throw error;
    }
    this.sql(tenant, `UPDATE approval_requests SET requested_seq = ?, state_seq = ? WHERE id = ?`).run(seq, seq, id);
    const request = this.toRequest(tenant, this.row(tenant, id) as Row);
    this.changed(request, 'requested');
    return request;
  }

  /**
   * Throws why this verdict would be refused (an unknown or settled request included), with
   * `attested` as if its step-up sign-in were done: the same checks `decide` and `breakGlass`
   * make, so a step-up sign-in is only started for a verdict that can stand.
   */
  async check(tenant: string, id: string, verdict: CheckedVerdict, attested: boolean): Promise<ApprovalRequest> {
    return this.toRequest(tenant, await this.checked(tenant, id, verdict, attested));
  }

  /**
   * The checks of every verdict, in the order a person can act on them: separation of duties
   * (refusals a sign-in cannot change), the reason or justification, then the step-up (the
   * one rule, `stepUpRequirement`) as a `step_up_required` error — nothing is recorded.
   */
  private async checked(tenant: string, id: string, verdict: CheckedVerdict, attested: boolean): Promise<Row> {
    await this.expireDue(tenant);
    const row = this.pendingRow(tenant, id);
    await this.invalidateIfPackChanged(tenant, row);
    const breakGlass = verdict.justification !== undefined;
    const tenantKind = this.options.tenantKind?.(tenant) ?? 'production';
    const stepUp = attested
      ? null
      : stepUpRequirement(verdict.decider, verdict.verdict, {
          attest: row.attest,
          requesterUid: row.requester_uid,
          tenantKind,
          idpAvailable: await this.attestationAvailable(tenant),
          breakGlass,
        });
    const refusal = separationRefusal(verdict.decider, verdict.verdict, {
      tenant,
      tenantKind,
      route: row.route,
      approverGroups: parseGroups(row.approver_groups),
      requester: row.requester,
      requesterUid: row.requester_uid,
      approvedBy: this.votes(tenant, id)
        .filter((vote) => vote.verdict === 'approve')
        .map((vote) => vote.principal_id),
      ...(this.options.standing?.(tenant, verdict.decider.id) ?? { groups: [], roles: [] }),
      // What a step-up would prove is judged after it; everything else is refused first.
      attested: attested || stepUp !== null,
      breakGlass,
    });
    if (refusal) throw new ContractError('forbidden', `Refused: ${refusal}`);
    if (breakGlass) {
      if ((verdict.justification ?? '').trim().length < 20) {
        throw new ContractError(
          'invalid_input',
          'justification: must explain the emergency in at least 20 characters',
          'justification',
        );
      }
    } else {
      const reason = verdict.reason?.trim() ?? '';
      if (verdict.verdict === 'deny' && reason === '') {
        throw new ContractError('invalid_input', 'reason: is required to deny a request', 'reason');
      }
      if (verdict.verdict === 'approve' && row.require_reason === 1 && reason === '') {
        throw new ContractError('invalid_input', `reason: route ${row.route} requires a reason to approve`, 'reason');
      }
    }
    if (stepUp) throw stepUpRequired(row.route, stepUp, breakGlass ? 'break-glass' : verdict.verdict);
    return row;
  }

  /**
   * Gives a verdict on a pending request (SPEC §5). Refused (see `separationRefusal`): agents,
   * other tenants, outsiders of the route, the requester or the agent's OS user approving, a
   * repeated approver; a deny (or, where the route says so, an approval) without a reason; an
   * unattested verdict on an attested route; a request whose pack changed version. One deny
   * denies; the route's N-th distinct approval approves.
   */
  async decide(tenant: string, id: string, verdict: Verdict): Promise<ApprovalRequest> {
    const row = await this.checked(tenant, id, verdict, verdict.attestation !== undefined);
    const reason = verdict.reason?.trim() || null;
    const by = verdict.decider.id;
    const kind = verdict.decider.kind;
    // Unknown on either side counts as the same user: self-approval is only ruled out by proof.
    const selfApproved =
      verdict.verdict === 'approve' &&
      kind === 'local_evaluation' &&
      (row.requester_uid === null || verdict.decider.uid === null || row.requester_uid === verdict.decider.uid);
    const approvals = this.votes(tenant, id).filter((vote) => vote.verdict === 'approve').length + 1;
    const final = verdict.verdict === 'deny' || approvals >= row.required_approvals;
    const attestation = verdict.attestation ? attestationRecord(verdict.attestation) : undefined;
    const extra: Partial<ApprovalEvent> = {
      ...(verdict.verdict === 'approve' ? { approval: approvals, required: row.required_approvals } : {}),
      ...(attestation ? { attestation } : {}),
    };
    const vote = this.claimVote(tenant, id, verdict, reason);
    try {
      if (!final) {
        // Not yet the N-th approval: the request stays pending; the verdict is evidence first.
        const seq = await this.recordOrExplain(tenant, {
          ...this.event(tenant, row, 'approved', by, reason ?? undefined),
          by_kind: kind,
          ...extra,
        });
        this.settleVote(tenant, id, by, seq, attestation);
        const request = this.toRequest(tenant, this.row(tenant, id) as Row);
        this.changed(request, 'verdict');
        return request;
      }
      const state = verdict.verdict === 'approve' ? 'approved' : 'denied';
      const request = await this.transition(tenant, row, ['pending'], state, by, reason, {
        kind,
        selfApproved,
        extra,
        onRecorded: (seq) => this.settleVote(tenant, id, by, seq, attestation),
      });
      return request;
    } catch (error) {
      vote.undo();
      throw error;
    }
  }

  /**
   * Break-glass (SPEC §5): a `break_glass` principal approves outside the route with a written
   * justification. Still never their own request nor an agent's; usable for a limited time;
   * recorded as `break_glass` (a critical finding) and sent to the escalation contacts.
   */
  async breakGlass(
    tenant: string,
    id: string,
    decider: Decider,
    justification: string,
    attestation?: Attestation,
  ): Promise<ApprovalRequest> {
    const row = await this.checked(
      tenant,
      id,
      { verdict: 'approve', decider, justification },
      attestation !== undefined,
    );
    const text = justification.trim();
    const until = Math.min(this.now().getTime() + BREAK_GLASS_VALID_MS, row.expires_at);
    const claimed = this.sql(
      tenant,
      `UPDATE approval_requests SET break_glass_by = ?, break_glass_justification = ?, break_glass_until = ?
         WHERE id = ? AND state = 'pending' AND state_seq IS NOT NULL AND break_glass_by IS NULL`,
    ).run(decider.id, text, until, id);
    if (claimed.changes !== 1)
      throw new ContractError('conflict', `id: approval request ${id} was decided by someone else first`, 'id');
    let request: ApprovalRequest;
    try {
      request = await this.transition(tenant, row, ['pending'], 'approved', decider.id, text, {
        kind: decider.kind,
        selfApproved: false,
        event: 'break_glass',
        extra: {
          break_glass: true,
          valid_until: new Date(until).toISOString(),
          ...(attestation ? { attestation: attestationRecord(attestation) } : {}),
        },
      });
    } catch (error) {
      this.sql(
        tenant,
        `UPDATE approval_requests SET break_glass_by = NULL, break_glass_justification = NULL, break_glass_until = NULL WHERE id = ?`,
      ).run(id);
      throw error;
    }
    await this.options.escalate?.(tenant, request).catch((error: unknown) => {
      this.log(`break-glass escalation not queued: ${message(error)}`);
    });
    return request;
  }

  /** Withdraws a pending request (an operator cancelled it). */
  async cancel(tenant: string, id: string, by: string, reason: string): Promise<ApprovalRequest> {
    const row = this.pendingRow(tenant, id);
    return this.transition(tenant, row, ['pending'], 'cancelled', by, reason);
  }

  /**
   * The adapter stopped waiting (timeout, Ctrl-C, session ended): the request is abandoned and
   * can never be approved — unless its route opted into "approve for retry", where it stays
   * pending and an approval allows one identical retry. Returns the request as it now is.
   */
  async abandon(tenant: string, id: string, by: string, reason: string): Promise<ApprovalRequest | null> {
    const row = this.row(tenant, id);
    if (!row || row.state !== 'pending' || row.state_seq === null || row.allow_reuse === 1) return this.get(tenant, id);
    try {
      return await this.transition(tenant, row, ['pending'], 'abandoned', by, reason);
    } catch (error) {
      if (error instanceof ContractError && error.code === 'conflict') return this.get(tenant, id);
      throw error;
    }
  }

  /** An adapter waits until `untilMs` for this request (the real time to expiry shown to reviewers). */
  noteWait(tenant: string, id: string, untilMs: number): void {
    this.sql(
      tenant,
      `UPDATE approval_requests SET wait_until = MAX(COALESCE(wait_until, 0), ?) WHERE id = ? AND state = 'pending'`,
    ).run(untilMs, id);
  }

  /** A principal looked at the request: the first view per principal is a `viewed` record. */
  async viewed(tenant: string, id: string, by: string): Promise<void> {
    const row = this.row(tenant, id);
    if (!row || row.requested_seq === null) return;
    const seen = this.sql(tenant, `SELECT 1 FROM approval_views WHERE request_id = ? AND principal_id = ?`).get(id, by);
    if (seen) return;
    const seq = await this.options.record(tenant, this.event(tenant, row, 'viewed', by));
    this.sql(
      tenant,
      `INSERT OR IGNORE INTO approval_views (request_id, principal_id, at, seq) VALUES (?, ?, ?, ?)`,
    ).run(id, by, this.now().getTime(), seq);
  }

  /**
   * A request exists for everybody outside the desk only once its `requested` record has
   * committed (record, then apply): before that a reviewer could see it and decide it, and be
   * told it "is pending, not pending".
   */
  get(tenant: string, id: string): ApprovalRequest | null {
    const row = this.row(tenant, id);
    return row && row.requested_seq !== null ? this.toRequest(tenant, row) : null;
  }

  /** Newest first. Call `expireDue` before for an up-to-date view (the handlers do). */
  list(tenant: string, filter: { states?: readonly ApprovalState[]; limit?: number } = {}): ApprovalRequest[] {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
    const visible = visibleIn(filter.states);
    const rows = this.sql(
      tenant,
      `SELECT * FROM approval_requests WHERE ${visible.sql} ORDER BY created_at DESC, id LIMIT ?`,
    ).all(...visible.params, limit) as Row[];
    return rows.map((row) => this.toRequest(tenant, row));
  }

  /**
   * One page of the queue in a stable order (newest first, then by id), after `cursor` (the
   * `nextCursor` of the page before), with counts of the whole selection. Keyset paging: a
   * page costs the same at the start and at the end of 10,000 requests.
   */
  page(
    tenant: string,
    filter: { states?: readonly ApprovalState[]; limit?: number; cursor?: string },
  ): { requests: ApprovalRequest[]; nextCursor: string | null; total: number; pending: number } {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 500);
    const after = filter.cursor === undefined ? null : parseCursor(filter.cursor);
    const visible = visibleIn(filter.states);
    // The page's ids, the order and both counts come from the queue index alone (it covers
    // every column named here): the rows, whose action may be 64 KiB, are read only for the page.
    const ids = this.sql(
      tenant,
      `SELECT id FROM approval_requests INDEXED BY approval_requests_queue WHERE ${visible.sql}
           AND (? IS NULL OR created_at < ? OR (created_at = ? AND id > ?))
         ORDER BY created_at DESC, id LIMIT ?`,
    ).all(...visible.params, after?.at ?? null, after?.at ?? null, after?.at ?? null, after?.id ?? null, limit + 1) as {
      id: string;
    }[];
    const count = (where: { sql: string; params: readonly string[] }) =>
      (
        this.sql(
          tenant,
          `SELECT COUNT(*) AS n FROM approval_requests INDEXED BY approval_requests_queue WHERE ${where.sql}`,
        ).get(...where.params) as { n: number }
      ).n;
    const total = count(visible);
    const onlyPending = filter.states?.length === 1 && filter.states[0] === 'pending';
    const pending = onlyPending ? total : count(visibleIn(['pending']));
    const shown = ids.slice(0, limit).map((row) => row.id);
    const rows = this.summaryRows(tenant, shown);
    const votes = this.votesOf(tenant, shown);
    const last = rows[rows.length - 1];
    return {
      requests: rows.map((row) => this.toRequest(tenant, row, votes.get(row.id) ?? [])),
      nextCursor: ids.length > limit && last ? cursorOf(last) : null,
      total,
      pending,
    };
  }

  /** These rows in this order, every column but the action (a summary never reads it). */
  private summaryRows(tenant: string, ids: readonly string[]): Row[] {
    if (ids.length === 0) return [];
    this.summaryColumns ??= (this.sql(tenant, `PRAGMA table_info(approval_requests)`).all() as { name: string }[])
      .map((column) => column.name)
      .filter((name) => name !== 'action');
    const rows = this.sql(
      tenant,
      `SELECT ${this.summaryColumns.join(', ')}, '{}' AS action FROM approval_requests
         WHERE id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(ids)) as Row[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id)).filter((row): row is Row => row !== undefined);
  }

  /** Approvals the local evaluation identity gave to an agent of its own OS user (readiness blockers). */
  selfApproved(tenant: string): ApprovalRequest[] {
    const rows = this.sql(
      tenant,
      `SELECT * FROM approval_requests WHERE self_approved = 1 AND state_seq IS NOT NULL ORDER BY decided_at`,
    ).all() as Row[];
    return rows.map((row) => this.toRequest(tenant, row));
  }

  /** A recorded, pending request for the same binding, so a retry joins it instead of opening another. */
  pendingFor(binding: ApprovalBinding): ApprovalRequest | null {
    const row = this.sql(
      binding.tenant,
      `SELECT * FROM approval_requests
         WHERE action_sha256 = ? AND pack_id IS ? AND pack_version IS ? AND state = 'pending'
           AND state_seq IS NOT NULL AND expires_at > ?
         ORDER BY created_at DESC LIMIT 1`,
    ).get(binding.actionSha256, binding.packId, binding.packVersion, this.now().getTime()) as Row | undefined;
    return row ? this.toRequest(binding.tenant, row) : null;
  }

  /**
   * Uses an approval: the approved, recorded, unexpired request with this binding becomes
   * `consumed` by `correlationId` — recorded first, then applied — and is returned. The claim
   * is one conditional UPDATE, so one approval allows one action even when retries race in
   * several processes on one database. Without `requestId` (a retry looking for an earlier
   * approval) only routes that opted into "approve for retry" are found.
   */
  async consume(
    binding: ApprovalBinding,
    correlationId: string,
    requestId?: string,
    by = 'cavra',
  ): Promise<ApprovalRequest | null> {
    const tenant = binding.tenant;
    const now = this.now().getTime();
    const candidates = this.sql(
      tenant,
      `SELECT * FROM approval_requests
         WHERE action_sha256 = ? AND pack_id IS ? AND pack_version IS ? AND state = 'approved'
           AND state_seq IS NOT NULL AND consumed_at IS NULL AND expires_at > ?
           AND (break_glass_until IS NULL OR break_glass_until > ?)
           AND ((? IS NOT NULL AND id = ?) OR (? IS NULL AND allow_reuse = 1))
         ORDER BY decided_at`,
    ).all(
      binding.actionSha256,
      binding.packId,
      binding.packVersion,
      now,
      now,
      requestId ?? null,
      requestId ?? null,
      requestId ?? null,
    ) as Row[];
    for (const row of candidates) {
      try {
        return await this.transition(tenant, row, ['approved'], 'consumed', by, null, {
          selfApproved: row.self_approved === 1,
          consumedBy: correlationId,
          extra: { correlation_id: correlationId },
        });
      } catch (error) {
        if (error instanceof ContractError && error.code === 'conflict') continue;
        throw error;
      }
    }
    return null;
  }

  /**
   * Expires every pending request past its time, and abandons every pending request whose
   * adapter's wait is over (nobody waits any more, e.g. its gate went away), recording each;
   * returns how many changed.
   */
  async expireDue(tenant: string): Promise<number> {
    const now = this.now().getTime();
    // Two index lookups (by route expiry, by the adapter's wait), then only the due rows are
    // read: every read of the queue sweeps, and a scan would read every pending action.
    const due = this.sql(
      tenant,
      `SELECT id FROM approval_requests WHERE state = 'pending' AND expires_at <= ?
         UNION
         SELECT id FROM approval_requests INDEXED BY approval_requests_by_wait
           WHERE state = 'pending' AND wait_until IS NOT NULL AND wait_until <= ? AND allow_reuse = 0`,
    ).all(now, now - ABANDON_GRACE_MS) as { id: string }[];
    let changed = 0;
    for (const { id } of due) {
      const row = this.row(tenant, id);
      if (!row || row.state !== 'pending' || row.state_seq === null) continue;
      const expired = row.expires_at <= now;
      try {
        await this.transition(
          tenant,
          row,
          ['pending'],
          expired ? 'expired' : 'abandoned',
          'cavra',
          expired ? 'not decided before it expired' : 'the adapter stopped waiting and nobody waits for it any more',
        );
        changed += 1;
      } catch (error) {
        // Another process expired or decided it first, or the ledger is failing: the row
        // stays pending-looking to waiters, which still time out and deny.
        if (!(error instanceof ContractError && error.code === 'conflict')) {
          this.log(`approval expiry not recorded: ${message(error)}`);
        }
      }
    }
    return changed;
  }

  /**
   * Resolves with the request once its state is recorded as something other than pending,
   * or with its current (pending) form after `timeoutMs`, whichever comes first. Decisions
   * made by other processes are seen through a poll of the tenant database.
   */
  wait(tenant: string, id: string, timeoutMs: number, signal?: AbortSignal): Promise<ApprovalRequest | null> {
    const current = this.get(tenant, id);
    if (!current || isSettled(current) || signal?.aborted) return Promise.resolve(current);
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
      // The adapter went away: this wait is over, so it no longer keeps the request "waited for".
      signal?.addEventListener('abort', () => waiter.resolve(this.get(tenant, id)), { once: true });
      this.startPolling();
    });
  }

  /** Whether another waiter of this process still waits for the request (a retry joined it). */
  waiting(tenant: string, id: string): boolean {
    return [...this.waiters].some((waiter) => waiter.tenant === tenant && waiter.id === id);
  }

  close(): void {
    for (const waiter of [...this.waiters]) waiter.resolve(null);
    this.stopPolling();
  }

  /**
   * Attestation needs the tenant's IdP. Without one only the local evaluation identity can sign
   * in (on an evaluation tenant; it is a readiness blocker itself), and it decides unattested.
   */
  async attestationAvailable(tenant: string): Promise<boolean> {
    return (await this.options.ssoConfigured?.(tenant)) ?? false;
  }

  private pendingRow(tenant: string, id: string): Row {
    const row = this.row(tenant, id);
    // Not yet recorded is not yet there (see `get`).
    if (!row || row.requested_seq === null) {
      throw new ContractError('not_found', `id: approval request "${id}" does not exist`, 'id');
    }
    const state = row.state_seq === null ? (row.prior_state ?? 'pending') : row.state;
    if (state !== 'pending' || row.state_seq === null) {
      throw new ContractError('conflict', `id: approval request ${id} is ${state}, not pending`, 'id');
    }
    return row;
  }

  /** A pack whose version changed since the request opened invalidates it (the rules it was judged by are gone). */
  private async invalidateIfPackChanged(tenant: string, row: Row): Promise<void> {
    if (!row.pack_id || !this.options.packVersion) return;
    let current: string | null;
    try {
      current = this.options.packVersion(tenant, row.pack_id);
    } catch (error) {
      throw new ContractError(
        'unavailable',
        `The active version of pack ${row.pack_id} could not be read, so request ${row.id} cannot be decided now: ${message(error)}`,
      );
    }
    if (current === row.pack_version) return;
    const why = `pack ${row.pack_id} changed from ${row.pack_version ?? '(none)'} to ${current ?? '(removed)'} since the request opened`;
    await this.transition(tenant, row, ['pending'], 'cancelled', 'cavra', why).catch(() => undefined);
    throw new ContractError(
      'conflict',
      `id: approval request ${row.id} is no longer valid: ${why}; the agent must ask again`,
      'id',
    );
  }

  /** The verdicts on these requests, in one query (a page of 500 would otherwise ask 500 times). */
  private votesOf(tenant: string, ids: readonly string[]): Map<string, VoteRow[]> {
    const byRequest = new Map<string, VoteRow[]>();
    if (ids.length === 0) return byRequest;
    const rows = this.sql(
      tenant,
      `SELECT * FROM approval_votes WHERE request_id IN (SELECT value FROM json_each(?)) ORDER BY at, principal_id`,
    ).all(JSON.stringify(ids)) as (VoteRow & { request_id: string })[];
    for (const row of rows) byRequest.set(row.request_id, [...(byRequest.get(row.request_id) ?? []), row]);
    return byRequest;
  }

  private votes(tenant: string, id: string): VoteRow[] {
    return this.sql(tenant, `SELECT * FROM approval_votes WHERE request_id = ? ORDER BY at, principal_id`).all(
      id,
    ) as VoteRow[];
  }

  /** Claims the decider's one verdict on the request (the primary key makes a repeat fail). */
  private claimVote(tenant: string, id: string, verdict: Verdict, reason: string | null): { undo(): void } {
    try {
      this.sql(
        tenant,
        `INSERT INTO approval_votes (request_id, principal_id, display_name, verdict, reason, at, by_kind)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        verdict.decider.id,
        verdict.decider.displayName ?? null,
        verdict.verdict,
        reason,
        this.now().getTime(),
        verdict.decider.kind,
      );
    } catch {
      throw new ContractError(
        'conflict',
        `Refused: ${verdict.decider.id} already gave a verdict on ${id}; the route needs distinct approvers`,
      );
    }
    return {
      undo: () =>
        this.sql(tenant, `DELETE FROM approval_votes WHERE request_id = ? AND principal_id = ? AND seq IS NULL`).run(
          id,
          verdict.decider.id,
        ),
    };
  }

  private settleVote(tenant: string, id: string, by: string, seq: number, attestation?: Record<string, unknown>): void {
    this.sql(
      tenant,
      `UPDATE approval_votes SET seq = ?, attestation = ? WHERE request_id = ? AND principal_id = ?`,
    ).run(seq, attestation ? JSON.stringify(attestation) : null, id, by);
  }

  private async recordOrExplain(tenant: string, event: ApprovalEvent): Promise<number> {
    try {
      return await this.options.record(tenant, event);
    } catch (error) {
      throw new ContractError(
        'unavailable',
        `The ${event.event} event of ${event.request_id} could not be recorded in the evidence ledger, so it did not take effect: ${message(error)}`,
      );
    }
  }

  /**
   * Record, then apply: the row is claimed (one conditional UPDATE, so only one process wins),
   * the event is appended, and only then does the new state count (`state_seq`). A failed
   * append puts the row back in the state it left.
   */
  private async transition(
    tenant: string,
    row: Row,
    from: readonly Leavable[],
    state: Exclude<ApprovalState, 'pending'>,
    by: string,
    reason: string | null,
    options: {
      kind?: PrincipalKind;
      selfApproved?: boolean;
      event?: ApprovalEvent['event'];
      extra?: Partial<ApprovalEvent>;
      consumedBy?: string;
      onRecorded?: (seq: number) => void;
    } = {},
  ): Promise<ApprovalRequest> {
    const db = this.db(tenant);
    const now = this.now().getTime();
    const consuming = state === 'consumed';
    const claimed = this.sql(
      tenant,
      `UPDATE approval_requests SET prior_state = state, prior_seq = state_seq, state = ?, state_seq = NULL,
           decided_at = CASE WHEN ? THEN decided_at ELSE ? END,
           decided_by = CASE WHEN ? THEN decided_by ELSE ? END,
           decision_reason = CASE WHEN ? THEN decision_reason ELSE ? END,
           decided_by_kind = CASE WHEN ? THEN decided_by_kind ELSE ? END,
           self_approved = CASE WHEN ? THEN self_approved ELSE ? END,
           consumed_at = CASE WHEN ? THEN ? ELSE consumed_at END,
           consumed_by = CASE WHEN ? THEN ? ELSE consumed_by END
         WHERE id = ? AND state IN (${from.map(() => '?').join(',')}) AND state_seq IS NOT NULL`,
    ).run(
      state,
      consuming ? 1 : 0,
      now,
      consuming ? 1 : 0,
      by,
      consuming ? 1 : 0,
      reason,
      consuming ? 1 : 0,
      options.kind ?? null,
      consuming ? 1 : 0,
      options.selfApproved ? 1 : 0,
      consuming ? 1 : 0,
      now,
      consuming ? 1 : 0,
      options.consumedBy ?? null,
      row.id,
      ...from,
    );
    if (claimed.changes !== 1) {
      throw new ContractError(
        'conflict',
        `id: approval request ${row.id} was decided or used by someone else first`,
        'id',
      );
    }
    let seq: number;
    try {
      const claimedRow = this.row(tenant, row.id) as Row;
      seq = await this.options.record(tenant, {
        ...this.event(tenant, claimedRow, options.event ?? state, by, reason ?? undefined),
        ...options.extra,
      });
    } catch (error) {
      revert(db, row.id);
      throw new ContractError(
        'unavailable',
        `The ${state} state of ${row.id} could not be recorded in the evidence ledger, so it did not take effect: ${message(error)}`,
      );
    }
    this.sql(
      tenant,
      `UPDATE approval_requests SET state_seq = ?, prior_state = NULL, prior_seq = NULL WHERE id = ?`,
    ).run(seq, row.id);
    options.onRecorded?.(seq);
    const request = this.toRequest(tenant, this.row(tenant, row.id) as Row);
    this.changed(request, 'state');
    return request;
  }

  private changed(request: ApprovalRequest, change: ApprovalChange): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.tenant === request.tenant && waiter.id === request.id && isSettled(request)) waiter.resolve(request);
    }
    try {
      this.options.onChange?.(request, change);
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

  /** A prepared statement of this tenant's database, prepared once (preparing costs more than most runs). */
  private sql(tenant: string, text: string): Statement {
    const db = this.db(tenant);
    let cache = this.statements.get(db);
    if (!cache) this.statements.set(db, (cache = new Map()));
    let statement = cache.get(text);
    if (!statement) cache.set(text, (statement = db.prepare(text)));
    return statement;
  }

  private row(tenant: string, id: string): Row | undefined {
    return this.sql(tenant, `SELECT * FROM approval_requests WHERE id = ?`).get(id) as Row | undefined;
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
      ...(row.agent_principal ? { agent_principal: row.agent_principal } : {}),
      adapter: row.adapter,
      correlation_id: row.correlation_id,
      decision_id: row.decision_id,
      action_type: row.action_type,
      target: row.target,
      expires_at: new Date(row.expires_at).toISOString(),
      ...(row.decided_by_kind && (event === 'approved' || event === 'denied' || event === 'break_glass')
        ? { by_kind: row.decided_by_kind as PrincipalKind }
        : {}),
      ...(row.self_approved === 1 && event === 'approved' ? { self_approved: true as const } : {}),
    };
  }

  private toRequest(tenant: string, row: Row, votesOfRow?: VoteRow[]): ApprovalRequest {
    const recorded = row.state_seq !== null;
    // A state whose record is not committed yet has not happened: show the one it is leaving.
    const state: ApprovalState = recorded ? row.state : (row.prior_state ?? 'pending');
    const decided = recorded || row.prior_state === 'approved';
    const terms: RouteTerms = {
      approverGroups: parseGroups(row.approver_groups),
      requiredApprovals: row.required_approvals,
      requireReason: row.require_reason === 1,
      allowReuse: row.allow_reuse === 1,
      attest: row.attest,
    };
    const votes = (votesOfRow ?? this.votes(tenant, row.id))
      .filter((vote) => vote.seq !== null)
      .map((vote) => toVote(vote));
    return {
      id: row.id,
      tenant,
      state,
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
      decidedAt: decided ? iso(row.decided_at) : null,
      decidedBy: decided ? row.decided_by : null,
      decisionReason: decided ? row.decision_reason : null,
      consumedAt: recorded ? iso(row.consumed_at) : null,
      decisionSeq: row.decision_seq ?? null,
      requestedSeq: row.requested_seq,
      stateSeq: recorded ? row.state_seq : row.prior_seq,
      requesterUid: row.requester_uid,
      selfApproved: decided && row.self_approved === 1,
      terms,
      waitUntil: iso(row.wait_until),
      effectiveExpiresAt: iso(effectiveEnd(row)) as string,
      votes,
      agentPrincipal: row.agent_principal,
      breakGlass:
        row.break_glass_by && decided
          ? {
              by: row.break_glass_by,
              justification: row.break_glass_justification ?? '',
              at: iso(row.decided_at) as string,
              validUntil: iso(row.break_glass_until) as string,
            }
          : null,
    };
  }

  private log(text: string): void {
    (this.options.log ?? ((m: string) => process.stderr.write(`[cavra] ${m}\n`)))(text);
  }
}

/**
 * The real end of the decision window: the adapter's wait or the route's expiry, whichever is
 * sooner — except on an "approve for retry" route, where an approval still allows one retry
 * until the route's expiry.
 */
function effectiveEnd(row: Row): number {
  if (row.allow_reuse === 1 || row.wait_until === null) return row.expires_at;
  return Math.min(row.expires_at, row.wait_until);
}

/**
 * Requests a reader sees in these states (all when none are named): recorded ones only, and a
 * transition in flight under the state it is leaving (it has not happened until its record commits).
 */
function visibleIn(wanted?: readonly ApprovalState[]): { sql: string; params: ApprovalState[] } {
  const states = wanted && wanted.length > 0 ? [...wanted] : [...approvalStates];
  const marks = states.map(() => '?').join(',');
  return {
    sql: `requested_seq IS NOT NULL
      AND ((state_seq IS NOT NULL AND state IN (${marks})) OR (state_seq IS NULL AND COALESCE(prior_state, 'pending') IN (${marks})))`,
    params: [...states, ...states],
  };
}

function toVote(vote: VoteRow): ApprovalVote {
  const attestation = vote.attestation ? (JSON.parse(vote.attestation) as Record<string, unknown>) : null;
  return {
    by: vote.principal_id,
    byDisplayName: vote.display_name,
    verdict: vote.verdict,
    reason: vote.reason,
    at: new Date(vote.at).toISOString(),
    seq: vote.seq,
    attestation: attestation
      ? {
          issuer: String(attestation.issuer),
          subject: String(attestation.subject),
          authTime: String(attestation.auth_time),
          name: typeof attestation.name === 'string' ? attestation.name : null,
        }
      : null,
  };
}

/** A page cursor: where the last page ended (creation time and id), opaque to callers. */
function cursorOf(row: Row): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

function parseCursor(cursor: string): { at: number; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length > 100
  ) {
    throw new ContractError(
      'invalid_input',
      'cursor: is not a cursor from approvals.page; start without one',
      'cursor',
    );
  }
  return { at: parsed[0] as number, id: parsed[1] };
}

function parseGroups(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((group): group is string => typeof group === 'string') : [];
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

/** Puts a claimed row back in the state it left (its record never committed). */
function revert(db: SqliteDatabase, id: string): void {
  db.prepare(
    `UPDATE approval_requests SET
       decided_at = CASE WHEN prior_state = 'pending' THEN NULL ELSE decided_at END,
       decided_by = CASE WHEN prior_state = 'pending' THEN NULL ELSE decided_by END,
       decision_reason = CASE WHEN prior_state = 'pending' THEN NULL ELSE decision_reason END,
       decided_by_kind = CASE WHEN prior_state = 'pending' THEN NULL ELSE decided_by_kind END,
       self_approved = CASE WHEN prior_state = 'pending' THEN 0 ELSE self_approved END,
       consumed_at = CASE WHEN prior_state = 'approved' THEN NULL ELSE consumed_at END,
       consumed_by = CASE WHEN prior_state = 'approved' THEN NULL ELSE consumed_by END,
       state = COALESCE(prior_state, 'pending'), state_seq = COALESCE(prior_seq, requested_seq),
       prior_state = NULL, prior_seq = NULL
     WHERE id = ? AND state_seq IS NULL`,
  ).run(id);
}

/**
 * After a crash: a transition whose record never committed is undone (the request is back in
 * the state it left), a verdict whose record never committed is removed, and a request whose
 * own record never committed is removed — none of them happened. Only rows older than
 * `before` are touched: younger ones may belong to another process still waiting for its append.
 */
function recover(db: SqliteDatabase, before: number): void {
  db.transaction(() => {
    const stale = db
      .prepare(
        `SELECT id FROM approval_requests WHERE state_seq IS NULL AND requested_seq IS NOT NULL
           AND COALESCE(consumed_at, decided_at, created_at) < ?`,
      )
      .all(before) as { id: string }[];
    for (const { id } of stale) revert(db, id);
    db.prepare(`DELETE FROM approval_votes WHERE seq IS NULL AND at < ?`).run(before);
    db.prepare(`DELETE FROM approval_requests WHERE requested_seq IS NULL AND created_at < ?`).run(before);
  })();
}

/** What an approval record keeps of an attestation: the signed ID token and what its nonce commits to. */
function attestationRecord(attestation: Attestation): Record<string, unknown> {
  return {
    id_token: attestation.idToken,
    nonce_random: attestation.random,
    issuer: attestation.issuer,
    subject: attestation.subject,
    auth_time: attestation.authTime,
    ...(attestation.name ? { name: attestation.name } : {}),
    jwks: attestation.jwks,
  };
}

import crypto from 'node:crypto';
import { ContractError } from '../contract';
import type { Action, ApprovalState, ApprovalSubjectType, ApprovalVote, PrincipalKind, Role } from '../contract';
import type { ApprovalBinding } from './binding';
import type { ApprovalRepository, ApprovalRow as Row, Leavable, VoteRow } from './repository';
import { separationRefusal, stepUpRequirement } from './separation';
import type { Decider, StepUpReason } from './separation';
import type { Attestation } from './attestation';

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
  /** Where requests are kept: the tenant's SQLite file locally, the shared database on `cavra server`. */
  repository: ApprovalRepository;
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

interface Waiter {
  tenant: string;
  id: string;
  resolve: (request: ApprovalRequest | null) => void;
  timer: NodeJS.Timeout;
}

/** The columns of a new request that start empty (it is pending, undecided, unused, unrecorded). */
const UNDECIDED = {
  decided_at: null,
  decided_by: null,
  decision_reason: null,
  consumed_at: null,
  requested_seq: null,
  state_seq: null,
  decided_by_kind: null,
  self_approved: 0,
  prior_state: null,
  prior_seq: null,
  wait_until: null,
  break_glass_by: null,
  break_glass_justification: null,
  break_glass_until: null,
} as const;

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
  private readonly recovered = new Map<string, Promise<void>>();
  /** Where this desk keeps requests; a second desk in the same process must share it (one SQLite connection, one queue of units). */
  readonly repository: ApprovalRepository;
  private poller: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(private readonly options: ApprovalDeskOptions) {
    this.now = options.now ?? (() => new Date());
    this.repository = options.repository;
  }

  /** Opens a pending request and records it; rejects (and leaves nothing pending) if it cannot be recorded. */
  async open(input: NewApprovalRequest): Promise<ApprovalRequest> {
    const tenant = input.binding.tenant;
    await this.ready(tenant);
    const id = input.id ?? `apr_${crypto.randomUUID()}`;
    const now = this.now().getTime();
    const action = storedAction(input.action);
    const terms: RouteTerms = { ...DEFAULT_TERMS, ...input.terms };
    if (input.requireReason) terms.requireReason = true;
    const row: Row = {
      ...UNDECIDED,
      id,
      state: 'pending',
      action_sha256: input.binding.actionSha256,
      pack_id: input.binding.packId,
      pack_version: input.binding.packVersion,
      route: input.route,
      rule_id: input.ruleId,
      reason: input.reason,
      require_reason: terms.requireReason ? 1 : 0,
      requester: input.requester,
      agent_id: input.agent?.id ?? null,
      agent_session: input.agent?.session ?? null,
      adapter: input.adapter,
      correlation_id: input.correlationId,
      decision_id: input.decisionId,
      action_type: input.actionType,
      target: input.target,
      action: JSON.stringify(action),
      created_at: now,
      expires_at: now + Math.max(1000, input.expiresInMs),
      decision_seq: input.decisionSeq ?? null,
      requester_uid: input.requesterUid ?? null,
      approver_groups: JSON.stringify(terms.approverGroups),
      required_approvals: terms.requiredApprovals,
      allow_reuse: terms.allowReuse ? 1 : 0,
      attest: terms.attest,
      agent_principal: input.agentPrincipal ?? null,
    };
    await this.repository.insert(tenant, {
      id: row.id,
      action_sha256: row.action_sha256,
      pack_id: row.pack_id,
      pack_version: row.pack_version,
      route: row.route,
      rule_id: row.rule_id,
      reason: row.reason,
      require_reason: row.require_reason,
      requester: row.requester,
      agent_id: row.agent_id,
      agent_session: row.agent_session,
      adapter: row.adapter,
      correlation_id: row.correlation_id,
      decision_id: row.decision_id,
      action_type: row.action_type,
      target: row.target,
      action: row.action,
      created_at: row.created_at,
      expires_at: row.expires_at,
      decision_seq: row.decision_seq,
      requester_uid: row.requester_uid,
      approver_groups: row.approver_groups,
      required_approvals: row.required_approvals,
      allow_reuse: row.allow_reuse,
      attest: row.attest,
      agent_principal: row.agent_principal,
    });
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
      await this.repository.removeUnrecorded(tenant, id).catch((undo: unknown) => {
        // Left unrecorded, it stays invisible; the recovery sweep removes it later.
        this.log(`unrecorded approval request ${id} not removed yet: ${message(undo)}`);
      });
      throw error;
    }
    const stored = (await this.repository.markRequested(tenant, id, seq)) ?? {
      ...row,
      requested_seq: seq,
      state_seq: seq,
    };
    const request = this.toRequest(tenant, stored, []);
    this.changed(request, 'requested');
    return request;
  }

  /**
   * Throws why this verdict would be refused (an unknown or settled request included), with
   * `attested` as if its step-up sign-in were done: the same checks `decide` and `breakGlass`
   * make, so a step-up sign-in is only started for a verdict that can stand.
   */
  async check(tenant: string, id: string, verdict: CheckedVerdict, attested: boolean): Promise<ApprovalRequest> {
    const { row, votes } = await this.checked(tenant, id, verdict, attested);
    return this.toRequest(tenant, row, votes);
  }

  /**
   * The checks of every verdict, in the order a person can act on them: separation of duties
   * (refusals a sign-in cannot change), the reason or justification, then the step-up (the
   * one rule, `stepUpRequirement`) as a `step_up_required` error — nothing is recorded.
   */
  private async checked(
    tenant: string,
    id: string,
    verdict: CheckedVerdict,
    attested: boolean,
  ): Promise<{ row: Row; votes: VoteRow[] }> {
    await this.expireDue(tenant);
    const { row, votes } = await this.pendingRow(tenant, id);
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
      approvedBy: votes.filter((vote) => vote.verdict === 'approve').map((vote) => vote.principal_id),
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
    return { row, votes };
  }

  /**
   * Gives a verdict on a pending request (SPEC §5). Refused (see `separationRefusal`): agents,
   * other tenants, outsiders of the route, the requester or the agent's OS user approving, a
   * repeated approver; a deny (or, where the route says so, an approval) without a reason; an
   * unattested verdict on an attested route; a request whose pack changed version. One deny
   * denies; the route's N-th distinct approval approves.
   */
  async decide(tenant: string, id: string, verdict: Verdict): Promise<ApprovalRequest> {
    const { row } = await this.checked(tenant, id, verdict, verdict.attestation !== undefined);
    const reason = verdict.reason?.trim() || null;
    const by = verdict.decider.id;
    const kind = verdict.decider.kind;
    // Unknown on either side counts as the same user: self-approval is only ruled out by proof.
    const selfApproved =
      verdict.verdict === 'approve' &&
      kind === 'local_evaluation' &&
      (row.requester_uid === null || verdict.decider.uid === null || row.requester_uid === verdict.decider.uid);
    // The vote is claimed and counted in one unit under the request's lock, so of two reviewers
    // approving at once (on one replica or two) exactly one is the N-th.
    const claimed = await this.repository.claimVote(tenant, id, {
      by,
      displayName: verdict.decider.displayName ?? null,
      verdict: verdict.verdict,
      reason,
      at: this.now().getTime(),
      kind,
    });
    if (!claimed) {
      throw new ContractError(
        'conflict',
        `Refused: ${verdict.decider.id} already gave a verdict on ${id}; the route needs distinct approvers`,
      );
    }
    const approvals = claimed.approvals;
    const final = verdict.verdict === 'deny' || approvals >= row.required_approvals;
    const attestation = verdict.attestation ? attestationRecord(verdict.attestation) : undefined;
    const attestationText = attestation ? JSON.stringify(attestation) : null;
    const extra: Partial<ApprovalEvent> = {
      ...(verdict.verdict === 'approve' ? { approval: approvals, required: row.required_approvals } : {}),
      ...(attestation ? { attestation } : {}),
    };
    try {
      if (!final) {
        // Not yet the N-th approval: the request stays pending; the verdict is evidence first.
        const seq = await this.recordOrExplain(tenant, {
          ...this.event(tenant, row, 'approved', by, reason ?? undefined),
          by_kind: kind,
          ...extra,
        });
        await this.repository.settleVote(tenant, id, by, seq, attestationText);
        const request = await this.current(tenant, id);
        if (!request) throw new ContractError('not_found', `id: approval request "${id}" does not exist`, 'id');
        this.changed(request, 'verdict');
        return request;
      }
      const state = verdict.verdict === 'approve' ? 'approved' : 'denied';
      return await this.transition(tenant, row, ['pending'], state, by, reason, {
        kind,
        selfApproved,
        extra,
        onRecorded: (seq) => this.repository.settleVote(tenant, id, by, seq, attestationText),
      });
    } catch (error) {
      await this.repository.undoVote(tenant, id, by).catch((undo: unknown) => {
        this.log(`unrecorded verdict on ${id} not removed yet: ${message(undo)}`);
      });
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
    const { row } = await this.checked(
      tenant,
      id,
      { verdict: 'approve', decider, justification },
      attestation !== undefined,
    );
    const text = justification.trim();
    const until = Math.min(this.now().getTime() + BREAK_GLASS_VALID_MS, row.expires_at);
    if (!(await this.repository.claimBreakGlass(tenant, id, decider.id, text, until))) {
      throw new ContractError('conflict', `id: approval request ${id} was decided by someone else first`, 'id');
    }
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
      await this.repository.clearBreakGlass(tenant, id);
      throw error;
    }
    await this.options.escalate?.(tenant, request).catch((error: unknown) => {
      this.log(`break-glass escalation not queued: ${message(error)}`);
    });
    return request;
  }

  /** Withdraws a pending request (an operator cancelled it). */
  async cancel(tenant: string, id: string, by: string, reason: string): Promise<ApprovalRequest> {
    await this.ready(tenant);
    const { row } = await this.pendingRow(tenant, id);
    return this.transition(tenant, row, ['pending'], 'cancelled', by, reason);
  }

  /**
   * The adapter stopped waiting (timeout, Ctrl-C, session ended): the request is abandoned and
   * can never be approved — unless its route opted into "approve for retry", where it stays
   * pending and an approval allows one identical retry. Returns the request as it now is.
   */
  async abandon(tenant: string, id: string, by: string, reason: string): Promise<ApprovalRequest | null> {
    await this.ready(tenant);
    const row = await this.repository.row(tenant, id);
    if (!row || row.state !== 'pending' || row.state_seq === null || row.allow_reuse === 1) return this.get(tenant, id);
    try {
      return await this.transition(tenant, row, ['pending'], 'abandoned', by, reason);
    } catch (error) {
      if (error instanceof ContractError && error.code === 'conflict') return this.get(tenant, id);
      throw error;
    }
  }

  /** An adapter waits until `untilMs` for this request (the real time to expiry shown to reviewers). */
  async noteWait(tenant: string, id: string, untilMs: number): Promise<void> {
    await this.ready(tenant);
    await this.repository.noteWait(tenant, id, untilMs);
  }

  /** A principal looked at the request: the first view per principal is a `viewed` record. */
  async viewed(tenant: string, id: string, by: string): Promise<void> {
    await this.ready(tenant);
    const row = await this.repository.row(tenant, id);
    if (!row || row.requested_seq === null) return;
    if (await this.repository.viewedBy(tenant, id, by)) return;
    const seq = await this.options.record(tenant, this.event(tenant, row, 'viewed', by));
    await this.repository.addView(tenant, id, by, this.now().getTime(), seq);
  }

  /**
   * A request exists for everybody outside the desk only once its `requested` record has
   * committed (record, then apply): before that a reviewer could see it and decide it, and be
   * told it "is pending, not pending".
   */
  async get(tenant: string, id: string): Promise<ApprovalRequest | null> {
    await this.ready(tenant);
    return this.current(tenant, id);
  }

  private async current(tenant: string, id: string): Promise<ApprovalRequest | null> {
    const found = await this.repository.rowWithVotes(tenant, id);
    return found && found.row.requested_seq !== null ? this.toRequest(tenant, found.row, found.votes) : null;
  }

  /** Newest first. Call `expireDue` before for an up-to-date view (the handlers do). */
  async list(
    tenant: string,
    filter: { states?: readonly ApprovalState[]; limit?: number } = {},
  ): Promise<ApprovalRequest[]> {
    await this.ready(tenant);
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
    const rows = await this.repository.list(tenant, filter.states, limit);
    return this.withVotes(tenant, rows);
  }

  /**
   * One page of the queue in a stable order (newest first, then by id), after `cursor` (the
   * `nextCursor` of the page before), with counts of the whole selection. Keyset paging: a
   * page costs the same at the start and at the end of 10,000 requests.
   */
  async page(
    tenant: string,
    filter: { states?: readonly ApprovalState[]; limit?: number; cursor?: string },
  ): Promise<{ requests: ApprovalRequest[]; nextCursor: string | null; total: number; pending: number }> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 500);
    const after = filter.cursor === undefined ? null : parseCursor(filter.cursor);
    await this.ready(tenant);
    const page = await this.repository.page(tenant, filter.states, limit, after);
    const last = page.rows[page.rows.length - 1];
    return {
      requests: page.rows.map((row) => this.toRequest(tenant, row, page.votes.get(row.id) ?? [])),
      nextCursor: page.more && last ? cursorOf(last) : null,
      total: page.total,
      pending: page.pending,
    };
  }

  /** Approvals the local evaluation identity gave to an agent of its own OS user (readiness blockers). */
  async selfApproved(tenant: string): Promise<ApprovalRequest[]> {
    await this.ready(tenant);
    return this.withVotes(tenant, await this.repository.selfApproved(tenant));
  }

  /** A recorded, pending request for the same binding, so a retry joins it instead of opening another. */
  async pendingFor(binding: ApprovalBinding): Promise<ApprovalRequest | null> {
    await this.ready(binding.tenant);
    const row = await this.repository.pendingFor(binding, this.now().getTime());
    return row ? this.toRequest(binding.tenant, row, await this.repository.votes(binding.tenant, row.id)) : null;
  }

  /**
   * Uses an approval: the approved, recorded, unexpired request with this binding becomes
   * `consumed` by `correlationId` — recorded first, then applied — and is returned. The claim
   * is one conditional UPDATE, so one approval allows one action even when retries race in
   * several processes (or replicas) on one database. Without `requestId` (a retry looking for
   * an earlier approval) only routes that opted into "approve for retry" are found.
   */
  async consume(
    binding: ApprovalBinding,
    correlationId: string,
    requestId?: string,
    by = 'cavra',
  ): Promise<ApprovalRequest | null> {
    const tenant = binding.tenant;
    await this.ready(tenant);
    const candidates = await this.repository.consumable(binding, this.now().getTime(), requestId);
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
    await this.ready(tenant);
    const now = this.now().getTime();
    const due = await this.repository.due(tenant, now, now - ABANDON_GRACE_MS);
    let changed = 0;
    for (const id of due) {
      const row = await this.repository.row(tenant, id);
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
   * made by other processes (another core on the SQLite file, another replica on the shared
   * database) are seen through a poll of the store.
   */
  async wait(tenant: string, id: string, timeoutMs: number, signal?: AbortSignal): Promise<ApprovalRequest | null> {
    const started = performance.now();
    const current = await this.get(tenant, id);
    if (!current || isSettled(current) || signal?.aborted) return current;
    const latest = () => this.get(tenant, id).catch(() => current);
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
        timer: setTimeout(
          () => void latest().then((request) => waiter.resolve(request)),
          Math.max(0, timeoutMs - (performance.now() - started)),
        ),
      };
      this.waiters.add(waiter);
      // The adapter went away: this wait is over, so it no longer keeps the request "waited for".
      signal?.addEventListener('abort', () => void latest().then((request) => waiter.resolve(request)), {
        once: true,
      });
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

  private async pendingRow(tenant: string, id: string): Promise<{ row: Row; votes: VoteRow[] }> {
    const found = await this.repository.rowWithVotes(tenant, id);
    // Not yet recorded is not yet there (see `get`).
    if (!found || found.row.requested_seq === null) {
      throw new ContractError('not_found', `id: approval request "${id}" does not exist`, 'id');
    }
    const { row } = found;
    const state = row.state_seq === null ? (row.prior_state ?? 'pending') : row.state;
    if (state !== 'pending' || row.state_seq === null) {
      throw new ContractError('conflict', `id: approval request ${id} is ${state}, not pending`, 'id');
    }
    return found;
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
      onRecorded?: (seq: number) => Promise<void>;
    } = {},
  ): Promise<ApprovalRequest> {
    const claimedRow = await this.repository.claim(tenant, row.id, {
      from,
      state,
      at: this.now().getTime(),
      by,
      reason,
      kind: options.kind ?? null,
      selfApproved: options.selfApproved ?? false,
      consumedBy: options.consumedBy ?? null,
    });
    if (!claimedRow) {
      throw new ContractError(
        'conflict',
        `id: approval request ${row.id} was decided or used by someone else first`,
        'id',
      );
    }
    let seq: number;
    try {
      seq = await this.options.record(tenant, {
        ...this.event(tenant, claimedRow, options.event ?? state, by, reason ?? undefined),
        ...options.extra,
      });
    } catch (error) {
      await this.repository.revert(tenant, row.id).catch((undo: unknown) => {
        // The recovery sweep puts it back later; until then readers see the state it left.
        this.log(`approval ${row.id} not put back yet: ${message(undo)}`);
      });
      throw new ContractError(
        'unavailable',
        `The ${state} state of ${row.id} could not be recorded in the evidence ledger, so it did not take effect: ${message(error)}`,
      );
    }
    await this.repository.settle(tenant, row.id, seq);
    await options.onRecorded?.(seq);
    const request = await this.current(tenant, row.id);
    if (!request) throw new ContractError('not_found', `id: approval request "${row.id}" does not exist`, 'id');
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
        const waiting = [...this.waiters].filter((waiter) => waiter.tenant === tenant);
        // One read for every waiter of the tenant: on the shared database a poll is one round trip.
        const found = await this.repository.rowsWithVotes(tenant, [...new Set(waiting.map((waiter) => waiter.id))]);
        const byId = new Map(found.map(({ row, votes }) => [row.id, this.toRequest(tenant, row, votes)]));
        for (const waiter of waiting) {
          const request = byId.get(waiter.id);
          if (!request || request.requestedSeq === null) waiter.resolve(null);
          else if (isSettled(request)) waiter.resolve(request);
        }
      }
    } catch (error) {
      this.log(`approval poll failed: ${message(error)}`);
    } finally {
      this.polling = false;
    }
  }

  /**
   * The tenant's leftovers of a crash are undone once per process, before its first use. Only
   * rows older than STALE_UNRECORDED_MS are touched: younger ones may belong to another
   * process (or replica) still waiting for its append.
   */
  private ready(tenant: string): Promise<void> {
    let recovered = this.recovered.get(tenant);
    if (!recovered) {
      recovered = this.repository
        .recover(tenant, this.now().getTime() - STALE_UNRECORDED_MS)
        .catch((error: unknown) => {
          this.recovered.delete(tenant);
          throw error;
        });
      this.recovered.set(tenant, recovered);
    }
    return recovered;
  }

  private async withVotes(tenant: string, rows: readonly Row[]): Promise<ApprovalRequest[]> {
    const found = await this.repository.rowsWithVotes(
      tenant,
      rows.map((row) => row.id),
    );
    const votes = new Map(found.map((entry) => [entry.row.id, entry.votes]));
    return rows.map((row) => this.toRequest(tenant, row, votes.get(row.id) ?? []));
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

  private toRequest(tenant: string, row: Row, votesOfRow: readonly VoteRow[]): ApprovalRequest {
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
    const votes = votesOfRow.filter((vote) => vote.seq !== null).map((vote) => toVote(vote));
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

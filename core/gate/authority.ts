import crypto from 'node:crypto';
import { actionSchema } from '../contract';
import type { Action, Decision, DecisionKind, EnforcementMode } from '../contract';
import { decisionRecord } from '../evidence';
import type { ContainmentPayload } from '../evidence';
import type { ApprovalDesk, ApprovalRequest, ApprovalRouteSpec } from '../approvals';
import { SANDBOX_HOME } from '../containment';
import type { ContainmentGrant } from '../containment';
import { approvalBinding, approvalTerms, decidedBySevereRule } from '../approvals';
import type { GateOutcome } from './client';
import type { ClaudeCodeSubject } from './claude-code';

/**
 * What the gate needs from the policy engine (PolicyService satisfies it). Evaluation only:
 * the gate records. The MCP trust registry reaches the engine through its own input.
 */
export interface GatePolicy {
  /** Readies the tenant's policy before the gate takes requests (built-in packs activated and tested). */
  prepare?(tenant: string): void;
  /**
   * `contained`: the action will run inside the tenant's sandbox, whose HOME is `home`.
   * `dryRun`: judged, not acted on (the control plane judging a connected machine's request).
   */
  evaluate(
    tenant: string,
    action: Action,
    options?: { contained?: { home: string }; dryRun?: boolean },
  ): { decision: Decision };
  settings(tenant: string): { mode: EnforcementMode; defaultDecision: DecisionKind };
  /** The route a Decision names (`<pack>/<route>`), or null when it names none. */
  approvalRoute(tenant: string, qualified: string): ApprovalRouteSpec | null;
}

/** What the gate needs from the evidence ledger. */
export interface GateEvidence {
  /** Appends a record; resolves once it is committed durably, with its sequence number and reference. */
  append(tenant: string, type: 'decision' | 'gap', payload: unknown): Promise<{ seq: number; ref: string }>;
  /** Whether the tenant can sign its evidence right now, and if not, why. */
  signing(tenant: string): { ready: true } | { ready: false; reason: string };
}

/** What the gate needs from containment (ContainmentService satisfies it). */
export interface GateContainment {
  /** The profile to run an allowed command in, or the tenant's recorded judgement-only choice. */
  grant(tenant: string, action: Action): Promise<ContainmentGrant>;
  /** The same for a process started in a workspace rather than one judged action (MCP servers). */
  grantFor(tenant: string, cwd: string, repository: string | null): Promise<ContainmentGrant>;
  /** Records what a runner observed; resolves once durable. */
  report(tenant: string, payload: ContainmentPayload): Promise<{ seq: number }>;
}

/**
 * What the gate needs from approvals: the local desk (ApprovalDesk) offers it, and so does
 * connected mode's server-backed queue (core/connect): where a request is raised, awaited
 * and used.
 */
export type GateApprovals = Pick<
  ApprovalDesk,
  'consume' | 'pendingFor' | 'open' | 'noteWait' | 'wait' | 'get' | 'expireDue' | 'waiting' | 'abandon'
>;

export interface GateTenants {
  /** The tenant an adapter's request belongs to; throws when it does not exist. */
  resolve(requested: string | undefined): string;
}

export interface AuthorityOptions {
  policy: GatePolicy;
  evidence: GateEvidence;
  tenants: GateTenants;
  approvals: GateApprovals;
  /** Compiles sandbox profiles for adapters that contain what they run (`cavra exec`). */
  containment?: GateContainment;
  /** How long an adapter waits for an approval before it is told deny. */
  approvalWaitMs: number;
  /** Expiry of requests whose route does not say (SPEC §3 example: 8h). */
  defaultApprovalExpiryMs?: number;
  now?: () => Date;
  /** Told about every recorded decision (push events for Live activity). */
  onDecision?: (recorded: RecordedDecision) => void;
  log?: (message: string) => void;
}

/** Who is asking, as every decision record carries it (issue 5, acceptance 6). */
interface AdapterContext {
  adapter: string;
  /** The tenant of the adapter's credential (the gate refused any other the request named). */
  tenant?: string;
  /** The adapter runs what is allowed and will contain it: an allow carries the sandbox profile. */
  contain?: boolean;
  /** The human behind the agent as the gate verified it; absent only for in-process callers. */
  actor?: { uid: number; name: string; verifiedBy: 'peer_credentials' | 'install_owner' };
  /** The agent credential (principal) the adapter authenticated with. */
  credential?: string;
}

export interface GateVerdict {
  outcome: GateOutcome;
  reason: string;
  decision: Decision | null;
  /** With an allow for an adapter that contains: where to run it. */
  containment?: ContainmentGrant;
}

/** Who asked, and (for a contained command) the profile its decision records and its allow carries. */
interface Requester {
  agent: { id: string; session?: string } | null;
  context: AdapterContext;
  grant?: ContainmentGrant;
}

export interface RecordedDecision {
  tenant: string;
  adapter: string;
  agent: { id: string; session?: string } | null;
  decision: Decision;
  seq: number;
}

export interface Waiting {
  /** Called once an approval is being awaited, with the request and how long the wait may last. */
  onPending?: (pending: { requestId: string; waitMs: number }) => void;
  /**
   * Aborts the wait (the adapter went away): the answer is deny and the request is abandoned
   * (it stays pending only on a route that opted into "approve for retry").
   */
  signal?: AbortSignal;
  /**
   * The adapter waited on this request before its gate went away and asks again: resume that
   * wait (same credential, same action) for at most `waitMs`, never open another request.
   */
  resume?: { requestId: string; waitMs: number };
}

const deny = (reason: string, decision: Decision | null = null): GateVerdict => ({ outcome: 'deny', reason, decision });

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function packOf(decision: Decision): { id: string; version: string } | null {
  const winner = decision.explanation.winner;
  const rule = decision.rules.find((r) => `${r.pack_id}/${r.rule_id}` === winner) ?? null;
  if (rule) return { id: rule.pack_id, version: rule.pack_version };
  const packId = decision.approval?.route.split('/')[0];
  const sameRoutePack = decision.rules.find((r) => r.pack_id === packId);
  return sameRoutePack ? { id: sameRoutePack.pack_id, version: sameRoutePack.pack_version } : null;
}

function ruleName(decision: Decision): string {
  return decision.explanation.winner ?? `${decision.explanation.basis} decision`;
}

/**
 * The runtime authority behind every transport: one request, one Action, one Decision,
 * recorded in the tenant's ledger before the answer leaves ("no record, no action").
 * Whatever fails — validation, an unknown tenant, the policy, the signing key, the ledger,
 * the approval — the verdict is deny with the reason; allow comes only from a recorded
 * allow or warn, or from an approval that was recorded and is used once.
 */
export class RuntimeAuthority {
  private readonly now: () => Date;
  /** Approval requests being opened, by binding: concurrent identical actions share one. */
  private readonly opening = new Map<string, Promise<ApprovalRequest | null>>();
  /** The gate is stopping: waits end without abandoning or using anything (adapters re-attach). */
  private stopping = false;

  constructor(private readonly options: AuthorityOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * The gate is going down: pending requests stay pending for the adapters to re-attach to the
   * restarted gate (or to be abandoned when their wait is over), and no approval is used for an
   * answer that can no longer be delivered.
   */
  stop(): void {
    this.stopping = true;
  }

  /** The tenant a request is for (named, or the default); throws when it does not exist. */
  tenantFor(requested: string | undefined): string {
    return this.options.tenants.resolve(requested);
  }

  /** An Action from any adapter (generic socket or HTTP callers, MCP proxy, git, exec). */
  async decideAction(raw: unknown, context: AdapterContext, waiting: Waiting = {}): Promise<GateVerdict> {
    const parsed = actionSchema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join('.') || 'action';
      const message =
        issue?.code === 'invalid_type' && 'input' in issue && issue.input === undefined
          ? 'is required'
          : (issue?.message ?? 'is invalid');
      return deny(`The action is invalid (${field}: ${message}); nothing was evaluated`);
    }
    return this.judge(parsed.data, context, waiting);
  }

  /** A Claude Code tool call, mapped by the adapter's rules; unmapped tools take the tenant's default. */
  async decideClaudeCode(subject: ClaudeCodeSubject, context: AdapterContext, waiting: Waiting = {}) {
    if (subject.kind === 'action') return this.decideAction(subject.action, context, waiting);
    let tenant: string;
    try {
      tenant = this.options.tenants.resolve(context.tenant);
    } catch (error) {
      return deny(`Unknown tenant: ${describeError(error)}`);
    }
    const correlationId = subject.correlationId ?? `cor_${crypto.randomUUID()}`;
    let decision: Decision;
    try {
      decision = this.tenantDefault(tenant, subject.tool, correlationId);
    } catch (error) {
      const reason = `The policy could not decide: ${describeError(error)}`;
      this.gap(tenant, context.adapter, subject.agent ?? null, reason);
      return deny(reason);
    }
    return this.conclude(tenant, decision, null, { agent: subject.agent ?? null, context, waiting });
  }

  private async judge(action: Action, context: AdapterContext, waiting: Waiting): Promise<GateVerdict> {
    let tenant: string;
    try {
      tenant = this.options.tenants.resolve(action.tenant ?? context.tenant);
    } catch (error) {
      return deny(`Unknown tenant: ${describeError(error)}`);
    }
    const withId: Action = { ...action, correlation_id: action.correlation_id ?? `cor_${crypto.randomUUID()}` };
    let decision: Decision;
    try {
      decision = this.options.policy.evaluate(tenant, withId).decision;
    } catch (error) {
      const reason = `The policy could not decide: ${describeError(error)}`;
      this.gap(tenant, context.adapter, action.agent ?? null, reason);
      return deny(reason);
    }
    let grant: ContainmentGrant | undefined;
    if (context.contain && decision.decision !== 'deny') {
      const prepared = await this.containmentGrant(tenant, withId, decision, context);
      if ('refused' in prepared) return deny(prepared.refused);
      grant = prepared.grant;
      // It will run inside the sandbox (not judgement-only): judged as it runs there, where
      // `~` is the sandbox's home and what the sandbox bounds decides as the packs say.
      if (grant.enforcement === 'sandbox' && decision.decision !== 'allow') {
        try {
          decision = this.options.policy.evaluate(tenant, withId, { contained: { home: SANDBOX_HOME } }).decision;
        } catch (error) {
          const reason = `The policy could not decide: ${describeError(error)}`;
          this.gap(tenant, context.adapter, action.agent ?? null, reason);
          return deny(reason);
        }
      }
    }
    return this.conclude(tenant, decision, withId, { agent: action.agent ?? null, context, waiting, grant });
  }

  /**
   * The sandbox profile for a command the adapter will run. A profile that cannot be
   * compiled means nothing may run: the refusal is recorded as a `containment` record.
   */
  private async containmentGrant(
    tenant: string,
    action: Action,
    decision: Decision,
    context: AdapterContext,
  ): Promise<{ grant: ContainmentGrant } | { refused: string }> {
    const containment = this.options.containment;
    if (!containment) return { refused: 'CAVRA deny: this gate cannot contain commands, so nothing may run' };
    try {
      return { grant: await containment.grant(tenant, action) };
    } catch (error) {
      const reason = `CAVRA deny: the sandbox profile could not be prepared, so nothing may run: ${describeError(error)}`;
      await containment
        .report(tenant, {
          event: 'sandbox_unavailable',
          reason: reason.slice(0, 2000),
          adapter: context.adapter,
          decision_id: decision.decision_id,
          ...(action.agent ? { agent: action.agent } : {}),
        })
        .catch(() => this.gap(tenant, context.adapter, action.agent ?? null, reason));
      return { refused: reason };
    }
  }

  private async conclude(
    tenant: string,
    decision: Decision,
    action: Action | null,
    request: Requester & { waiting: Waiting },
  ): Promise<GateVerdict> {
    const signing = this.signing(tenant);
    if (!signing.ready) {
      const reason = `CAVRA deny: ${signing.reason}, so nothing may run`;
      this.gap(tenant, request.context.adapter, request.agent, reason);
      return deny(reason);
    }
    if (decision.decision !== 'require_approval') {
      return this.record(tenant, decision, action, request, this.outcomeOf(decision));
    }
    if (action === null) {
      // No Action means nothing an approval could be bound to, so it cannot end in allow.
      return this.record(tenant, decision, null, request, {
        outcome: 'deny',
        reason: `CAVRA deny [${ruleName(decision)}]: an approval is required, and this tool cannot be bound to one. ${decision.explanation.summary}`,
      });
    }
    return this.approval(tenant, decision, action, request);
  }

  /** Allow for allow and warn (warn raises a finding from its record); deny otherwise. */
  private outcomeOf(decision: Decision): { outcome: GateOutcome; reason: string } {
    const outcome: GateOutcome = decision.decision === 'allow' || decision.decision === 'warn' ? 'allow' : 'deny';
    const rule = decision.explanation.winner ? ` [${decision.explanation.winner}]` : '';
    return { outcome, reason: `CAVRA ${decision.decision}${rule}: ${decision.explanation.summary}` };
  }

  private signing(tenant: string): { ready: true } | { ready: false; reason: string } {
    let signing: { ready: true } | { ready: false; reason: string };
    try {
      signing = this.options.evidence.signing(tenant);
    } catch (error) {
      return {
        ready: false,
        reason: `the evidence ledger of tenant ${tenant} cannot be read (${describeError(error)})`,
      };
    }
    return signing.ready
      ? signing
      : { ready: false, reason: `evidence for tenant ${tenant} cannot be signed (${signing.reason})` };
  }

  /** Appends the decision; answers with `then` only once it is durable, deny otherwise. */
  private async record(
    tenant: string,
    decision: Decision,
    action: Action | null,
    request: Requester,
    then: { outcome: GateOutcome; reason: string } | null,
    /** Receives the record's sequence number once it is durable (the approval request keeps it). */
    recordedAt?: { seq?: number },
  ): Promise<GateVerdict> {
    const grant = request.grant;
    const payload = decisionRecord(decision, {
      adapter: request.context.adapter,
      agent: request.agent,
      // The actor is what the gate verified; whatever the agent claimed stays a claim.
      verifiedActor: request.context.actor,
      actor: action?.actor,
      repository: action?.repository,
      cwd: action?.cwd,
      ...(grant
        ? {
            containment:
              grant.enforcement === 'sandbox'
                ? { enforcement: 'sandbox' as const, profile_sha256: grant.digest }
                : { enforcement: 'judgement_only' as const },
          }
        : {}),
    });
    let receipt: { seq: number; ref: string };
    try {
      receipt = await this.options.evidence.append(tenant, 'decision', payload);
    } catch (error) {
      return deny(
        `The decision could not be recorded in the evidence ledger, so it is denied: ${describeError(error)}`,
      );
    }
    const seq = receipt.seq;
    if (recordedAt) recordedAt.seq = seq;
    const recorded = { ...decision, evidence_ref: receipt.ref };
    try {
      this.options.onDecision?.({
        tenant,
        adapter: request.context.adapter,
        agent: request.agent,
        decision: recorded,
        seq,
      });
    } catch (error) {
      this.log(`decision listener failed: ${describeError(error)}`);
    }
    if (then === null) return { outcome: 'deny', reason: decision.explanation.summary, decision: recorded };
    return { ...then, decision: recorded, ...(then.outcome === 'allow' && grant ? { containment: grant } : {}) };
  }

  /**
   * require_approval: an approved, unused request for this exact action allows it once;
   * otherwise the adapter waits on a pending request (joined or opened) up to the wait
   * limit, and only a recorded approval that this request manages to use allows it.
   */
  private async approval(
    tenant: string,
    decision: Decision,
    action: Action,
    request: Requester & { waiting: Waiting },
  ): Promise<GateVerdict> {
    const approvals = this.options.approvals;
    const binding = approvalBinding(action, tenant, packOf(decision));
    const route = decision.approval?.route ?? 'default';
    const agentPrincipal = request.context.credential ? `agent:${request.context.credential}` : null;
    const resume = request.waiting.resume;
    if (resume) return this.reattach(tenant, decision, action, request, { binding, route, agentPrincipal, resume });
    let reused: ApprovalRequest | null;
    try {
      // Only a route that opted into "approve for retry" lets an earlier approval allow this attempt.
      reused = await approvals.consume(binding, decision.correlation_id, undefined, agentPrincipal ?? 'cavra');
    } catch (error) {
      return deny(`Approvals are unavailable, so ${ruleName(decision)} cannot be satisfied: ${describeError(error)}`);
    }
    if (reused) return this.resolved(tenant, decision, action, request, reused);

    const key = `${tenant}\n${binding.actionSha256}\n${binding.packId}\n${binding.packVersion}`;
    let pending: ApprovalRequest | null;
    try {
      // A request for the same action being opened right now is joined, not duplicated.
      pending = (await this.opening.get(key)?.catch(() => null)) ?? (await approvals.pendingFor(binding));
    } catch (error) {
      return deny(`Approvals are unavailable: ${describeError(error)}`);
    }
    const requestId = pending?.id ?? `apr_${crypto.randomUUID()}`;
    let opened: ((request: ApprovalRequest | null) => void) | null = null;
    if (!pending) this.opening.set(key, new Promise((resolve) => (opened = resolve)));
    const open = (request: ApprovalRequest | null) => {
      if (!opened) return;
      opened(request);
      this.opening.delete(key);
    };
    const awaiting: Decision = { ...decision, approval: { route, state: 'pending', request_id: requestId } };
    const recordedAt: { seq?: number } = {};
    const first = await this.record(tenant, awaiting, action, request, null, recordedAt);
    if (first.decision === null) {
      open(null);
      return first;
    }
    if (!pending) {
      const details = approvalTerms(
        this.options.policy,
        tenant,
        route,
        decidedBySevereRule(decision),
        this.options.defaultApprovalExpiryMs,
      );
      try {
        pending = await approvals.open({
          id: requestId,
          binding,
          route,
          ruleId: decision.explanation.winner,
          reason: decision.explanation.summary,
          terms: details.terms,
          agentPrincipal,
          requester: request.context.actor ? `os:${request.context.actor.name}` : null,
          requesterUid: request.context.actor?.uid ?? null,
          agent: request.agent,
          adapter: request.context.adapter,
          correlationId: decision.correlation_id,
          decisionId: decision.decision_id,
          actionType: decision.action_type,
          target: decision.target,
          action,
          expiresInMs: details.expiresInMs,
          decisionSeq: recordedAt.seq ?? null,
        });
      } catch (error) {
        open(null);
        // Fail closed, on record: the final deny says why (an offline control plane, a failing ledger).
        const summary = `Not approved: the approval request could not be raised (${describeError(error)}), so the action is denied. ${decision.explanation.summary}`;
        return this.finalVerdict(tenant, decision, action, request, { route, state: 'cancelled' }, summary, false);
      }
      open(pending);
    }
    return this.awaitVerdict(tenant, decision, action, request, binding, agentPrincipal, pending, Infinity);
  }

  /**
   * An adapter whose gate went away while it waited asks again with `resume`. The wait
   * continues only on a request this same agent credential (and OS user) raised for this same
   * action and pack version; otherwise the answer is deny, recorded. Nothing is opened, and
   * allow still needs that request's recorded approval, consumed here.
   */
  private async reattach(
    tenant: string,
    decision: Decision,
    action: Action,
    request: Requester & { waiting: Waiting },
    terms: {
      binding: ReturnType<typeof approvalBinding>;
      route: string;
      agentPrincipal: string | null;
      resume: NonNullable<Waiting['resume']>;
    },
  ): Promise<GateVerdict> {
    const { binding, route, agentPrincipal, resume } = terms;
    let found: ApprovalRequest | null;
    try {
      found = await this.options.approvals.get(tenant, resume.requestId);
    } catch (error) {
      return deny(
        `Approvals are unavailable, so approval ${resume.requestId} cannot be re-attached to: ${describeError(error)}`,
      );
    }
    const uid = request.context.actor?.uid;
    const refusal =
      found === null
        ? `approval ${resume.requestId} does not exist in tenant ${tenant}`
        : agentPrincipal === null || found.agentPrincipal !== agentPrincipal
          ? `approval ${resume.requestId} was not raised by this adapter's credential`
          : found.requesterUid !== null && uid !== undefined && found.requesterUid !== uid
            ? `approval ${resume.requestId} was raised for another OS user`
            : found.binding.actionSha256 !== binding.actionSha256
              ? `approval ${resume.requestId} is bound to another action`
              : found.binding.packId !== binding.packId || found.binding.packVersion !== binding.packVersion
                ? `approval ${resume.requestId} was opened under ${found.binding.packId ?? 'no pack'} ${found.binding.packVersion ?? ''}`.trim() +
                  `, and the policy now judges this action under ${binding.packId ?? 'no pack'} ${binding.packVersion ?? ''}`.trim() +
                  '; ask again'
                : null;
    if (refusal !== null || found === null) {
      const summary = `Re-attach refused: ${refusal}. ${decision.explanation.summary}`;
      return this.finalVerdict(tenant, decision, action, request, { route, state: 'pending' }, summary, false);
    }
    const awaiting: Decision = { ...decision, approval: { route, state: 'pending', request_id: found.id } };
    const first = await this.record(tenant, awaiting, action, request, null);
    if (first.decision === null) return first;
    return this.awaitVerdict(tenant, decision, action, request, binding, agentPrincipal, found, resume.waitMs);
  }

  /**
   * Waits for a verdict on `pending` (up to the gate's approval wait, the request's expiry and
   * `waitCapMs`, whichever is sooner), then tells the adapter: allow only once a recorded
   * approval is consumed by this attempt; an unanswered wait abandons the request.
   */
  private async awaitVerdict(
    tenant: string,
    decision: Decision,
    action: Action,
    request: Requester & { waiting: Waiting },
    binding: ReturnType<typeof approvalBinding>,
    agentPrincipal: string | null,
    pending: ApprovalRequest,
    waitCapMs: number,
  ): Promise<GateVerdict> {
    const approvals = this.options.approvals;
    const expiresIn = Date.parse(pending.expiresAt) - this.now().getTime();
    const waitMs = Math.max(0, Math.min(this.options.approvalWaitMs, expiresIn, waitCapMs));
    try {
      // Reviewers see the real time to expiry: this wait, when it ends before the route's expiry.
      await approvals.noteWait(tenant, pending.id, this.now().getTime() + waitMs);
    } catch (error) {
      this.log(`approval wait not noted: ${describeError(error)}`);
    }
    try {
      request.waiting.onPending?.({ requestId: pending.id, waitMs });
    } catch (error) {
      this.log(`pending listener failed: ${describeError(error)}`);
    }
    let settled = await approvals.wait(tenant, pending.id, waitMs, request.waiting.signal);
    if (this.stopping) {
      // Nobody can be told any more: leave the request as it is for the adapter to re-attach to.
      return deny(`CAVRA gate is stopping; approval ${pending.id} stays as it is for the restarted gate`);
    }
    if (settled?.state === 'pending' && Date.parse(settled.expiresAt) <= this.now().getTime()) {
      // Its time ran out before the expiry sweep saw it: expire it now, so it says so.
      await approvals.expireDue(tenant).catch(() => 0);
      settled = (await approvals.get(tenant, settled.id).catch(() => null)) ?? settled;
    }
    if (settled?.state === 'approved') {
      let used: ApprovalRequest | null;
      try {
        used = await approvals.consume(binding, decision.correlation_id, settled.id, agentPrincipal ?? 'cavra');
      } catch (error) {
        return this.resolved(
          tenant,
          decision,
          action,
          request,
          settled,
          `its use could not be recorded (${describeError(error)})`,
        );
      }
      if (!used) {
        return this.resolved(tenant, decision, action, request, { ...settled, state: 'approved' }, 'already used');
      }
      return this.resolved(tenant, decision, action, request, used);
    }
    if (!settled || settled.state === 'pending') {
      const why = request.waiting.signal?.aborted
        ? 'the adapter stopped waiting'
        : `no approver decided within ${waitMs < 10_000 ? (waitMs / 1000).toFixed(1) : Math.round(waitMs / 1000)} s`;
      // Nobody waits for it any more: abandoned, so a late approval cannot pre-approve a retry
      // (unless the route opted into "approve for retry"). A retry of this process still waiting keeps it.
      let after = settled ?? pending;
      if (!approvals.waiting(tenant, after.id)) {
        after = (await approvals.abandon(tenant, after.id, agentPrincipal ?? 'cavra', why).catch(() => null)) ?? after;
      }
      if (after.state === 'approved') {
        // Approved in the instant it was being abandoned: the approval stands and is used here.
        const used = await approvals
          .consume(binding, decision.correlation_id, after.id, agentPrincipal ?? 'cavra')
          .catch(() => null);
        if (used) return this.resolved(tenant, decision, action, request, used);
      }
      return this.resolved(
        tenant,
        decision,
        action,
        request,
        after.state === 'pending' || after.state === 'abandoned' ? after : (settled ?? pending),
        why,
      );
    }
    if (settled.state === 'consumed') {
      // Used by another attempt (a joined wait, a re-attach, another gate): allow comes only from this attempt's own use.
      return this.resolved(tenant, decision, action, request, settled, 'its approval was already used');
    }
    return this.resolved(tenant, decision, action, request, settled);
  }

  /** Records what the adapter is finally told after an approval wait, then tells it. */
  private async resolved(
    tenant: string,
    decision: Decision,
    action: Action,
    request: Requester,
    approval: ApprovalRequest,
    unusable?: string,
  ): Promise<GateVerdict> {
    const allowed = approval.state === 'consumed' && unusable === undefined;
    const state = approval.state;
    const by = approval.decidedBy ? ` by ${approval.decidedBy}` : '';
    const because = approval.decisionReason ? `: ${approval.decisionReason}` : '';
    const summary = allowed
      ? `Approved${by}${because} (request ${approval.id}); allowed once. ${decision.explanation.summary}`
      : unusable !== undefined
        ? `Not approved: ${unusable} (request ${approval.id}). ${decision.explanation.summary}`
        : `Approval ${approval.state}${by}${because} (request ${approval.id}). ${decision.explanation.summary}`;
    const route = decision.approval?.route ?? approval.route;
    return this.finalVerdict(
      tenant,
      decision,
      action,
      request,
      { route, state, request_id: approval.id },
      summary,
      allowed,
    );
  }

  /**
   * The one final decision of an approval path (a new decision id and time, `would_be`
   * require_approval, the approval's state), recorded before the adapter is told.
   */
  private finalVerdict(
    tenant: string,
    decision: Decision,
    action: Action,
    request: Requester,
    approval: NonNullable<Decision['approval']>,
    summary: string,
    allowed: boolean,
  ): Promise<GateVerdict> {
    const final: Decision = {
      ...decision,
      decision_id: `dec_${crypto.randomUUID()}`,
      decision: allowed ? 'allow' : 'deny',
      would_be: 'require_approval',
      approval,
      timestamp: this.now().toISOString(),
      explanation: { ...decision.explanation, summary },
    };
    const rule = ruleName(decision);
    const reason = allowed ? `CAVRA allow after approval [${rule}]: ${summary}` : `CAVRA deny [${rule}]: ${summary}`;
    return this.record(tenant, final, action, request, { outcome: allowed ? 'allow' : 'deny', reason });
  }

  /**
   * A tool of the agent that no Action type describes takes the tenant's default decision
   * (SPEC §4); in tenant shadow mode it is recorded as that and allowed, as for any action.
   */
  private tenantDefault(tenant: string, tool: string, correlationId: string): Decision {
    const settings = this.options.policy.settings(tenant);
    const wouldBe = settings.defaultDecision;
    const decision: DecisionKind = settings.mode === 'shadow' ? 'allow' : wouldBe;
    const decisionId = `dec_${crypto.randomUUID()}`;
    return {
      decision_id: decisionId,
      tenant,
      action_type: 'mcp_tool_call',
      target: `claude-code/${tool}`,
      rules: [],
      decision,
      would_be: wouldBe,
      mode: settings.mode,
      ...(decision === 'require_approval' ? { approval: { route: 'default', state: 'pending' as const } } : {}),
      evidence_ref: null,
      timestamp: this.now().toISOString(),
      correlation_id: correlationId,
      explanation: {
        summary: `Claude Code tool ${tool} is not one CAVRA maps to an action type; the tenant default (${wouldBe}) applies`,
        winner: null,
        basis: 'default',
      },
    };
  }

  /**
   * An adapter refused something without asking the gate (a message it could not judge, such
   * as an MCP `tools/call` sent as a notification): recorded as a `gap`, awaited, so the
   * adapter knows whether the refusal is on record. The refusal stands either way.
   */
  async recordRefusal(
    requested: string | undefined,
    adapter: string,
    agent: { id: string; session?: string } | null,
    reason: string,
  ): Promise<GateVerdict> {
    let tenant: string;
    try {
      tenant = this.options.tenants.resolve(requested);
    } catch (error) {
      return deny(`Unknown tenant: ${describeError(error)}`);
    }
    try {
      const { ref } = await this.options.evidence.append(tenant, 'gap', {
        source: `gate/${adapter}`,
        reason: `refused by the adapter: ${reason}`.slice(0, 2000),
        ...(agent ? { agent } : {}),
      });
      return { outcome: 'allow', reason: `refusal recorded as ${ref}`, decision: null };
    } catch (error) {
      return deny(`the refusal could not be recorded: ${describeError(error)}`);
    }
  }

  /**
   * Best effort: a request the gate could not decide leaves a `gap` record where the ledger
   * still takes one (a failed append is exactly what it cannot record). Never awaited.
   */
  private gap(tenant: string, adapter: string, agent: { id: string; session?: string } | null, reason: string): void {
    this.options.evidence
      .append(tenant, 'gap', { source: `gate/${adapter}`, reason: reason.slice(0, 2000), ...(agent ? { agent } : {}) })
      .catch(() => undefined);
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => process.stderr.write(`[cavra gate] ${m}\n`)))(message);
  }
}

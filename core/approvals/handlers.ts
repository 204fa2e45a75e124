import type { ApprovalRequestView, ApprovalSummaryView, Handler, Principal } from '../contract';
import { ContractError } from '../contract';
import type { ApprovalDesk, ApprovalRequest } from './desk';
import type { Decider } from './separation';
import type { StepUp } from './step-up';

function approvalView(request: ApprovalRequest & { stepUp?: ApprovalRequestView['stepUp'] }): ApprovalRequestView {
  const { binding, action, requesterUid: _uid, terms, ...rest } = request;
  void _uid;
  return {
    ...rest,
    actionSha256: binding.actionSha256,
    packId: binding.packId,
    packVersion: binding.packVersion,
    action: action as Record<string, unknown>,
    allowReuse: terms.allowReuse,
    approverGroups: terms.approverGroups,
    requiredApprovals: terms.requiredApprovals,
    attest: terms.attest,
  };
}

/** What the queue lists: the view without the action (up to 64 KiB of write content each). */
function approvalSummary(request: ApprovalRequest): ApprovalSummaryView {
  const { action: _action, ...summary } = approvalView(request);
  void _action;
  return summary;
}

/** The decider as the transport verified them: never a field of the input. */
function deciderOf(principal: Principal): Decider {
  return {
    id: principal.id,
    displayName: principal.displayName,
    kind: principal.kind,
    uid: principal.osUser?.uid ?? null,
    ...(principal.tenant ? { tenant: principal.tenant } : {}),
  };
}

export function approvalHandlers(
  desk: ApprovalDesk,
  stepUp: StepUp,
): {
  'approvals.list': Handler<'approvals.list'>;
  'approvals.page': Handler<'approvals.page'>;
  'approvals.get': Handler<'approvals.get'>;
  'approvals.decide': Handler<'approvals.decide'>;
  'approvals.attest': Handler<'approvals.attest'>;
  'approvals.cancel': Handler<'approvals.cancel'>;
  'approvals.breakGlass': Handler<'approvals.breakGlass'>;
} {
  /**
   * Gives the verdict, or — when the one step-up rule (`stepUpRequirement`, applied by the desk)
   * asks for a fresh IdP sign-in and the caller said where the IdP may send the browser back —
   * starts that sign-in instead. Without a `redirectUri` the caller gets `step_up_required`.
   */
  async function orStepUp(
    give: () => Promise<ApprovalRequest>,
    begin: () => Promise<ApprovalRequest & { stepUp: ApprovalRequestView['stepUp'] }>,
    redirectUri: string | undefined,
  ): Promise<ApprovalRequestView> {
    try {
      return approvalView(await give());
    } catch (error) {
      if (!(error instanceof ContractError && error.code === 'step_up_required') || !redirectUri) throw error;
      return approvalView(await begin());
    }
  }
  return {
    'approvals.list': async (ctx, input) => {
      const tenant = ctx.tenant;
      await desk.expireDue(tenant);
      return { requests: (await desk.list(tenant, { states: input.states, limit: input.limit })).map(approvalView) };
    },
    'approvals.page': async (ctx, input) => {
      const tenant = ctx.tenant;
      await desk.expireDue(tenant);
      const page = await desk.page(tenant, { states: input.states, limit: input.limit, cursor: input.cursor });
      return { ...page, requests: page.requests.map(approvalSummary) };
    },
    'approvals.get': async (ctx, input) => {
      const tenant = ctx.tenant;
      await desk.expireDue(tenant);
      const request = await desk.get(tenant, input.id);
      if (!request) throw new ContractError('not_found', `id: approval request "${input.id}" does not exist`, 'id');
      // Who looked at a request is evidence too (a reviewer who saw it and let it expire).
      await desk.viewed(tenant, input.id, ctx.principal.id);
      return approvalView(request);
    },
    'approvals.decide': async (ctx, input) => {
      const verdict = {
        verdict: input.verdict,
        decider: deciderOf(ctx.principal),
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
      };
      return orStepUp(
        () => desk.decide(ctx.tenant, input.id, verdict),
        () => stepUp.begin(ctx.tenant, input.id, verdict, input.redirectUri as string),
        input.redirectUri,
      );
    },
    'approvals.attest': async (ctx, input) =>
      approvalView(await stepUp.complete(ctx.tenant, input.flowId, input.callbackUrl, deciderOf(ctx.principal))),
    'approvals.cancel': async (ctx, input) =>
      approvalView(await desk.cancel(ctx.tenant, input.id, ctx.principal.id, input.reason)),
    'approvals.breakGlass': async (ctx, input) => {
      const decider = deciderOf(ctx.principal);
      return orStepUp(
        () => desk.breakGlass(ctx.tenant, input.id, decider, input.justification),
        () =>
          stepUp.begin(
            ctx.tenant,
            input.id,
            { verdict: 'approve', decider, justification: input.justification },
            input.redirectUri as string,
          ),
        input.redirectUri,
      );
    },
  };
}

import { ContractError } from '../contract';
import type { ApprovalRequestView, Handler } from '../contract';
import type { ApprovalDesk, ApprovalRequest } from './desk';

function approvalView(request: ApprovalRequest): ApprovalRequestView {
  const { binding, action, requesterUid: _uid, ...rest } = request;
  void _uid;
  return {
    ...rest,
    actionSha256: binding.actionSha256,
    packId: binding.packId,
    packVersion: binding.packVersion,
    action: action as Record<string, unknown>,
  };
}

export function approvalHandlers(desk: ApprovalDesk): {
  'approvals.list': Handler<'approvals.list'>;
  'approvals.get': Handler<'approvals.get'>;
  'approvals.decide': Handler<'approvals.decide'>;
} {
  return {
    'approvals.list': async (ctx, input) => {
      const tenant = ctx.tenant;
      await desk.expireDue(tenant);
      return { requests: desk.list(tenant, { states: input.states, limit: input.limit }).map(approvalView) };
    },
    'approvals.get': async (ctx, input) => {
      const tenant = ctx.tenant;
      await desk.expireDue(tenant);
      const request = desk.get(tenant, input.id);
      if (!request) throw new ContractError('not_found', `id: approval request "${input.id}" does not exist`, 'id');
      return approvalView(request);
    },
    'approvals.decide': async (ctx, input) =>
      approvalView(
        await desk.decide(ctx.tenant, input.id, {
          verdict: input.verdict,
          by: ctx.principal.id,
          reason: input.reason,
          byKind: ctx.principal.kind,
          byUid: ctx.principal.osUser?.uid ?? null,
        }),
      ),
  };
}

import { useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

/**
 * How many pending requests the queue asks for: the most `approvals.list` answers today. The
 * list is virtualized and renders 10,000 as fast as 20; when the answer is this full the
 * screen says that more may be waiting. The nav badge shares this query.
 */
export const PENDING_LIMIT = 1000;
/** Decided requests are history: the newest ones, the rest is in Evidence. */
const DECIDED_LIMIT = 200;

export function useApprovalRequests(tenant: string | null, states: OperationInput<'approvals.list'>['states']) {
  const client = useClient();
  const pendingOnly = states?.length === 1 && states[0] === 'pending';
  return useQuery({
    queryKey: ['approvals.list', tenant, states],
    queryFn: () =>
      client.call('approvals.list', { states, limit: pendingOnly ? PENDING_LIMIT : DECIDED_LIMIT }, { tenant }),
    enabled: tenant !== null,
    // Expiry is enforced by the core; refetching now and then shows it without an event.
    refetchInterval: 15_000,
  });
}

/** The pending requests of a tenant: the queue's list and the navigation's count. */
export function usePendingApprovals(tenant: string | null) {
  return useApprovalRequests(tenant, ['pending']);
}

export function useDecideApproval(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'approvals.decide'>) => client.call('approvals.decide', input, { tenant }),
  });
}

/** One request by id (a deep link), whatever its state. */
export function useApprovalRequest(tenant: string | null, id: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['approvals.get', tenant, id],
    queryFn: () => client.call('approvals.get', { id: id ?? '' }, { tenant }),
    enabled: tenant !== null && id !== null && /^apr_[0-9a-f-]{36}$/.test(id),
  });
}

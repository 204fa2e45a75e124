import { useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

export function useApprovalRequests(tenant: string | null, states: OperationInput<'approvals.list'>['states']) {
  const client = useClient();
  return useQuery({
    queryKey: ['approvals.list', tenant, states],
    queryFn: () => client.call('approvals.list', { states, limit: 200 }, { tenant }),
    enabled: tenant !== null,
    // Expiry is enforced by the core; refetching now and then shows it without an event.
    refetchInterval: 15_000,
  });
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

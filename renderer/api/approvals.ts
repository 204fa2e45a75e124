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

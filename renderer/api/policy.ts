import { useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

export function usePacks(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['policy.packs.list', tenant],
    queryFn: () => client.call('policy.packs.list', {}, { tenant }),
    enabled: tenant !== null,
  });
}

export function usePack(tenant: string | null, packId: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['policy.pack.get', tenant, packId],
    queryFn: () => client.call('policy.pack.get', { packId: packId ?? '' }, { tenant }),
    enabled: tenant !== null && packId !== null,
  });
}

export function usePolicySettings(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['policy.settings.get', tenant],
    queryFn: () => client.call('policy.settings.get', {}, { tenant }),
    enabled: tenant !== null,
  });
}

/** Assignment changes come back through the `policy.changed` event, which refreshes the lists. */
export function useAssignment(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: ({ assign, ...input }: OperationInput<'policy.assign'> & { assign: boolean }) =>
      client.call(assign ? 'policy.assign' : 'policy.unassign', input, { tenant }),
  });
}

export function usePackTest(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: (packId: string) => client.call('policy.test', { packId }, { tenant }) });
}

export function useSimulation(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (action: OperationInput<'policy.simulate'>['action']) =>
      client.call('policy.simulate', { action }, { tenant }),
  });
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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

export function useMcpTrust(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['mcp.trust.list', tenant],
    queryFn: () => client.call('mcp.trust.list', {}, { tenant }),
    enabled: tenant !== null,
  });
}

/** Trusting or removing an MCP server; the list is read again afterwards. */
export function useMcpTrustChange(tenant: string | null) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (
      change: { trust: true; server: string; tools: string[] | null } | { trust: false; server: string },
    ): Promise<void> => {
      if (change.trust) await client.call('mcp.trust.set', { server: change.server, tools: change.tools }, { tenant });
      else await client.call('mcp.trust.remove', { server: change.server }, { tenant });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['mcp.trust.list', tenant] }),
  });
}

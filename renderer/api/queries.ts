import { QueryClient, useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // IPC and the loopback bridge need no network connectivity (HOUSE rule 7).
      queries: { networkMode: 'always', retry: false, refetchOnWindowFocus: false, staleTime: 30_000 },
      mutations: { networkMode: 'always', retry: false },
    },
  });
}

export function useSystemInfo() {
  const client = useClient();
  return useQuery({ queryKey: ['system.info'], queryFn: () => client.call('system.info', {}) });
}

/** Whether this install can enforce, checked now; re-checked every 30 s while the console is open. */
export function useSystemHealth() {
  const client = useClient();
  return useQuery({
    queryKey: ['system.health'],
    queryFn: () => client.call('system.health', {}),
    refetchInterval: 30_000,
  });
}

export function useTenants() {
  const client = useClient();
  return useQuery({ queryKey: ['tenants.list'], queryFn: () => client.call('tenants.list', {}) });
}

/** The list refreshes through the `tenants.changed` event, not through this mutation. */
export function useCreateTenant() {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'tenants.create'>) => client.call('tenants.create', input),
  });
}

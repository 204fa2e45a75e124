import { useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

/** Connector changes and delivery progress come back through `deliveries.changed`. */
export function useConnectors(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['connectors.list', tenant],
    queryFn: () => client.call('connectors.list', {}, { tenant }),
    enabled: tenant !== null,
  });
}

export function useSaveConnector(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'connectors.save'>) => client.call('connectors.save', input, { tenant }),
  });
}

export function useRemoveConnector(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: (id: string) => client.call('connectors.remove', { id }, { tenant }) });
}

export function useSetSecret(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'connectors.secret.set'>) =>
      client.call('connectors.secret.set', input, { tenant }),
  });
}

export function useClearSecret(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'connectors.secret.clear'>) =>
      client.call('connectors.secret.clear', input, { tenant }),
  });
}

export function useTestConnector(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'connectors.test'>) => client.call('connectors.test', input, { tenant }),
  });
}

export function useDeliveries(tenant: string | null, filter: OperationInput<'deliveries.list'>) {
  const client = useClient();
  return useQuery({
    queryKey: ['deliveries.list', tenant, filter],
    queryFn: () => client.call('deliveries.list', filter, { tenant }),
    enabled: tenant !== null,
    // Retries are timed by the core; a periodic refresh shows "next attempt" moving without an event.
    refetchInterval: 5_000,
  });
}

export function useRetryDelivery(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: (id: string) => client.call('deliveries.retry', { id }, { tenant }) });
}

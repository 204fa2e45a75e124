import { useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

// Settings and schedule changes come back through `deliveries.changed` (one event table).

export function useRenderReport(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'reports.render'>) => client.call('reports.render', input, { tenant }),
  });
}

export function useDeliverReport(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'reports.deliver'>) => client.call('reports.deliver', input, { tenant }),
  });
}

export function useReportSettings(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['reports.settings.get', tenant],
    queryFn: () => client.call('reports.settings.get', {}, { tenant }),
    enabled: tenant !== null,
  });
}

export function useSaveReportSettings(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'reports.settings.set'>) =>
      client.call('reports.settings.set', input, { tenant }),
  });
}

export function useSchedules(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['reports.schedules.list', tenant],
    queryFn: () => client.call('reports.schedules.list', {}, { tenant }),
    enabled: tenant !== null,
  });
}

export function useSaveSchedule(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'reports.schedules.save'>) =>
      client.call('reports.schedules.save', input, { tenant }),
  });
}

export function useRemoveSchedule(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: (id: string) => client.call('reports.schedules.remove', { id }, { tenant }) });
}

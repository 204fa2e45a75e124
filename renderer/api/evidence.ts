import { useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

export type EvidenceFilter = OperationInput<'evidence.query'>;

export function useLedgerStatus(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['evidence.status', tenant],
    queryFn: () => client.call('evidence.status', {}, { tenant }),
    enabled: tenant !== null,
  });
}

/** Newest records matching the filter; `evidence.appended` events refresh it unless `live` is off. */
export function useLedgerRecords(tenant: string | null, filter: EvidenceFilter, live = true) {
  const client = useClient();
  return useQuery({
    queryKey: ['evidence.query', tenant, filter],
    queryFn: () => client.call('evidence.query', filter, { tenant }),
    enabled: tenant !== null && live,
    placeholderData: (previous) => previous,
  });
}

export function useLedgerRecord(tenant: string | null, seq: number | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['evidence.record', tenant, seq],
    queryFn: () => client.call('evidence.record', { seq: seq ?? 0 }, { tenant }),
    enabled: tenant !== null && seq !== null,
  });
}

export function useStartLedgerVerify(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: () => client.call('evidence.verify', {}, { tenant }) });
}

export function useStartExport(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (range: OperationInput<'evidence.export'>) => client.call('evidence.export', range, { tenant }),
  });
}

/** Retention changes come back through `evidence.appended` (they are config-change records). */
export function useSetRetention(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'evidence.retention.set'>) =>
      client.call('evidence.retention.set', input, { tenant }),
  });
}

export function usePrune(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: () => client.call('evidence.prune', {}, { tenant }) });
}

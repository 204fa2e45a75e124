import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useClient } from './client';

// Imports are ledger records, so `evidence.appended` refreshes the status (one event table) when
// the ledger is watched; an import here answers with the new entitlement, which is shown at once.

export function useLicenseStatus(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['license.status', tenant],
    queryFn: () => client.call('license.status', {}, { tenant }),
    enabled: tenant !== null,
    // Days remaining and expiry move with the clock, not only with events.
    refetchInterval: 60_000,
  });
}

export function useValidateLicense(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (document: string) => client.call('license.validate', { document }, { tenant }),
  });
}

export function useImportLicense(tenant: string | null) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (document: string) => client.call('license.import', { document }, { tenant }),
    onSuccess: (entitlement) => queryClient.setQueryData(['license.status', tenant], entitlement),
  });
}

export function useImportRevocations(tenant: string | null) {
  const client = useClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (document: string) => client.call('license.revocations.import', { document }, { tenant }),
    onSuccess: (entitlement) => queryClient.setQueryData(['license.status', tenant], entitlement),
  });
}

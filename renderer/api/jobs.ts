import { useMutation, useQuery } from '@tanstack/react-query';
import { useClient } from './client';

export const jobQueryKey = (tenant: string, jobId: string) => ['jobs.get', tenant, jobId] as const;

/** A job's state; `jobs.changed` events patch it in place, so it never needs polling. */
export function useJob(tenant: string | null, jobId: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: jobQueryKey(tenant ?? '', jobId ?? ''),
    queryFn: () => client.call('jobs.get', { jobId: jobId ?? '' }, { tenant }),
    enabled: tenant !== null && jobId !== null,
    staleTime: Infinity,
  });
}

export function useCancelJob(tenant: string | null) {
  const client = useClient();
  return useMutation({ mutationFn: (jobId: string) => client.call('jobs.cancel', { jobId }, { tenant }) });
}

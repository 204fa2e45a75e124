import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import type { OperationInput } from '../../core/contract';
import { useClient } from './client';

/**
 * Rows per `approvals.page` answer: a few screenfuls. The queue asks for the next page as the
 * reviewer scrolls or moves towards the end of what is loaded, so 10,000 pending cost one page
 * to open.
 */
export const QUEUE_PAGE_SIZE = 200;

type States = OperationInput<'approvals.page'>['states'];

/** The query keys of the approval queue's server state (the event table invalidates by prefix). */
export const approvalQueryKeys = {
  queue: (tenant: string | null, states: States) => ['approvals.page', tenant, 'queue', states] as const,
  pendingCount: (tenant: string | null) => ['approvals.page', tenant, 'count'] as const,
  request: (tenant: string | null, id: string | null) => ['approvals.get', tenant, id] as const,
};

/**
 * The queue in the asked states, newest first, one keyset page at a time (summaries without
 * the action). Refetched when an approval event arrives (see event-effects), not on a timer.
 */
export function useApprovalQueue(tenant: string | null, states: States) {
  const client = useClient();
  return useInfiniteQuery({
    queryKey: approvalQueryKeys.queue(tenant, states),
    queryFn: ({ pageParam }) =>
      client.call(
        'approvals.page',
        { states, limit: QUEUE_PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) },
        { tenant },
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    enabled: tenant !== null,
  });
}

/**
 * How many requests wait in a tenant (the navigation's indicator): a one-row page, whose
 * `pending` counts all of them. Its poll is also what sweeps expiry when no event comes: the
 * core expires due requests on every read, and each expiry is an approval event that
 * refetches the queue.
 */
export function usePendingCount(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: approvalQueryKeys.pendingCount(tenant),
    queryFn: () => client.call('approvals.page', { states: ['pending'], limit: 1 }, { tenant }),
    enabled: tenant !== null,
    select: (page) => page.pending,
    refetchInterval: 15_000,
  });
}

export function useDecideApproval(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'approvals.decide'>) => client.call('approvals.decide', input, { tenant }),
  });
}

/** One request by id with its exact action, whatever its state: the open request, or a deep link. */
export function useApprovalRequest(tenant: string | null, id: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: approvalQueryKeys.request(tenant, id),
    queryFn: () => client.call('approvals.get', { id: id ?? '' }, { tenant }),
    enabled: tenant !== null && id !== null && /^apr_[0-9a-f-]{36}$/.test(id),
  });
}

/** Break-glass: approve outside the route with a written justification (the `break_glass` role only). */
export function useBreakGlass(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'approvals.breakGlass'>) =>
      client.call('approvals.breakGlass', input, { tenant }),
  });
}

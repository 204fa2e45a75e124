import { useMutation, useQuery } from '@tanstack/react-query';
import type { FindingsFilter, OperationInput, ReviewKind } from '../../core/contract';
import { useClient } from './client';

// AISPM server state. `aispm.changed` (the consumer committed) refreshes every query here.

export function usePosture(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.status', tenant],
    queryFn: () => client.call('aispm.status', {}, { tenant }),
    enabled: tenant !== null,
    placeholderData: (previous) => previous,
    // Time-based findings (stale evidence, overdue reviews) change without new records.
    refetchInterval: 60_000,
  });
}

export function useFindings(tenant: string | null, filter: FindingsFilter) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.findings.list', tenant, filter],
    queryFn: () => client.call('aispm.findings.list', filter, { tenant }),
    enabled: tenant !== null,
    placeholderData: (previous) => previous,
  });
}

export function useFinding(tenant: string | null, id: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.finding.get', tenant, id],
    queryFn: () => client.call('aispm.finding.get', { id: id ?? '' }, { tenant }),
    enabled: tenant !== null && id !== null,
  });
}

export function useFindingEvidence(tenant: string | null, id: string | null, before: number | undefined) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.finding.evidence', tenant, id, before],
    queryFn: () => client.call('aispm.finding.evidence', { id: id ?? '', before, limit: 50 }, { tenant }),
    enabled: tenant !== null && id !== null,
    placeholderData: (previous) => previous,
  });
}

export function useUpdateFinding(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'aispm.finding.update'>) =>
      client.call('aispm.finding.update', input, { tenant }),
  });
}

export function useAcceptRisk(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'aispm.finding.accept_risk'>) =>
      client.call('aispm.finding.accept_risk', input, { tenant }),
  });
}

export function useCoverage(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.coverage', tenant],
    queryFn: () => client.call('aispm.coverage', {}, { tenant }),
    enabled: tenant !== null,
    placeholderData: (previous) => previous,
  });
}

export function useTrend(tenant: string | null, days: number) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.trend', tenant, days],
    queryFn: () => client.call('aispm.trend', { days }, { tenant }),
    enabled: tenant !== null,
    placeholderData: (previous) => previous,
  });
}

export function useReviews(tenant: string | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.reviews.list', tenant],
    queryFn: () => client.call('aispm.reviews.list', {}, { tenant }),
    enabled: tenant !== null,
    refetchInterval: 60_000,
  });
}

/** The packet is made when the review is opened; completing names its digest. Not refreshed behind the reader's back. */
export function useReviewPacket(tenant: string | null, kind: ReviewKind | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.review.packet', tenant, kind],
    queryFn: () => client.call('aispm.review.packet', { kind: kind ?? 'weekly_posture' }, { tenant }),
    enabled: tenant !== null && kind !== null,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useCompleteReview(tenant: string | null) {
  const client = useClient();
  return useMutation({
    mutationFn: (input: OperationInput<'aispm.review.complete'>) =>
      client.call('aispm.review.complete', input, { tenant }),
  });
}

export function useLinkedRecords(tenant: string | null, seqs: number[] | null) {
  const client = useClient();
  return useQuery({
    queryKey: ['aispm.records', tenant, seqs],
    queryFn: () => client.call('aispm.records', { seqs: seqs ?? [] }, { tenant }),
    enabled: tenant !== null && seqs !== null && seqs.length > 0,
  });
}

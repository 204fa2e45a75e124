import type { QueryClient } from '@tanstack/react-query';
import type { EventName, EventPayload } from '../../core/contract';
import { jobQueryKey } from './jobs';

interface EventEffect<K extends EventName> {
  /** Query-key prefixes this event makes stale. */
  invalidate?: readonly (readonly unknown[])[];
  /** Writes the event's payload straight into a cached query, or invalidates what the payload says changed. */
  patch?: (queryClient: QueryClient, payload: EventPayload<K>) => void;
}

/** The approval queue's server state: its pages, the nav badge's count and one request. */
const approvalQueries = [['approvals.page'], ['approvals.get']] as const;

/** The one table from push events to what they do to server state (HOUSE rule 7). */
export const eventEffects: { [K in EventName]: EventEffect<K> } = {
  'tenants.changed': {
    invalidate: [['tenants.list'], ['system.info'], ['tenants.profile.get'], ['tenants.status'], ['tenants.members']],
  },
  'policy.changed': { invalidate: [['policy.packs.list'], ['policy.pack.get'], ['policy.settings.get']] },
  // New records can bring the checkpoint that covers an open record, so its proof refreshes.
  // Approval state changes are ledger records, so appends from another process (a CLI verdict)
  // refresh the queue too — but only appends with an approval event: refetching a queue of
  // 10,000 on every decision the gate records would be most of the console's work.
  'evidence.appended': {
    invalidate: [['evidence.status'], ['evidence.query'], ['evidence.record'], ['license.status'], ['trial.status']],
    patch: (queryClient, payload) => {
      if (payload.approvalRecords === false) return;
      for (const queryKey of approvalQueries) void queryClient.invalidateQueries({ queryKey: [...queryKey] });
    },
  },
  'approvals.changed': { invalidate: approvalQueries },
  // Deliveries, connectors and report policy: the audit, connector health, settings, schedules.
  'deliveries.changed': {
    invalidate: [['deliveries.list'], ['connectors.list'], ['reports.settings.get'], ['reports.schedules.list']],
  },
  // The packet stays as it was opened: a reviewer completes what they read.
  'aispm.changed': {
    invalidate: [
      ['aispm.status'],
      ['aispm.findings.list'],
      ['aispm.finding.get'],
      ['aispm.finding.evidence'],
      ['aispm.coverage'],
      ['aispm.trend'],
      ['aispm.reviews.list'],
    ],
  },
  'jobs.changed': { patch: (queryClient, job) => queryClient.setQueryData(jobQueryKey(job.tenant, job.id), job) },
};

export function applyEventEffect<K extends EventName>(
  queryClient: QueryClient,
  event: K,
  payload: EventPayload<K>,
): void {
  const effect = eventEffects[event];
  for (const queryKey of effect.invalidate ?? []) void queryClient.invalidateQueries({ queryKey: [...queryKey] });
  effect.patch?.(queryClient, payload);
}

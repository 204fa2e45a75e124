import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { applyEventEffect } from './event-effects';

// The queue refetches on approval events only (issue 13): a ledger append without an approval
// record leaves a 10,000-request queue alone; one with an approval record, an approval state
// change, or an append from an older core (no flag) makes it stale. Real TanStack Query client.

function client() {
  const queryClient = new QueryClient();
  queryClient.setQueryData(['approvals.page', 'acme', 'count'], {
    requests: [],
    nextCursor: null,
    total: 0,
    pending: 0,
  });
  queryClient.setQueryData(['approvals.get', 'acme', 'apr_1'], { id: 'apr_1' });
  queryClient.setQueryData(['evidence.query', 'acme'], { records: [] });
  const stale = (key: unknown[]) => queryClient.getQueryState(key)?.isInvalidated ?? false;
  return {
    queryClient,
    approvalsStale: () => stale(['approvals.page', 'acme', 'count']) && stale(['approvals.get', 'acme', 'apr_1']),
    approvalsFresh: () => !stale(['approvals.page', 'acme', 'count']) && !stale(['approvals.get', 'acme', 'apr_1']),
    evidenceStale: () => stale(['evidence.query', 'acme']),
  };
}

describe('evidence.appended → approval queries', () => {
  it('an append with no approval record refreshes evidence, not the queue', () => {
    const c = client();
    applyEventEffect(c.queryClient, 'evidence.appended', { tenantId: 'acme', size: 10, approvalRecords: false });
    expect(c.evidenceStale()).toBe(true);
    expect(c.approvalsFresh()).toBe(true);
  });

  it('an append with an approval record refreshes the queue', () => {
    const c = client();
    applyEventEffect(c.queryClient, 'evidence.appended', { tenantId: 'acme', size: 11, approvalRecords: true });
    expect(c.approvalsStale()).toBe(true);
  });

  it('an older core that does not say refreshes the queue (never a stale queue)', () => {
    const c = client();
    applyEventEffect(c.queryClient, 'evidence.appended', { tenantId: 'acme', size: 12 });
    expect(c.approvalsStale()).toBe(true);
  });

  it('an approval state change refreshes the queue', () => {
    const c = client();
    applyEventEffect(c.queryClient, 'approvals.changed', { tenantId: 'acme', id: 'apr_1', state: 'approved' });
    expect(c.approvalsStale()).toBe(true);
    expect(c.evidenceStale()).toBe(false);
  });
});

import { PENDING_LIMIT, usePendingApprovals } from '../../api/approvals';

/**
 * The in-app indicator beside "Approval queue" in the navigation: how many requests wait in
 * this tenant, whatever screen is open (browser mode has no desktop notification). It shares
 * the queue's query, so the count and the list never disagree; nothing shows for a viewer
 * who may not see approvals or when none wait.
 */
export function PendingCount({ tenant }: { tenant: string | null }) {
  const pending = usePendingApprovals(tenant);
  const count = pending.data?.requests.length ?? 0;
  if (count === 0) return null;
  const text = count >= PENDING_LIMIT ? `${count.toLocaleString()}+` : count.toLocaleString();
  return (
    <>
      <span className="nav-count" aria-hidden="true" data-testid="pending-count">
        {text}
      </span>
      <span className="sr-only">, {text} pending</span>
    </>
  );
}

import { usePendingCount } from '../../api/approvals';

/**
 * The in-app indicator beside "Approval queue" in the navigation: how many requests wait in
 * this tenant, whatever screen is open (browser mode has no desktop notification). The core
 * counts them (`approvals.page` → `pending`), so the badge is exact at 10,000 without loading
 * them; nothing shows for a viewer who may not see approvals or when none wait.
 */
export function PendingCount({ tenant }: { tenant: string | null }) {
  const count = usePendingCount(tenant).data ?? 0;
  if (count === 0) return null;
  const text = count.toLocaleString();
  return (
    <>
      <span className="nav-count" aria-hidden="true" data-testid="pending-count">
        {text}
      </span>
      <span className="sr-only">, {text} pending</span>
    </>
  );
}

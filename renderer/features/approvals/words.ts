import type { ApprovalRequestView } from '../../../core/contract';

// Keyed by string: a state the contract adds later is said as it is named until it has words here.
const outcome: Readonly<Record<string, string>> = {
  pending: 'Still pending',
  approved: 'Approved once',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
  abandoned: 'Abandoned (the agent stopped waiting)',
  consumed: 'Approved and used',
};

/**
 * What the live region says after a decision: the outcome as the core recorded it, how many
 * are left and which request is now active, so a screen-reader user knows where they are.
 */
export function decisionAnnouncement(
  request: ApprovalRequestView,
  pendingLeft: number | null,
  next: ApprovalRequestView | null,
): string {
  const parts = [`${outcome[request.state] ?? request.state}: ${request.target}.`];
  if (pendingLeft !== null) parts.push(pendingLeft === 0 ? 'No requests left.' : `${pendingLeft} pending.`);
  if (next && next.id !== request.id) parts.push(`Next: ${next.target}.`);
  return parts.join(' ');
}

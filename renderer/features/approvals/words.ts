import type { ApprovalSummaryView } from '../../../core/contract';

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
  request: ApprovalSummaryView,
  pendingLeft: number | null,
  next: ApprovalSummaryView | null,
): string {
  const tally = approvalTally(request);
  // N-of-M: a verdict that is not yet the N-th approval leaves the request pending.
  const parts =
    request.state === 'pending' && tally && tally.approvals > 0
      ? [
          `Approval recorded (${tally.approvals} of ${tally.required}); still waiting for another approver: ${request.target}.`,
        ]
      : [`${outcome[request.state] ?? request.state}: ${request.target}.`];
  if (pendingLeft !== null) parts.push(pendingLeft === 0 ? 'No requests left.' : `${pendingLeft} pending.`);
  if (next && next.id !== request.id) parts.push(`Next: ${next.target}.`);
  return parts.join(' ');
}

/** Who the IdP authenticated for the latest verdict, in words, when the verdict is attested. */
export function attestationWords(request: ApprovalSummaryView): string | null {
  const vote = [...(request.votes ?? [])].reverse().find((v) => v.attestation !== null);
  if (!vote?.attestation) return null;
  const who = vote.attestation.name
    ? `${vote.attestation.name} (${vote.attestation.subject})`
    : vote.attestation.subject;
  return `Attested by ${who} at ${new Date(vote.attestation.authTime).toLocaleString()}.`;
}

/** What the live region says when the console comes back from a step-up sign-in with the verdict recorded. */
export function stepUpAnnouncement(
  request: ApprovalSummaryView,
  pendingLeft: number,
  next: ApprovalSummaryView | null,
): string {
  const attested = attestationWords(request);
  const base = decisionAnnouncement(request, pendingLeft, next);
  return attested ? `${base} ${attested}` : base;
}

/** N-of-M: how many distinct approvals the route needs and how many it has so far (null: one is enough). */
export function approvalTally(request: ApprovalSummaryView): { approvals: number; required: number } | null {
  const required = request.requiredApprovals ?? 1;
  if (required <= 1) return null;
  return { approvals: (request.votes ?? []).filter((vote) => vote.verdict === 'approve').length, required };
}

/** How the request's life ended, in words, for the history (states without a person's verdict included). */
export function endingWords(request: ApprovalSummaryView, byName: string | null = null): string {
  const who = byName ?? request.decidedBy;
  const by = who ? ` by ${who}` : '';
  switch (request.state) {
    case 'approved':
    case 'consumed':
      return request.breakGlass ? `Approved outside the route (break-glass)${by}` : `Approved${by}`;
    case 'denied':
      return `Denied${by}`;
    case 'expired':
      return 'Expired: nobody decided in time, so the agent was refused';
    case 'cancelled':
      return `Cancelled${by}; the agent was refused`;
    case 'abandoned':
      return 'Abandoned: the agent stopped waiting, so it can no longer be approved';
    default:
      return `${request.state[0]?.toUpperCase() ?? ''}${request.state.slice(1)}${by}`;
  }
}

/**
 * When the request really ends, and why: the core's `effectiveExpiresAt` (the waiting adapter's
 * end or the route's expiry, whichever is sooner; the route's on an "approve for retry" route).
 * `wait`: the agent stops waiting then and is refused; `route`: the request expires.
 */
export function realEnd(request: ApprovalSummaryView): { at: string; by: 'wait' | 'route' } {
  const at = request.effectiveExpiresAt ?? request.expiresAt;
  // Sooner than the route's expiry: only the adapter's wait can end it first.
  return { at, by: Date.parse(at) < Date.parse(request.expiresAt) ? 'wait' : 'route' };
}

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

/** Who the IdP authenticated for the latest verdict, in words, when the verdict is attested. */
export function attestationWords(request: ApprovalRequestView): string | null {
  const vote = [...(request.votes ?? [])].reverse().find((v) => v.attestation !== null);
  if (!vote?.attestation) return null;
  const who = vote.attestation.name
    ? `${vote.attestation.name} (${vote.attestation.subject})`
    : vote.attestation.subject;
  return `Attested by ${who} at ${new Date(vote.attestation.authTime).toLocaleString()}.`;
}

/** What the live region says when the console comes back from a step-up sign-in with the verdict recorded. */
export function stepUpAnnouncement(
  request: ApprovalRequestView,
  pendingLeft: number,
  next: ApprovalRequestView | null,
): string {
  const attested = attestationWords(request);
  const base = decisionAnnouncement(request, pendingLeft, next);
  return attested ? `${base} ${attested}` : base;
}

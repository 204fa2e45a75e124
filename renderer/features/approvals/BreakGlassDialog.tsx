import { useState } from 'react';
import type { ApprovalSummaryView } from '../../../core/contract';
import { ConfirmDialog } from '../../components/ConfirmDialog';

/** The contract's floor for a justification (approvals.breakGlass), said before the core refuses it. */
const MIN_JUSTIFICATION = 20;
/** How long a break-glass approval may be used (core/approvals BREAK_GLASS_VALID_MS), in words. */
const VALID_FOR = '15 minutes';

/**
 * Break-glass (SPEC §5): approve one request outside its route in an emergency. The dialog says
 * what it costs before anything happens — a critical finding in AISPM naming you, the tenant's
 * escalation contacts told, usable once for a short time — and starts in the justification,
 * which must explain the emergency; Enter cannot confirm before it does. On an attested route
 * (or a request of your own OS user's agent) the core asks for a fresh IdP sign-in first.
 */
export function BreakGlassDialog({
  request,
  pending,
  stepUp,
  error,
  onConfirm,
  onCancel,
}: {
  request: ApprovalSummaryView;
  pending: boolean;
  /** The approval waits for a fresh sign-in in the system browser (desktop app). */
  stepUp: boolean;
  error: string | null;
  onConfirm: (justification: string) => void;
  onCancel: () => void;
}) {
  const [justification, setJustification] = useState('');
  const short = justification.trim().length < MIN_JUSTIFICATION;
  return (
    <ConfirmDialog
      title="Break glass: approve outside the route?"
      confirmLabel="Break glass and approve once"
      tone="danger"
      disabled={pending || short}
      missing={short ? `a justification of at least ${MIN_JUSTIFICATION} characters` : null}
      focusOnField
      onConfirm={() => onConfirm(justification.trim())}
      onCancel={onCancel}
    >
      <p>
        <code className="dialog-target">{request.target}</code>
        <br />
        <span className="muted small">
          route {request.route} ({request.approverGroups?.join(', ') || 'its reviewers'}) is bypassed; requested by{' '}
          {request.agent?.id ?? 'an agent'}
          {request.requester ? ` on behalf of ${request.requester}` : ''}
        </span>
      </p>
      <ul className="small" data-testid="break-glass-consequences">
        <li>
          Raises the <strong>critical finding</strong> <code>approval.break_glass</code> in AISPM posture, naming you
          and your justification, for a post-incident review.
        </li>
        <li>Notifies the tenant’s escalation contacts (or records the notice as not delivered when none are set).</li>
        <li>Allows this exact action once, within {VALID_FOR}; it is recorded in the evidence ledger first.</li>
      </ul>
      <label className="field">
        <span>Justification (required: what is the emergency?)</span>
        <textarea
          rows={3}
          maxLength={2000}
          value={justification}
          aria-required
          aria-describedby="break-glass-count"
          onChange={(event) => setJustification(event.target.value)}
        />
        <span id="break-glass-count" className="muted small">
          {justification.trim().length} of at least {MIN_JUSTIFICATION} characters
        </span>
      </label>
      {request.attest === 'idp' && (
        <p className="small" data-testid="break-glass-attest-note">
          This route is attested: after you confirm, sign in again at your identity provider. Nothing is recorded until
          that sign-in proves it is you, for this exact action.
        </p>
      )}
      {stepUp && (
        <p role="status" data-testid="step-up-waiting">
          Sign in again to confirm: finish the sign-in in your browser. Nothing is recorded until it succeeds.
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </ConfirmDialog>
  );
}

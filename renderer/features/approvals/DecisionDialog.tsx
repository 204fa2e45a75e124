import { useState } from 'react';
import type { ApprovalSummaryView } from '../../../core/contract';
import { ConfirmDialog } from '../../components/ConfirmDialog';

/**
 * Approve or deny one request. A deny always needs a reason, an approval where the route says
 * so: then focus starts in the reason field. Otherwise it starts on Cancel, so a stray Enter
 * never approves.
 */
export function DecisionDialog({
  request,
  verdict,
  pending,
  stepUp = false,
  error,
  onConfirm,
  onCancel,
}: {
  request: ApprovalSummaryView;
  verdict: 'approve' | 'deny';
  pending: boolean;
  /** The verdict waits for a fresh sign-in in the system browser (desktop app). */
  stepUp?: boolean;
  error: string | null;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState('');
  const needsReason = verdict === 'deny' || request.requireReason;
  const missingReason = needsReason && reason.trim() === '';
  return (
    <ConfirmDialog
      title={verdict === 'approve' ? 'Approve this action once?' : 'Deny this action?'}
      confirmLabel={verdict === 'approve' ? 'Approve once' : 'Deny'}
      tone={verdict === 'approve' ? 'primary' : 'danger'}
      disabled={pending || missingReason}
      missing={missingReason ? 'a reason' : null}
      focusOnField={needsReason}
      onConfirm={() => onConfirm(reason.trim())}
      onCancel={onCancel}
    >
      <p>
        <code className="dialog-target">{request.target}</code>
        <br />
        <span className="muted small">
          requested by {request.agent?.id ?? 'an agent'} through {request.adapter}
          {request.requester ? ` on behalf of ${request.requester}` : ''}; rule {request.ruleId ?? request.route}
        </span>
      </p>
      <p className="small">
        {verdict === 'approve'
          ? 'The agent may then run this exact action once; anything different, or the same action again, needs a new approval.'
          : 'The agent is refused; your reason is recorded in the ledger with your name.'}
      </p>
      <label className="field">
        <span>Reason{needsReason ? ' (required)' : ' (optional)'}</span>
        <textarea
          rows={3}
          maxLength={2000}
          value={reason}
          aria-required={needsReason}
          onChange={(event) => setReason(event.target.value)}
        />
      </label>
      {request.attest === 'idp' && (
        <p className="small" data-testid="attest-note">
          This route is attested: after you confirm, sign in again at your identity provider. The verdict is recorded
          only when that sign-in proves it is you, for this exact action.
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

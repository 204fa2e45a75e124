import { useState } from 'react';
import type { ApprovalRequestView } from '../../../core/contract';
import { ConfirmDialog } from '../../components/ConfirmDialog';

/** Approve or deny one request; a reason is required for deny and where the route says so. */
export function DecisionDialog({
  request,
  verdict,
  pending,
  error,
  onConfirm,
  onCancel,
}: {
  request: ApprovalRequestView;
  verdict: 'approve' | 'deny';
  pending: boolean;
  error: string | null;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState('');
  const needsReason = verdict === 'deny' || request.requireReason;
  return (
    <ConfirmDialog
      title={verdict === 'approve' ? 'Approve this action once?' : 'Deny this action?'}
      confirmLabel={verdict === 'approve' ? 'Approve once' : 'Deny'}
      tone={verdict === 'approve' ? 'primary' : 'danger'}
      disabled={pending || (needsReason && reason.trim() === '')}
      missing={needsReason && reason.trim() === '' ? 'a reason' : null}
      onConfirm={() => onConfirm(reason.trim())}
      onCancel={onCancel}
    >
      <p>
        <code>{request.target}</code>
        <br />
        <span className="muted small">
          requested by {request.agent?.id ?? 'an agent'} through {request.adapter}; rule{' '}
          {request.ruleId ?? request.route}
        </span>
      </p>
      <label className="field">
        <span>Reason{needsReason ? ' (required)' : ' (optional)'}</span>
        <textarea rows={3} value={reason} onChange={(event) => setReason(event.target.value)} />
      </label>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </ConfirmDialog>
  );
}

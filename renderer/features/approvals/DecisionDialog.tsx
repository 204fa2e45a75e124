import { useEffect, useRef, useState } from 'react';
import type { ApprovalRequestView } from '../../../core/contract';

/**
 * Confirms an approve or deny. Focus starts on Cancel (HOUSE rule 8: risky confirmations
 * default to Cancel); Escape cancels; a reason is required for deny and where the route says so.
 */
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
  const cancel = useRef<HTMLButtonElement>(null);
  const needsReason = verdict === 'deny' || request.requireReason;
  useEffect(() => cancel.current?.focus(), []);

  return (
    <div className="backdrop">
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="decision-title"
        aria-describedby="decision-target"
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
          event.stopPropagation();
        }}
      >
        <h2 id="decision-title">{verdict === 'approve' ? 'Approve this action once?' : 'Deny this action?'}</h2>
        <p id="decision-target">
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
        <div className="actions">
          <button ref={cancel} type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className={verdict === 'approve' ? 'primary' : 'danger'}
            disabled={pending || (needsReason && reason.trim() === '')}
            onClick={() => onConfirm(reason.trim())}
          >
            {verdict === 'approve' ? 'Approve once' : 'Deny'}
          </button>
        </div>
      </div>
    </div>
  );
}

import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

/**
 * The one confirmation for risky steps (HOUSE rule 8): modal, focus starts on Cancel, Escape
 * cancels. `children` carries what the step needs to say or ask (a reason, a consequence).
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  tone,
  disabled,
  missing,
  onConfirm,
  onCancel,
  children,
}: {
  title: string;
  confirmLabel: string;
  tone: 'primary' | 'danger';
  disabled?: boolean;
  /** What the confirm button still waits for ("a reason"), said beside it. */
  missing?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div className="backdrop">
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
          event.stopPropagation();
        }}
      >
        <h2 id="confirm-title">{title}</h2>
        {children}
        <div className="actions">
          <button ref={cancel} type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className={tone}
            disabled={disabled}
            onClick={onConfirm}
            aria-describedby={missing ? 'confirm-missing' : undefined}
          >
            {confirmLabel}
          </button>
          {missing && (
            <span className="muted small" id="confirm-missing">
              Still needed: {missing}
            </span>
          )}
        </div>
      </div>
    </div>
  );
}

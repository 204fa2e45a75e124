import { useEffect, useRef } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';

/**
 * The one confirmation for risky steps (HOUSE rule 8): modal, focus starts on Cancel (or on a
 * field the step cannot go on without, `focusOnField`), Tab stays inside, Escape cancels.
 * `children` carries what the step needs to say or ask (a reason, a consequence).
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  tone,
  disabled,
  missing,
  onConfirm,
  onCancel,
  focusOnField,
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
  /**
   * Start in the first field of `children` (a required reason) instead of on Cancel; the
   * confirm button stays disabled until the field is filled, so Enter cannot confirm early.
   */
  focusOnField?: boolean;
  children: ReactNode;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const field = focusOnField ? dialog.current?.querySelector<HTMLElement>('textarea, input, select') : null;
    (field ?? cancel.current)?.focus();
    // Only the first render decides where focus starts.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <div className="backdrop">
      <div
        ref={dialog}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
          if (event.key === 'Tab') keepFocusInside(event, dialog.current);
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

/** A modal keeps Tab and Shift+Tab among its own controls. */
function keepFocusInside(event: KeyboardEvent, dialog: HTMLElement | null): void {
  if (!dialog) return;
  const focusable = [
    ...dialog.querySelectorAll<HTMLElement>('button:not([disabled]), textarea, input, select, [tabindex="0"]'),
  ];
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

import type { ReactNode } from 'react';

/** What a field and the submit row read from a form (any `useContractForm` result). */
interface FormView {
  idOf(field: string): string;
  isRequired(field: string): boolean;
  errors: Partial<Record<string, string>>;
  labels: Record<string, string>;
  missing: string[];
  formError: string | null;
}

/**
 * A labelled control with its hint and its error right beneath it; the control is described
 * by both, so a screen reader reads the error when the field takes focus.
 */
export function Field({
  form: f,
  name,
  hint,
  children,
  className,
}: {
  form: FormView;
  name: string;
  hint?: ReactNode;
  /** The control; spread `describedBy` into its aria-describedby. */
  children: (describedBy: string | undefined) => ReactNode;
  className?: string;
}) {
  const id = f.idOf(name);
  const error = f.errors[name];
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${className ? ` ${className}` : ''}`} data-field={name}>
      <label htmlFor={id}>
        {f.labels[name]}
        {f.isRequired(name) ? null : <span className="muted optional"> (optional)</span>}
      </label>
      {children(describedBy)}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} data-testid={`${name}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * The submit button and, beside it, what is still missing ("Still needed: Tenant ID,
 * Display name"), which the button also reads out as its description.
 */
export function SubmitRow({
  form: f,
  label,
  pendingLabel,
  pending,
  tone = 'primary',
  children,
}: {
  form: FormView;
  label: string;
  pendingLabel?: string;
  pending?: boolean;
  tone?: 'primary' | 'danger' | 'secondary';
  children?: ReactNode;
}) {
  const noteId = `${f.idOf('submit')}-missing`;
  const missing = f.missing;
  return (
    <div className="actions submit-row">
      <button
        type="submit"
        className={tone}
        disabled={pending}
        aria-describedby={missing.length > 0 ? noteId : undefined}
      >
        {pending ? (pendingLabel ?? label) : label}
      </button>
      {children}
      {missing.length > 0 && (
        <span className="muted small" id={noteId} data-testid="submit-missing">
          Still needed: {missing.join(', ')}
        </span>
      )}
      {f.formError && (
        <p className="field-error form-error" role="alert">
          {f.formError}
        </p>
      )}
    </div>
  );
}

import type { FieldIssue } from './issues';

/** Error codes every transport returns in its `{code, message}` envelope. */
export const errorCodes = [
  'invalid_input',
  'unauthenticated',
  'forbidden',
  /**
   * The verdict needs a fresh sign-in at the tenant's IdP first (an attested route, or a
   * reviewer running as the agent's OS user): decide again with a `redirectUri` and finish the
   * sign-in. Nothing was recorded.
   */
  'step_up_required',
  'not_found',
  'conflict',
  'untrusted_sender',
  /** An Enterprise workflow the tenant's license does not (or no longer) enable. */
  'license_required',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  /** Dotted path of the offending input field, when one is to blame. */
  field?: string;
  /** Every field at fault, when the input had several problems (forms show them all at once). */
  issues?: FieldIssue[];
}

/** Thrown by core services and by clients; carries exactly what crosses a transport. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly issues: readonly FieldIssue[];

  constructor(code: ErrorCode, message: string, field?: string, issues: readonly FieldIssue[] = []) {
    super(message);
    this.name = 'ContractError';
    this.code = code;
    this.field = field;
    this.issues = issues;
  }

  toEnvelope(): ErrorEnvelope {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.issues.length === 0 ? {} : { issues: this.issues.map((issue) => ({ ...issue })) }),
    };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}

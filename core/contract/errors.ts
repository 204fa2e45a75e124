/** Error codes every transport returns in its `{code, message}` envelope. */
export const errorCodes = [
  'invalid_input',
  'unauthenticated',
  'forbidden',
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
}

/** Thrown by core services and by clients; carries exactly what crosses a transport. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ContractError';
    this.code = code;
    this.field = field;
  }

  toEnvelope(): ErrorEnvelope {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}

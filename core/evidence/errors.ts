/** Errors the evidence ledger raises; callers tell them apart to choose deny, retry or report. */

export class LedgerAppendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerAppendError';
  }
}

export class LedgerInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerInputError';
  }
}

export class LedgerSigningError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerSigningError';
  }
}

export class LedgerCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerCorruptError';
  }
}

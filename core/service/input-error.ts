import type { z } from 'zod';
import { ContractError, fieldIssues } from '../contract';

/**
 * Every zod issue, one per field, in words (`issueInWords`); the message names the first
 * as `field: message` and the envelope carries them all, so a form can mark each field at
 * once. Parse with `reportInput: true` so a missing field can be told from a wrong one; the
 * input itself never enters a message.
 */
export function inputError(error: z.ZodError, fallbackField = 'input'): ContractError {
  const issues = fieldIssues(error, fallbackField);
  const first = issues[0] ?? { field: fallbackField, message: 'is not valid' };
  return new ContractError('invalid_input', `${first.field}: ${first.message}`, first.field, issues);
}

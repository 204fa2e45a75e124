import type { z } from 'zod';
import { ContractError } from '../contract';

/**
 * Turns the first zod issue into `field: message`, naming the field in the envelope too.
 * Parse with `reportInput: true` so a missing field can be told from a wrong one; the input
 * itself never enters the message.
 */
export function inputError(error: z.ZodError, fallbackField = 'input'): ContractError {
  const issue = error.issues[0];
  if (!issue) return new ContractError('invalid_input', `${fallbackField}: invalid`, fallbackField);
  let field = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    field = [...issue.path.map(String), issue.keys[0] ?? ''].filter(Boolean).join('.');
    message = 'is not a known field';
  } else if (issue.code === 'invalid_type' && 'input' in issue && issue.input === undefined) {
    message = 'is required';
  }
  if (field === '') field = fallbackField;
  return new ContractError('invalid_input', `${field}: ${message}`, field);
}

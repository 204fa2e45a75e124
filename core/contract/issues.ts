import type { z } from 'zod';

/** One problem with one input field, as a person reads it: `field` is dotted, `message` a predicate. */
export interface FieldIssue {
  field: string;
  /** Reads after the field's name: "is required", "must be at most 63 characters". */
  message: string;
}

const plural = (count: number | bigint, one: string) => `${count} ${one}${Number(count) === 1 ? '' : 's'}`;

const sizeUnits: Record<string, string> = { string: 'character', array: 'item', set: 'item', file: 'byte' };

/**
 * Zod's own wording ("Too small: expected string to have >=1 characters") in words that
 * read after a field's name. Passed as the per-parse error map, so a schema's own message
 * still wins. Never quotes the input: it may be a secret.
 */
export const issueInWords = (issue: z.core.$ZodRawIssue): string => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`;
    case 'too_small': {
      const unit = sizeUnits[issue.origin];
      if (unit && Number(issue.minimum) === 1 && issue.inclusive !== false) {
        return unit === 'character' ? 'is required' : `needs at least one ${unit}`;
      }
      if (unit) return `must have at least ${plural(issue.minimum, unit)}`;
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}`;
    }
    case 'too_big': {
      const unit = sizeUnits[issue.origin];
      if (unit) return `must be at most ${plural(issue.maximum, unit)}`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'is not in the expected form' : `must be a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return 'is not valid';
  }
};

function article(expected: string): string {
  if (expected === 'int') return 'a whole number';
  if (expected === 'object' || expected === 'record') return 'an object';
  if (expected === 'array') return 'a list';
  if (expected === 'boolean') return 'true or false';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** A missing field, whatever the schema's message for a wrong type says (parse with `reportInput`). */
const missing = (issue: z.core.$ZodIssue) =>
  issue.code === 'invalid_type' && 'input' in issue && issue.input === undefined;

/**
 * Every issue of a failed parse, one per field (the first issue of each field), in the
 * order the schema reported them. Unknown keys name themselves as the field.
 */
export function fieldIssues(error: z.ZodError, fallbackField = 'input'): FieldIssue[] {
  const seen = new Map<string, FieldIssue>();
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    const entries: FieldIssue[] =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: [...base, key].join('.'), message: 'is not a known field' }))
        : [{ field: base.join('.') || fallbackField, message: missing(issue) ? 'is required' : issue.message }];
    for (const entry of entries) if (!seen.has(entry.field)) seen.set(entry.field, entry);
  }
  return [...seen.values()];
}

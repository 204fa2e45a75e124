// A server that never reads its own disk for a caller (issue 12): every contract operation whose
// input names a file-system path is, over HTTPS, either refused (`machineLocal`: it reads or runs
// what is on the machine it is asked on) or judged from the action's text alone (the server's core
// is created with `actionsFromOtherMachines`; the attack is in auth.test.ts). A new operation
// taking a path fails here until it is one or the other.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { operations } from '../contract';

/** Input keys that name a file or directory. */
const PATH_KEY = /^(cwd|path|paths|dir|directory|directories|projects|root|file|files|workspace)$/i;

/** Operations that take an agent's action, judged on the server from its text alone. */
const JUDGED_FROM_TEXT = new Set(['policy.simulate', 'policy.evaluate']);

/**
 * Known and left open, each with why: the server's delivery worker appends signed checkpoints to
 * a `.jsonl` witness file a tenant admin names (core/connectors refuses symlinks and other file
 * types); on a shared server it should be confined to a directory per tenant.
 */
const KNOWN_OPEN = new Set(['connectors.save .settings.path']);

function pathFields(op: string, input: z.ZodType): string[] {
  const found: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (!node || typeof node !== 'object') return;
    const schema = node as Record<string, unknown>;
    if (schema.properties && typeof schema.properties === 'object') {
      for (const [key, value] of Object.entries(schema.properties)) {
        if (PATH_KEY.test(key)) found.push(`${op} ${at}.${key}`);
        walk(value, `${at}.${key}`);
      }
    }
    for (const key of ['items', 'anyOf', 'oneOf', 'allOf', 'additionalProperties', 'prefixItems']) {
      const inner = schema[key];
      if (Array.isArray(inner)) for (const item of inner) walk(item, at);
      else walk(inner, at);
    }
  };
  walk(z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }), '');
  return found;
}

describe('operations that name a path on the caller’s machine', () => {
  const all = Object.entries(operations).flatMap(([op, spec]) =>
    pathFields(op, (spec as { input: z.ZodType }).input).map((field) => ({
      op,
      field,
      machineLocal: (spec as { machineLocal?: true }).machineLocal === true,
    })),
  );

  it('finds the ones it must (the walk reaches nested and optional fields)', () => {
    expect(all.map((entry) => entry.field)).toEqual(
      expect.arrayContaining([
        'policy.evaluate .action.cwd',
        'policy.simulate .action.path',
        'containment.profile .cwd',
        'system.health .projects',
        'evidence.bundle.verify .path',
      ]),
    );
  });

  it('are each refused over HTTPS or judged from the text alone on the server', () => {
    const open = all.filter(
      (entry) => !entry.machineLocal && !JUDGED_FROM_TEXT.has(entry.op) && !KNOWN_OPEN.has(entry.field),
    );
    expect(open.map((entry) => entry.field)).toEqual([]);
    // Each operation judged from text takes exactly an action (its paths are the caller's text).
    for (const op of JUDGED_FROM_TEXT) {
      expect(all.filter((entry) => entry.op === op).every((entry) => entry.field.startsWith(`${op} .action.`))).toBe(
        true,
      );
    }
  });
});

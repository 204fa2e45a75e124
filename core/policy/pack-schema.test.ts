import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packDocumentSchema, packJsonSchema } from './pack-schema';

const packsDir = path.resolve(__dirname, '../../policy-packs');
const committed = JSON.parse(fs.readFileSync(path.join(packsDir, 'schema/pack.schema.json'), 'utf8')) as object;
const builtins = fs
  .readdirSync(packsDir)
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => ({ name, document: parse(fs.readFileSync(path.join(packsDir, name), 'utf8')) as unknown }));

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(committed);

describe('the published pack schema', () => {
  it('is the JSON Schema generated from the zod schema (regenerate: cavra policy schema --out policy-packs/schema/pack.schema.json)', () => {
    expect(committed).toEqual(packJsonSchema());
  });

  it.each(builtins)('accepts the built-in pack $name, as zod does', ({ document }) => {
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(packDocumentSchema.safeParse(document).success).toBe(true);
  });

  const base = {
    id: 'p',
    version: '1.0.0',
    description: 'd',
    rules: [{ id: 'r', commands: ['ls'], decision: 'allow', reason: 'x' }],
  };
  const rule = base.rules[0] as Record<string, unknown>;
  const cases: [string, unknown][] = [
    ['a missing id', { ...base, id: undefined }],
    ['an unknown top-level key', { ...base, rulez: [] }],
    ['an unknown rule key', { ...base, rules: [{ ...rule, decison: 'deny' }] }],
    ['an unknown decision', { ...base, rules: [{ ...rule, decision: 'block' }] }],
    ['a bad version', { ...base, version: '1.0' }],
    ['a bad id', { ...base, id: 'Has Spaces' }],
    ['an empty rule list', { ...base, rules: [] }],
    ['a bad action type', { ...base, rules: [{ ...rule, action: 'run_command' }] }],
    ['a bad duration', { ...base, approval_routes: { x: { approvers: ['a'], expires_after: 'soon' } } }],
    [
      'a bad test expectation',
      { ...base, tests: [{ name: 't', action: { type: 'read_file', path: 'x' }, expect: 'block' }] },
    ],
    ['a valid pack', base],
    [
      'a valid pack with every kind of rule',
      {
        ...base,
        mode: 'shadow',
        protected_branches: ['main'],
        rules: [
          rule,
          {
            id: 'p',
            paths: ['**/.env'],
            except_paths: ['x'],
            access: 'read',
            outside_workspace: false,
            via: ['cat'],
            decision: 'deny',
            reason: 'x',
          },
          {
            id: 'g',
            git: { subcommand: ['push'], force: true, protected: true, config: ['core.hooksPath'] },
            decision: 'deny',
            reason: 'x',
          },
          { id: 'm', mcp: { servers: ['a'], tools: ['b*'], trusted: false }, decision: 'deny', reason: 'x' },
        ],
      },
    ],
  ];
  it.each(cases)('agrees with zod on %s', (_name, document) => {
    const clean = JSON.parse(JSON.stringify(document)) as unknown;
    expect(validate(clean)).toBe(packDocumentSchema.safeParse(clean).success);
  });
});

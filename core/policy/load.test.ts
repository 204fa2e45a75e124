import { describe, expect, it } from 'vitest';
import { formatPackError, loadPack, PackLoadError } from './load';

const HOME = '/home/dev';

function errorsOf(text: string): string[] {
  try {
    loadPack(text, 'pack.yaml', HOME);
  } catch (error) {
    if (error instanceof PackLoadError) return error.errors.map(formatPackError);
    throw error;
  }
  throw new Error('the pack loaded');
}

const head = 'id: p\nversion: 1.0.0\ndescription: d\n';

describe('loadPack', () => {
  it('takes `contained` only on command and git configuration rules that do not deny, and less strict', () => {
    const rule = (body: string) => `${head}rules:\n  - { id: r, ${body}, reason: x }\n`;
    expect(
      loadPack(rule('commands: [node], decision: require_approval, contained: warn'), 'pack.yaml', HOME).compiled
        .rules[0]?.contained,
    ).toBe('warn');
    expect(
      loadPack(rule('git: { config: [core.editor] }, decision: require_approval, contained: warn'), 'pack.yaml', HOME)
        .compiled.rules[0]?.contained,
    ).toBe('warn');
    expect(errorsOf(rule('commands: [node], decision: deny, contained: warn')).join()).toMatch(/contained/);
    expect(errorsOf(rule('commands: [node], decision: warn, contained: warn')).join()).toMatch(/less strict/);
    expect(errorsOf(rule("paths: ['**/.env'], decision: require_approval, contained: allow")).join()).toMatch(
      /contained/,
    );
    expect(
      errorsOf(rule('git: { subcommand: [push], force: true }, decision: require_approval, contained: warn')).join(),
    ).toMatch(/contained/);
  });

  it('loads a valid pack and fingerprints its exact text', () => {
    const text = `${head}rules:\n  - { id: r, commands: [ls], decision: allow, reason: x }\n`;
    const loaded = loadPack(text, 'pack.yaml', HOME);
    expect(loaded.document.rules[0]?.severity).toBe('medium');
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.compiled.rules).toHaveLength(1);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(errorsOf(`${head}rules:\n  - id: r\n   decision: [allow\n`)[0]).toMatch(/^pack\.yaml:6:1: Sequence item/);
  });

  // Issue 8 item 10: `version: 1.0` (a YAML number) was reported as "is required".
  it('names a value of the wrong type as such, and only a missing one as required', () => {
    expect(
      errorsOf(
        'id: p\nversion: 1.0\ndescription: d\nrules:\n  - { id: r, commands: [ls], decision: allow, reason: x }\n',
      ),
    ).toEqual(['pack.yaml:2:10: version: expected a string, not a number']);
    const text = `${head}rules:\n  - { id: r, commands: ls, decision: allow, reason: [x] }\n`;
    expect(errorsOf(text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/rules\[0\]\.reason: expected a string, not a list/)]),
    );
    expect(errorsOf('id: p\ndescription: d\nrules: []\n')).toEqual(
      expect.arrayContaining([expect.stringMatching(/version: is required/)]),
    );
  });

  it('points at an unknown key itself', () => {
    const text = `${head}rules:\n  - id: r\n    commands: [ls]\n    decison: deny\n    decision: allow\n    reason: x\n`;
    expect(errorsOf(text)).toEqual(['pack.yaml:7:5: rules[0].decison: is not a known field']);
  });

  it('points at a wrong value and names the field', () => {
    const text = `${head}rules:\n  - id: r\n    commands: [ls]\n    decision: block\n    reason: x\n`;
    const [error] = errorsOf(text);
    expect(error).toMatch(/^pack\.yaml:7:15: rules\[0\]\.decision: /);
    expect(error).toContain('deny');
  });

  it('points at the rule when a required field is missing', () => {
    const text = `${head}rules:\n  - id: r\n    commands: [ls]\n    decision: allow\n`;
    expect(errorsOf(text)).toEqual(['pack.yaml:5:5: rules[0].reason: is required']);
  });

  it('rejects duplicate keys, duplicate rule ids and dangling routes', () => {
    expect(errorsOf(`${head}id: q\nrules: []\n`)[0]).toMatch(/^pack\.yaml:4:1: .*[Uu]nique/);
    const text = `${head}rules:
  - { id: r, commands: [ls], decision: allow, reason: x }
  - { id: r, commands: [ls], decision: require_approval, approval_route: nobody, reason: x }
`;
    expect(errorsOf(text)).toEqual([
      'pack.yaml:6:11: rules[1].id: "r" is already the id of rules[0]',
      'pack.yaml:6:74: rules[1].approval_route: "nobody" names no route in approval_routes',
    ]);
  });

  it('rejects rules that mix subjects, bad globs and contradictions, at the field', () => {
    const text = `${head}rules:
  - { id: a, commands: [ls], paths: [x], decision: deny, reason: x }
  - { id: b, paths: ["[abc"], decision: deny, reason: x }
  - { id: c, action: read_file, access: write, paths: [x], decision: deny, reason: x }
  - { id: d, decision: deny, reason: x }
`;
    expect(errorsOf(text)).toEqual([
      'pack.yaml:5:37: rules[0].paths: mixes command conditions (commands) with path conditions (paths); split it into two rules',
      'pack.yaml:6:21: rules[1].paths: "[abc": has a "[" without "]"',
      'pack.yaml:7:41: rules[2].access: access write contradicts action read_file',
      'pack.yaml:8:5: rules[3]: has no condition: give commands, paths, git, mcp or at least an action',
    ]);
  });

  it('checks test actions and the rules they name', () => {
    const text = `${head}rules:
  - { id: r, commands: [ls], decision: allow, reason: x }
tests:
  - { name: t, action: { type: read_file }, expect: allow }
  - { name: u, action: { type: execute_command, command: ls }, expect: allow, rule: nope }
`;
    expect(errorsOf(text)).toEqual([
      'pack.yaml:7:24: tests[0].action.path: is required for read_file',
      'pack.yaml:8:85: tests[1].rule: "nope" is not a rule of this pack',
    ]);
  });

  it('refuses alias bombs', () => {
    const bomb = `${head}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nrules: [*c]\n`;
    expect(errorsOf(bomb).length).toBeGreaterThan(0);
  });
});

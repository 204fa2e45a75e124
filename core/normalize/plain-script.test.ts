import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../contract';
import { benchCorpus } from '../../scripts/bench/corpus';
import { loadCorpus } from '../../test/judgement/corpus';
import { createJudgementWorkspace, type JudgementWorkspace } from '../../test/judgement/workspace';
import { normalizeAction, type NormalizeOptions } from './normalize';
import { plainScript } from './plain-script';
import { readPlainScriptsWithoutParser } from './shell';

/*
 * Plain scripts skip the bash parser (plain-script.ts). That is only safe if the shortcut reads
 * every text exactly as the parsed tree is read: the whole normalization — commands, paths,
 * effects, problems, git facts — must be the same both ways, on every corpus this repository
 * has (judgement, sandbox, benchmark, the packs' own tests) and on generated plain-looking
 * texts full of near misses (quotes, operators, reserved words, assignments, globs).
 */

let workspace: JudgementWorkspace;
beforeAll(() => {
  workspace = createJudgementWorkspace();
});
afterAll(() => {
  readPlainScriptsWithoutParser(true);
  workspace?.cleanup();
});

function bothWays(action: Action, options: NormalizeOptions): [string, string] {
  const once = (): [string, string] => {
    readPlainScriptsWithoutParser(false);
    const parsed = JSON.stringify(normalizeAction(action, options));
    readPlainScriptsWithoutParser(true);
    return [JSON.stringify(normalizeAction(action, options)), parsed];
  };
  const first = once();
  // A walk cut short on its first run reads differently once cached: compare again, caches warm.
  return first[0] === first[1] ? first : once();
}

function packTestCommands(): string[] {
  const dir = path.join(import.meta.dirname, '..', '..', 'policy-packs');
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'command' && typeof inner === 'string') out.push(inner);
        else visit(inner);
      }
  };
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.yaml')))
    visit(parse(fs.readFileSync(path.join(dir, file), 'utf8')));
  return out;
}

function corpusCommands(): string[] {
  const judgement = path.join(import.meta.dirname, '..', '..', 'test', 'judgement');
  const rows = [...loadCorpus(), ...loadCorpus(path.join(judgement, 'contained'))];
  const commands = rows.flatMap((row) => row.actions.map((action) => action.command ?? '')).filter(Boolean);
  const bench = benchCorpus('/x').flatMap((action) => (action.command ? [action.command] : []));
  return [...new Set([...commands, ...bench, ...packTestCommands()])];
}

describe('plain scripts read without the parser', () => {
  it.each([
    ['with the file system', false],
    ['lexically', true],
  ])('normalize every corpus command exactly as the parser reading does, %s', (_, lexical) => {
    const commands = corpusCommands();
    const options: NormalizeOptions = { home: workspace.home, ...(lexical ? { fs: null } : {}) };
    let plain = 0;
    const differ: string[] = [];
    for (const command of commands) {
      if (plainScript(command) !== null) plain++;
      // Other texts reach the shortcut only through a script inside them (`bash -c '…'`, a here-document).
      else if (!/['"]|<</.test(command)) continue;
      const [fast, parsed] = bothWays({ type: 'execute_command', command, cwd: workspace.workspace }, options);
      if (fast !== parsed) differ.push(command);
    }
    expect(differ).toEqual([]);
    // The shortcut must actually be taken for a good share, or this test proves nothing.
    expect(commands.length).toBeGreaterThan(1000);
    expect(plain / commands.length).toBeGreaterThan(0.3);
  });

  it('normalize generated plain-looking texts exactly as the parser reading does', () => {
    const plainPieces = [
      'git',
      'push',
      'origin',
      'main',
      'cat',
      '.env',
      'src/a.ts',
      'npm',
      'test',
      'rm',
      '-rf',
      'dist',
    ];
    const pieces = [
      ...plainPieces,
      ...plainPieces,
      ...plainPieces,
      'git',
      'push',
      'origin',
      'main',
      'cat',
      '.env',
      'src/a.ts',
      'npm',
      'test',
      'rm',
      '-rf',
      'dist',
      'if',
      'then',
      'fi',
      'do',
      'done',
      'for',
      'in',
      'time',
      'export',
      'declare',
      'let',
      'local',
      '!',
      'A=1',
      'X=~/.ssh',
      '--env=dev',
      '-f=.env',
      '@.env',
      'a,b',
      '{a,b}',
      '*.pem',
      '~/.aws/credentials',
      '"quoted word"',
      "'single quoted'",
      '"$HOME"',
      '"a\\"b"',
      "'it''s'",
      '""',
      "''",
      'a"b"c',
      '"*.ts"',
      '#',
      '#comment',
      'a#b',
      '\\',
      'x\\ y',
      '$X',
      '$(pwd)',
      '`id`',
      '<',
      '>',
      '2>&1',
      '&',
      '|&',
      '(',
      ')',
      '{',
      '}',
      '[[',
      ']]',
      'é',
      '%s',
      '^x',
      'a:b',
      'user@host:path',
      'bash',
      '-c',
      'python3',
      '-e',
      'node',
    ];
    const joins = [
      ' ',
      ' ',
      ' ',
      ' ',
      ' ',
      ' ',
      ';',
      '; ',
      ' && ',
      '&&',
      ' || ',
      ' | ',
      '|',
      '\n',
      ' \n',
      '\t',
      ';;',
      ' & ',
    ];
    const script = fc
      .array(fc.tuple(fc.constantFrom(...pieces), fc.constantFrom(...joins)), { minLength: 1, maxLength: 8 })
      .chain((parts) =>
        fc.constantFrom('', ' ', '\n', ';').map((lead) => lead + parts.map(([word, join]) => word + join).join('')),
      );
    let plain = 0;
    fc.assert(
      fc.property(script, (command) => {
        if (plainScript(command) !== null) plain++;
        const action: Action = { type: 'execute_command', command, cwd: workspace.workspace };
        const [fast, parsed] = bothWays(action, { home: workspace.home });
        expect(fast, command).toBe(parsed);
      }),
      { numRuns: 1500, seed: 0x9a1 },
    );
    expect(plain).toBeGreaterThan(100);
  });

  it('leaves to the parser what is not plainly words and operators', () => {
    for (const text of [
      'cat $HOME/.env',
      'cat *.pem',
      'cat {a,b}',
      'echo "$(id)"',
      'echo `id`',
      'cat < .env',
      'npm test > out.txt',
      'X=1 npm test',
      'if true; then ls; fi',
      'sleep 1 &',
      'ls |& cat',
      'a &&',
      'a ;; b',
      'echo \\x',
      "echo 'unterminated",
      'echo a # comment',
      'echo é',
      '',
    ])
      expect(plainScript(text), text).toBeNull();
    expect(plainScript('git status --short && npm test | tee log.txt; echo "done now"')).toEqual([
      [{ fields: [plainField('git'), plainField('status'), plainField('--short')], text: 'git status --short' }],
      [
        { fields: [plainField('npm'), plainField('test')], text: 'npm test' },
        { fields: [plainField('tee'), plainField('log.txt')], text: 'tee log.txt' },
      ],
      [{ fields: [plainField('echo'), plainField('done now')], text: 'echo "done now"' }],
    ]);
  });
});

function plainField(text: string) {
  return { text, dynamic: false, glob: false, processSubstitution: false };
}

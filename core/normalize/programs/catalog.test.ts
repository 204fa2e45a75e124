import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_RUNNER_GRAMMAR } from '../wrapper-grammars';
import { hasProgramSpec } from './catalog';
import { programOptions } from './options';

/*
 * One spec per program (issue 9, acceptance 5): every program a built-in pack names — in
 * `commands`, `alongside`, `input_from` or `wrappers` — is known to the normalizer, so a rule
 * never relies on a program the normalizer reads only by its name.
 */
const packsDir = path.resolve(import.meta.dirname, '../../../policy-packs');

function namedPrograms(): Map<string, string> {
  const named = new Map<string, string>();
  for (const file of fs.readdirSync(packsDir).filter((name) => name.endsWith('.yaml'))) {
    const pack = parse(fs.readFileSync(path.join(packsDir, file), 'utf8')) as {
      rules: { id: string; commands?: string[]; alongside?: string[]; input_from?: string[]; wrappers?: string[] }[];
    };
    for (const rule of pack.rules) {
      const words = [
        ...(rule.commands ?? []).map((pattern) => pattern.trim().split(/\s+/)[0] as string),
        ...(rule.alongside ?? []),
        ...(rule.input_from ?? []),
        ...(rule.wrappers ?? []),
      ];
      // Program globs (`python*`, `mkfs*`, `*`) name families, not one program.
      for (const word of words) if (!/[*?[{]/.test(word)) named.set(word.toLowerCase(), `${file} ${rule.id}`);
    }
  }
  return named;
}

describe('program specs', () => {
  it('cover every program a built-in pack names', () => {
    const named = namedPrograms();
    expect(named.size).toBeGreaterThan(150);
    const missing = [...named]
      .filter(([program]) => !hasProgramSpec(program))
      .map(([program, where]) => `${program} (${where})`);
    expect(missing).toEqual([]);
  });

  it('do not invent specs for programs nobody described', () => {
    expect(hasProgramSpec('frobnicate')).toBe(false);
    expect(hasProgramSpec('git')).toBe(true);
    expect(hasProgramSpec('python3.12')).toBe(true);
  });
});

describe('package runners', () => {
  it('are read by the matcher with the same grammar the normalizer peels them with', () => {
    for (const runner of ['npx', 'bunx', 'pnpx', 'uvx']) {
      const options = programOptions(runner);
      expect(options, runner).toBeDefined();
      for (const value of [...PACKAGE_RUNNER_GRAMMAR.values, ...PACKAGE_RUNNER_GRAMMAR.scriptOptions])
        expect(options?.values.has(value), `${runner} ${value}`).toBe(true);
      for (const flag of PACKAGE_RUNNER_GRAMMAR.flags) expect(options?.flags.has(flag), `${runner} ${flag}`).toBe(true);
    }
  });
});

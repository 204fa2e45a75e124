import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hasProgramSpec, programTables } from './catalog';
import { programOptions } from './options';
import { programSpec } from './registry';

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

  it('are each declared in one table only', () => {
    const declaredIn = new Map<string, string[]>();
    for (const [table, programs] of programTables())
      for (const program of programs) declaredIn.set(program, [...(declaredIn.get(program) ?? []), table]);
    const twice = [...declaredIn]
      .filter(([, tables]) => tables.length > 1)
      .map(([program, tables]) => `${program}: ${tables.join(' + ')}`);
    expect(twice).toEqual([]);
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
      const wraps = programSpec(runner)?.wraps;
      const options = programOptions(runner);
      expect(wraps, runner).toBeDefined();
      for (const value of [...(wraps?.grammar.values ?? []), ...(wraps?.scriptOptions ?? [])])
        expect(options?.values.has(value), `${runner} ${value}`).toBe(true);
      for (const flag of wraps?.grammar.flags ?? []) expect(options?.flags.has(flag), `${runner} ${flag}`).toBe(true);
    }
  });
});

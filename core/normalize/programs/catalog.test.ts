import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { normalize } from '../fixtures';
import { SHELL_PROGRAMS } from '../shells';
import { hasProgramSpec, programTables } from './catalog';
import { resolveProgram } from './names';
import { programKey, programOptions } from './options';
import { programSpec, specPrograms, takesShellCode } from './registry';

/*
 * One spec per program (issue 9, acceptance 5): every program a built-in pack names — in
 * `commands`, `command_line`, `alongside`, `input_from`, `wrappers` or `via` — is known to the
 * normalizer, so a rule never relies on a program the normalizer reads only by its name.
 */
const packsDir = path.resolve(import.meta.dirname, '../../../policy-packs');

function namedPrograms(): Map<string, string> {
  const named = new Map<string, string>();
  for (const file of fs.readdirSync(packsDir).filter((name) => name.endsWith('.yaml'))) {
    const pack = parse(fs.readFileSync(path.join(packsDir, file), 'utf8')) as {
      rules: {
        id: string;
        commands?: string[];
        command_line?: string[];
        alongside?: string[];
        input_from?: string[];
        wrappers?: string[];
        via?: string[];
      }[];
    };
    for (const rule of pack.rules) {
      const words = [
        ...[...(rule.commands ?? []), ...(rule.command_line ?? [])].map(
          (pattern) => pattern.trim().split(/\s+/)[0] as string,
        ),
        ...(rule.alongside ?? []),
        ...(rule.input_from ?? []),
        ...(rule.wrappers ?? []),
        // `via` names a program, or an MCP tool as `server/tool`.
        ...(rule.via ?? []).filter((name) => !name.includes('/')),
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

/*
 * What several programs share (they fetch from the network, unpack archives, write no code,
 * take code as a shell does) is a field of each program's spec: the readers ask the spec, so a
 * program given the field behaves like the others at once.
 */
describe('program properties', () => {
  const specsWith = (field: 'fetches' | 'extracts' | 'writesNoCode') =>
    specPrograms().filter((program) => programSpec(program)?.[field] === true);

  it('every fetcher piped into every extractor marks what it unpacks as downloaded', () => {
    const fetchers = specsWith('fetches');
    const extractors = specsWith('extracts');
    expect(fetchers).toEqual(expect.arrayContaining(['curl', 'wget', 'gh', 'ftp', 'nc']));
    expect(extractors).toEqual(expect.arrayContaining(['tar', 'unzip', 'cpio']));
    for (const fetcher of fetchers)
      for (const extractor of extractors) {
        const normalized = normalize({ type: 'execute_command', command: `${fetcher} x | ${extractor} -d out` });
        expect(normalized.fetched, `${fetcher} | ${extractor}`).toBeDefined();
      }
    // A program that fetches nothing feeds no download.
    expect(normalize({ type: 'execute_command', command: 'cat x.tar | tar -x' }).fetched).toBeUndefined();
  });

  it('a file only a no-code writer touched is run as it was; any other writer makes the run unjudgeable', () => {
    const writers = specsWith('writesNoCode');
    expect(writers).toEqual(expect.arrayContaining(['chmod', 'rm', 'touch']));
    const before: Record<string, string> = {
      chmod: '+x',
      chown: 'me',
      chgrp: 'staff',
      chattr: '+i',
      setfacl: '-m u:me:r',
    };
    for (const writer of writers) {
      const normalized = normalize({
        type: 'execute_command',
        command: `${writer} ${before[writer] ?? ''} x.sh; ./x.sh`,
      });
      expect(
        normalized.paths.some((p) => p.access === 'write' && p.relative === 'x.sh' && p.via === writer),
        writer,
      ).toBe(true);
      expect(normalized.problems, writer).toEqual([]);
    }
    for (const writer of ['tee', 'cp a', 'sed -i s/a/b/'])
      expect(normalize({ type: 'execute_command', command: `${writer} x.sh; ./x.sh` }).problems).not.toEqual([]);
  });

  it('shells, source and the multi-call binaries take code as a shell does', () => {
    for (const program of [...SHELL_PROGRAMS, 'source', '.', 'busybox', 'toybox'])
      expect(takesShellCode(program), program).toBe(true);
    for (const program of ['cat', 'node', 'python3', 'sudo', 'frobnicate'])
      expect(takesShellCode(program), program).toBe(false);
  });
});

/*
 * A versioned or path-qualified name is its program (one resolver, names.ts, read by the
 * normalizer and the matcher): `node22`, `python3.12`, `bash5` get their program's spec, and an
 * unknown version of an interpreter is never an unknown program.
 */
describe('versioned and path-qualified program names', () => {
  const programOf = (command: string) => normalize({ type: 'execute_command', command }).commands[0]?.program;

  it('resolve to their program in the normalizer and the matcher', () => {
    const spellings: [string, string][] = [
      ['node22', 'node'],
      ['/usr/bin/node-20', 'node'],
      ['nodejs22', 'nodejs'],
      ['python3.12', 'python3'],
      ['/usr/local/bin/python3', 'python3'],
      ['/usr/local/bin/python3.12', 'python3'],
      ['pypy3.10', 'pypy3'],
      ['pip3.11', 'pip3'],
      ['bash5', 'bash'],
      ['/usr/local/bin/bash5.2', 'bash'],
      ['zsh5.9', 'zsh'],
      ['perl5.36', 'perl'],
      ['ruby3.2', 'ruby'],
      ['php8.2', 'php'],
      ['lua5.4', 'lua'],
      ['gcc-12', 'gcc'],
      ['gawk', 'gawk'],
      ['mawk', 'mawk'],
    ];
    for (const [written, program] of spellings) {
      expect(programOf(`${written} x`), written).toBe(program);
      expect(programKey(written.slice(written.lastIndexOf('/') + 1)), written).toBe(program);
    }
    expect(programKey('Node22.exe')).toBe('node');
  });

  it('multi-call binaries run their applet as that program', () => {
    for (const [command, program] of [
      ['busybox sh -c x', 'sh'],
      ['busybox awk {print} f', 'awk'],
      ['toybox wget https://x.example/y', 'wget'],
    ] as const) {
      const normalized = normalize({ type: 'execute_command', command });
      expect(
        normalized.commands.map((c) => c.program),
        command,
      ).toContain(program);
    }
  });

  it('the interpreter read from a versioned name is the one the policy reads (code from stdin, inline code, scripts)', () => {
    const stdin = normalize({
      type: 'execute_command',
      command: "python3.12 - <<EOF\nprint(open('.env').read())\nEOF",
    });
    expect(stdin.paths.some((p) => p.relative === '.env')).toBe(true);
    const inline = normalize({ type: 'execute_command', command: `node22 -e "require('fs').readFileSync('.env')"` });
    expect(inline.paths.some((p) => p.relative === '.env')).toBe(true);
    // `node22 …/cavra.cjs` is the cavra command line, as `node …/cavra.cjs` is.
    const guard = normalize({
      type: 'execute_command',
      command: 'node22 /opt/cavra/bin/cavra.cjs approvals approve x',
    });
    expect(guard.commands.map((c) => c.program)).toContain('cavra');
  });

  it('leave every name a table declares as it is, and unknown names unknown', () => {
    for (const [table, programs] of programTables())
      for (const program of programs) expect(resolveProgram(program), `${program} (${table})`).toBe(program);
    for (const name of ['frobnicate22', 'x86_64', '7z', 'b2sum', 'sha256sum', 'base64', 'python3'])
      expect(resolveProgram(name), name).toBe(name);
    expect(hasProgramSpec('frobnicate22')).toBe(false);
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

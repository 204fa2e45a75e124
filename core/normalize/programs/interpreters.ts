import { nodePackageScripts } from './package-managers';
import { versionedProgram } from './version';

/**
 * One spec per interpreter family (issue 9, acceptance 5): where its code comes from (an
 * inline option, a script file operand, `-m module`), which of its options take a value, and
 * which are plain flags. The normalizer (script files run, code not read as a file, argument
 * taint), the policy's `code_from` condition and the command matcher's option tables all read
 * it from here; nothing else declares an interpreter's options.
 */
export interface InterpreterSpec {
  /** Options whose value is code (`-c`, `-e`, `--eval`); `deno eval CODE` is a subcommand. */
  readonly inline: readonly string[];
  /** Options that take the next word as a value that is not code (`-r`, `--import`, `-W`). */
  readonly values: readonly string[];
  /** Options that take no value. */
  readonly flags: readonly string[];
  /**
   * A script file given as the first operand is tracked as run (download-then-run, the
   * workspace's own scripts); interpreters without it (`gdb`, `mongosh`) take other files there.
   */
  readonly runsScript: boolean;
  /** `python -m module`: the option naming a module whose code runs. */
  readonly module?: string;
  /** A subcommand whose operand is code (`deno eval CODE`). */
  readonly inlineSubcommand?: string;
  /** Files it runs from its directory without naming them (`bun install` runs lifecycle scripts). */
  readonly implicitlyRuns?: (words: readonly string[]) => readonly string[];
  /** Options naming the directory those files are in (`bun --cwd dir install`). */
  readonly directoryOptions?: readonly string[];
  /** A JavaScript runtime: a JavaScript command-line program it runs is that program (`node bin/cavra.cjs`). */
  readonly javascript?: boolean;
}

const spec = (
  inline: readonly string[],
  values: readonly string[],
  flags: readonly string[] = [],
  extra: Partial<InterpreterSpec> = {},
): InterpreterSpec => ({ inline, values, flags, runsScript: true, ...extra });

const NODE_INLINE = ['-e', '--eval', '-p', '--print'];
const NODE = spec(
  NODE_INLINE,
  [
    '-r',
    '--require',
    '--import',
    '--loader',
    '--experimental-loader',
    '-C',
    '--conditions',
    '--env-file',
    '--input-type',
    '--title',
  ],
  [
    '--inspect',
    '--inspect-brk',
    '--enable-source-maps',
    '--no-warnings',
    '--trace-warnings',
    '--experimental-vm-modules',
  ],
  { javascript: true },
);
const PYTHON = spec(
  ['-c'],
  ['-W', '-X', '-Q'],
  ['-u', '-B', '-O', '-OO', '-E', '-s', '-S', '-I', '-q', '-b', '-bb', '-d', '-P', '-R', '-x'],
  { module: '-m' },
);
const SHELL_LIKE_NONE = spec([], [], [], { runsScript: false });

/**
 * By family name, and the spellings with a major version people type as the program's own
 * name (`python3`, `pypy3`); any other version is taken off first (python3.12 → python3,
 * lua5.4 → lua, node22 → node).
 */
const INTERPRETERS: Readonly<Record<string, InterpreterSpec>> = {
  python: PYTHON,
  python2: PYTHON,
  python3: PYTHON,
  pypy: PYTHON,
  pypy3: PYTHON,
  node: NODE,
  nodejs: NODE,
  bun: spec(
    NODE_INLINE,
    ['--cwd', '-r', '--preload', '--config', '-c', '--env-file'],
    ['--bun', '--silent', '--watch', '--hot', '--smol'],
    { implicitlyRuns: nodePackageScripts, directoryOptions: ['--cwd'], javascript: true },
  ),
  deno: spec(
    [],
    ['--config', '-c', '--import-map', '--allow-read', '--allow-write', '--allow-net', '--allow-env', '--allow-run'],
    [],
    { inlineSubcommand: 'eval', javascript: true },
  ),
  tsx: spec(NODE_INLINE, ['--tsconfig', '--import', '--require', '-r'], [], { javascript: true }),
  'ts-node': spec(NODE_INLINE, ['-P', '--project', '-r', '--require', '-C', '--compiler'], [], { javascript: true }),
  perl: spec(['-e', '-E'], ['-I', '-M', '-m']),
  ruby: spec(['-e'], ['-I', '-r', '-C']),
  php: spec(['-r'], ['-c', '-d', '-z']),
  lua: spec(['-e'], ['-l']),
  luajit: spec(['-e'], ['-l']),
  rscript: spec(['-e', '--expr'], []),
  r: spec(['-e'], [], [], { runsScript: false }),
  osascript: spec(['-e'], []),
  pwsh: spec(['-c', '-command', '-encodedcommand', '-ec', '-e'], ['-file', '-f']),
  powershell: spec(['-c', '-command', '-encodedcommand', '-ec', '-e'], ['-file', '-f']),
  groovy: spec(['-e'], []),
  julia: spec(['-e', '--eval'], []),
  gdb: spec(['-ex', '--eval-command', '-iex', '--init-eval-command'], [], [], { runsScript: false }),
  expect: spec(['-c'], []),
  mongosh: spec(['--eval'], [], [], { runsScript: false }),
  mongo: spec(['--eval'], [], [], { runsScript: false }),
  tclsh: SHELL_LIKE_NONE,
  wish: SHELL_LIKE_NONE,
  jshell: SHELL_LIKE_NONE,
  irb: SHELL_LIKE_NONE,
};

/** The family a program belongs to: `python3.12` → `python3`, `lua5.4` → `lua`, `Rscript` → `rscript`. */
export function interpreterFamily(program: string): string {
  const lower = program.toLowerCase().replace(/\.exe$/, '');
  if (Object.hasOwn(INTERPRETERS, lower)) return lower;
  return versionedProgram(lower, (name) => Object.hasOwn(INTERPRETERS, name)) ?? lower;
}

export function interpreterSpec(program: string): InterpreterSpec | undefined {
  const family = interpreterFamily(program);
  return Object.hasOwn(INTERPRETERS, family) ? INTERPRETERS[family] : undefined;
}

/** Interpreters whose first operand is a script file they run (for every spelling with a version suffix). */
export function runsScriptFile(program: string): boolean {
  return interpreterSpec(program)?.runsScript === true;
}

/** Families and their specs, for tables derived from them (the command matcher's options). */
/**
 * Whether the program, by its exact name (`node`, not `node22`), is a JavaScript runtime. The
 * versioned names are left as they were read before this was a property of the spec.
 */
export function isJavaScriptRuntime(program: string): boolean {
  return Object.hasOwn(INTERPRETERS, program) && INTERPRETERS[program]?.javascript === true;
}

export function interpreterFamilies(): readonly [string, InterpreterSpec][] {
  return Object.entries(INTERPRETERS);
}

/**
 * Whether `word` gives inline code to `spec`'s interpreter, and where the code is: `-c CODE`
 * (next word), `--eval=CODE`, `-cCODE`, or the option letter at the end of a cluster (`-pe CODE`,
 * `-Ic CODE`).
 */
export function inlineOption(spec: InterpreterSpec, word: string): { attached: string | null } | null {
  const lower = word.toLowerCase();
  for (const option of spec.inline) {
    if (lower === option) return { attached: null };
    if (lower.startsWith(`${option}=`)) return { attached: word.slice(option.length + 1) };
    if (option.length === 2 && /^-[a-zA-Z]/.test(word) && !word.startsWith('--')) {
      const cluster = /^-[a-zA-Z]*/.exec(word)?.[0] ?? '';
      const at = cluster.indexOf(option[1] as string, 1);
      if (at === -1) continue;
      // Letters after the option letter are its attached code (`-cprint(1)`), or nothing.
      const rest = word.slice(at + 1);
      return { attached: rest === '' ? null : rest };
    }
  }
  return null;
}

/** Where an interpreter's code comes from on its command line. */
export type CodeSource =
  | { kind: 'inline'; index: number; code: string | null }
  | { kind: 'module'; index: number }
  | { kind: 'script'; index: number }
  /** `python3 -`: the program is read from standard input. */
  | { kind: 'stdin' }
  | { kind: 'none' };

/**
 * Reads an interpreter's arguments up to where its code comes from. `index` is the argument
 * holding the code, module or script (for inline code attached to its option, the option's own).
 */
export function codeSource(spec: InterpreterSpec, args: readonly string[]): CodeSource {
  const values = new Set(spec.values);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (i === 0 && spec.inlineSubcommand !== undefined && a === spec.inlineSubcommand) {
      return { kind: 'inline', index: 1, code: args[1] ?? null };
    }
    if (a === '--') return i + 1 < args.length ? { kind: 'script', index: i + 1 } : { kind: 'none' };
    if (a === '-') return { kind: 'stdin' };
    const inline = inlineOption(spec, a);
    if (inline !== null) {
      return inline.attached !== null
        ? { kind: 'inline', index: i, code: inline.attached }
        : { kind: 'inline', index: i + 1, code: args[i + 1] ?? null };
    }
    if (spec.module !== undefined && a === spec.module) return { kind: 'module', index: i + 1 };
    if (a.startsWith('-')) {
      if (values.has(a)) i++;
      continue;
    }
    return { kind: 'script', index: i };
  }
  return { kind: 'none' };
}

import { PYTHON_OPTIONS, SHELL_PROGRAMS, type SimpleCommand } from '../normalize';

/**
 * Where an interpreter takes its code from: the `code_from` condition. An interpreter's
 * program name says nothing about what it runs (SPEC §3), so the baseline gates code that
 * arrives inline, from stdin (`curl … | sh`) or from a substitution (`bash <(curl …)`).
 */
const CODE_INLINE = 1;
const CODE_STDIN = 2;
const CODE_SUBSTITUTION = 4;
const CODE_FILE = 8;

export const codeSourceBits = {
  inline: CODE_INLINE,
  stdin: CODE_STDIN,
  substitution: CODE_SUBSTITUTION,
  file: CODE_FILE,
} as const;

/** Inline-code options per interpreter (version suffixes removed: python3.12 → python). */
const inlineOptions: Record<string, readonly string[]> = {
  python: ['-c'],
  pypy: ['-c'],
  node: ['-e', '--eval', '-p', '--print'],
  nodejs: ['-e', '--eval', '-p', '--print'],
  bun: ['-e', '--eval', '-p', '--print'],
  deno: ['eval'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  php: ['-r'],
  lua: ['-e'],
  luajit: ['-e'],
  rscript: ['-e', '--expr'],
  r: ['-e'],
  osascript: ['-e'],
  pwsh: ['-c', '-command', '-encodedcommand', '-ec', '-e'],
  powershell: ['-c', '-command', '-encodedcommand', '-ec', '-e'],
  tclsh: [],
  jshell: [],
  irb: [],
  groovy: ['-e'],
  julia: ['-e', '--eval'],
  tsx: ['-e', '--eval', '-p', '--print'],
  'ts-node': ['-e', '--eval', '-p', '--print'],
  gdb: ['-ex', '--eval-command', '-iex', '--init-eval-command'],
  expect: ['-c'],
  mongosh: ['--eval'],
  mongo: ['--eval'],
  wish: [],
};

// `busybox sh …` and `source FILE` take their code the way a shell does.
const shells = new Set([...SHELL_PROGRAMS, 'busybox', 'source', '.']);
const shellValueOptions = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);
// Python's value options other than the code-bearing -c and -m, from its one option table.
const pythonValueOptions = new Set([...PYTHON_OPTIONS.values].filter((option) => option !== '-c' && option !== '-m'));

const SUBSTITUTION = /^(?:<\(|\$\(|`)|^\/dev\/fd\/|^\/proc\/self\/fd\/|^\/dev\/stdin$/;

function interpreterBase(key: string): string {
  if (shells.has(key)) return key;
  return key.replace(/[\d.]+$/, '').replace(/-?\d+$/, '');
}

function hasDynamicText(code: string): boolean {
  return code.includes('$(') || code.includes('`') || code.includes('$');
}

/** Bits of CODE_* for one simple command; 0 when it is not an interpreter. */
export function codeSources(command: SimpleCommand, key: string): number {
  const base = interpreterBase(key);
  const isShell = shells.has(base);
  const inline = inlineOptions[base];
  if (!isShell && inline === undefined) return 0;
  const args = command.args;
  let bits = 0;
  let operand: string | null = null;
  let readsStdin = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      operand = args[i + 1] ?? null;
      break;
    }
    if (a === '-') {
      readsStdin = true;
      break;
    }
    const lower = a.toLowerCase();
    if (isShell) {
      if (a === '-c' || (/^-[a-zA-Z]+$/.test(a) && a.includes('c'))) {
        // The -c string was parsed by the normalizer; it is judged by its own commands
        // unless its text is only known at run time.
        const code = args[i + 1] ?? '';
        if (command.dynamic && hasDynamicText(code)) bits |= CODE_SUBSTITUTION;
        return bits;
      }
      if (a === '-s' || (/^-[a-zA-Z]+$/.test(a) && a.includes('s'))) readsStdin = true;
      if (shellValueOptions.has(a)) i++;
      if (a.startsWith('-') || a.startsWith('+')) continue;
    } else {
      const flag = (inline as readonly string[]).find(
        (option) =>
          lower === option ||
          lower.startsWith(`${option}=`) ||
          // `-c'code'` and `-Ic'code'`: the option letter in the leading cluster, code attached.
          (option.length === 2 &&
            /^-[a-zA-Z]/.test(a) &&
            (/^-[a-zA-Z]*/.exec(a)?.[0] ?? '').includes(option[1] as string, 1)),
      );
      if (flag !== undefined) {
        bits |= CODE_INLINE;
        const code = lower.startsWith(`${flag}=`) ? a.slice(flag.length + 1) : (args[i + 1] ?? '');
        if (command.dynamic && hasDynamicText(code)) bits |= CODE_SUBSTITUTION;
        return bits;
      }
      if (base === 'python' && a === '-m') return bits;
      if (base === 'python' && pythonValueOptions.has(a)) i++;
      if (a.startsWith('-')) continue;
    }
    operand = a;
    break;
  }
  if (operand !== null && SUBSTITUTION.test(operand)) {
    return bits | (operand === '/dev/stdin' ? CODE_STDIN : CODE_SUBSTITUTION);
  }
  if (operand !== null && command.dynamic && operand.startsWith('$')) return bits | CODE_SUBSTITUTION;
  // Code from standard input needs something feeding it (`… | python3`, `<<EOF`, `python3 -`):
  // `node --version` or `node --test` alone reads no code from the terminal here.
  const fed =
    command.stdin === 'pipe' || command.stdin === 'text' || (command.stdin === undefined && (command.inputFrom?.length ?? 0) > 0);
  // A shell, or an interpreter given no argument at all, reads its program from stdin.
  if (readsStdin || (operand === null && (fed || isShell || args.length === 0))) bits |= CODE_STDIN;
  else if (operand !== null) bits |= CODE_FILE;
  return bits;
}

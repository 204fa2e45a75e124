import { codeSource, interpreterSpec, takesShellCode, type SimpleCommand } from '../normalize';

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

const shellValueOptions = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);

const SUBSTITUTION = /^(?:<\(|\$\(|`)|^\/dev\/fd\/|^\/proc\/self\/fd\/|^\/dev\/stdin$/;

function hasDynamicText(code: string): boolean {
  return code.includes('$(') || code.includes('`') || code.includes('$');
}

/** Bits of CODE_* for one simple command; 0 when it is not an interpreter. */
export function codeSources(command: SimpleCommand, key: string): number {
  // Shells, and `source FILE`, take their code the way a shell does (their program specs say so).
  const isShell = takesShellCode(key);
  // Where an interpreter's code comes from is its spec's business (core/normalize/programs/interpreters.ts).
  const spec = isShell ? undefined : interpreterSpec(key);
  if (!isShell && spec === undefined) return 0;
  const args = command.args;
  let bits = 0;
  let operand: string | null = null;
  let readsStdin = false;
  if (spec !== undefined) {
    const source = codeSource(spec, args);
    if (source.kind === 'inline') {
      bits |= CODE_INLINE;
      if (command.dynamic && hasDynamicText(source.code ?? '')) bits |= CODE_SUBSTITUTION;
      return bits;
    }
    if (source.kind === 'module') return bits;
    if (source.kind === 'stdin') readsStdin = true;
    if (source.kind === 'script') operand = args[source.index] ?? null;
  } else {
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
      operand = a;
      break;
    }
  }
  if (operand !== null && SUBSTITUTION.test(operand)) {
    return bits | (operand === '/dev/stdin' ? CODE_STDIN : CODE_SUBSTITUTION);
  }
  if (operand !== null && command.dynamic && operand.startsWith('$')) return bits | CODE_SUBSTITUTION;
  // Code from standard input needs something feeding it (`… | python3`, `<<EOF`, `python3 -`):
  // `node --version` or `node --test` alone reads no code from the terminal here.
  const fed =
    command.stdin === 'pipe' ||
    command.stdin === 'text' ||
    (command.stdin === undefined && (command.inputFrom?.length ?? 0) > 0);
  // A shell, or an interpreter given no argument at all, reads its program from stdin.
  if (readsStdin || (operand === null && (fed || isShell || args.length === 0))) bits |= CODE_STDIN;
  else if (operand !== null) bits |= CODE_FILE;
  return bits;
}

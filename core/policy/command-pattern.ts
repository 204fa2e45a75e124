import { compileWordGlob, compileWordGlobs, GlobError, isLiteralGlob } from './glob';
import type { WordMatcher } from './glob';
import { isOptionWord, optionKind, programKey, programOptions } from '../normalize';
import type { ProgramOptions } from '../normalize';

/**
 * `commands` patterns: `program word… [option…] [$]`.
 *
 * - The program is a glob matched case-insensitively against the normalized program name.
 * - Words are globs that must match the first positional arguments, in order. Options
 *   before and between them are skipped: known value options skip their value too
 *   (`kubectl --context prod delete`), `=`-attached values are part of the option
 *   (`terraform -chdir=infra apply`), `--` ends the options.
 * - An option the matcher does not know is ambiguous: it may or may not take the next word.
 *   Restrictive rules (require_approval, deny) match when either reading matches; allow and
 *   warn rules do not match past an unknown option, so doubt never loosens a decision.
 * - Option tokens in a pattern are required anywhere: `-rf` needs r and f (in any cluster),
 *   `--force` needs `--force` or `--force=…`, `--context=*prod*` needs that option with a
 *   matching value, attached or as the next word; `--force*` is a glob over arguments.
 * - A final `$` means no further positional argument may follow the words.
 */

export const PROGRAM_PREFIX_LENGTH = 3;

export type ArgsPredicate = (args: readonly string[]) => boolean;

export interface CommandPattern {
  source: string;
  /** Lowercase program when literal, for the index; null for a program glob. */
  programKey: string | null;
  /** For a program glob, up to 3 literal leading characters (`python*` → `pyt`), for the index. */
  programPrefix: string | null;
  program: WordMatcher;
  words: WordMatcher[];
  end: boolean;
  required: ArgsPredicate[];
}

const LETTER_CLUSTER = /^-[A-Za-z0-9]{2,}$/;

/** An argument matcher for an option token, or for a plain glob (any argument matching it). */
function compileArgAlternative(token: string): ArgsPredicate {
  if (isOptionToken(token)) {
    const eq = token.indexOf('=');
    if (eq > 1) {
      const name = token.slice(0, eq);
      const value = compileWordGlob(token.slice(eq + 1), true);
      const short = /^-[A-Za-z0-9]$/.test(name);
      return (args) => {
        for (let i = 0; i < args.length; i++) {
          const a = args[i] as string;
          if (a === name) {
            const next = args[i + 1];
            if (next !== undefined && value(next)) return true;
          } else if (a.startsWith(name)) {
            if (a.charCodeAt(name.length) === 61 /* = */ && value(a.slice(name.length + 1))) return true;
            if (short && a.length > 2 && value(a.slice(2))) return true;
          }
        }
        return false;
      };
    }
    if (/^-[A-Za-z0-9]+$/.test(token)) {
      const letters = [...token.slice(1)];
      return (args) =>
        letters.every((letter) =>
          args.some((a) => a === `-${letter}` || (LETTER_CLUSTER.test(a) && a.includes(letter, 1))),
        );
    }
    const prefix = `${token}=`;
    return (args) => args.some((a) => a === token || a.startsWith(prefix));
  }
  const glob = compileWordGlob(token, true);
  return (args) => args.some(glob);
}

function isOptionToken(token: string): boolean {
  return token.length > 1 && token.startsWith('-') && token !== '--' && !/[*?[]/.test(token.split('=')[0] ?? '');
}

/** Any argument matching any of the alternatives; plain globs share one regular expression. */
export function compileArgAlternatives(tokens: readonly string[]): ArgsPredicate {
  const options = tokens.filter(isOptionToken).map(compileArgAlternative);
  const plain = tokens.filter((token) => !isOptionToken(token));
  const words = plain.length > 0 ? compileWordGlobs(plain, true) : null;
  return (args) => (words !== null && args.some(words)) || options.some((option) => option(args));
}

/** `[[a, b], [c]]`: every group needs an argument matching one of its alternatives. */
export function compileArgGroups(groups: readonly (readonly string[])[]): ArgsPredicate {
  const compiled = groups.map(compileArgAlternatives);
  return (args) => compiled.every((group) => group(args));
}

export function compileCommandPattern(source: string): CommandPattern {
  const tokens = source.trim().split(/\s+/);
  const programToken = tokens[0] ?? '';
  if (programToken === '' || programToken.startsWith('-')) {
    throw new GlobError(source, 'must start with a program name');
  }
  const words: WordMatcher[] = [];
  const required: ArgsPredicate[] = [];
  let end = false;
  tokens.slice(1).forEach((token, index, rest) => {
    if (token === '$') {
      if (index !== rest.length - 1) throw new GlobError(source, '"$" may only end a pattern');
      end = true;
    } else if (token.startsWith('-') && token.length > 1) {
      required.push(compileArgAlternative(token));
    } else {
      words.push(compileWordGlob(token, true));
    }
  });
  const literal = isLiteralGlob(programToken);
  return {
    source,
    programKey: literal ? programKey(programToken) : null,
    programPrefix: literal
      ? null
      : (/^[^*?[{\\]+/.exec(programToken.toLowerCase())?.[0].slice(0, PROGRAM_PREFIX_LENGTH) ?? null),
    program: compileWordGlob(programToken, true),
    words,
    end,
    required,
  };
}

/** State of one positional match; module-level helpers instead of closures keep the hot path allocation-free. */
interface PositionalMatch {
  words: WordMatcher[];
  end: boolean;
  args: readonly string[];
  options: ProgramOptions | undefined;
  strict: boolean;
  seen: Set<number> | null;
}

function onlyOptionsFrom(m: PositionalMatch, start: number): boolean {
  const n = m.args.length;
  for (let i = start; i < n; i++) {
    const a = m.args[i] as string;
    if (a === '--') return i === n - 1;
    if (!isOptionWord(a, m.options)) return false;
    const kind = optionKind(a, m.options);
    if (kind === 'unknown' && m.strict) return false;
    if (kind !== 'flag') i++;
  }
  return true;
}

/**
 * Whether the positional words lead the arguments from `start`, `matched` words in. Strict
 * matching (allow/warn rules) refuses to guess past an unknown option; otherwise both
 * readings of it are tried, each (position, word) pair at most once.
 */
function positionalsFrom(m: PositionalMatch, start: number, matched: number): boolean {
  const { words, args } = m;
  const n = args.length;
  let i = start;
  let w = matched;
  for (;;) {
    if (w === words.length) return !m.end || onlyOptionsFrom(m, i);
    if (i >= n) return false;
    const a = args[i] as string;
    if (a === '--') {
      for (let k = i + 1; w < words.length; k++, w++) {
        const next = args[k];
        if (next === undefined || !(words[w] as WordMatcher)(next)) return false;
        i = k;
      }
      return !m.end || i + 1 === n;
    }
    if (isOptionWord(a, m.options)) {
      const kind = optionKind(a, m.options);
      if (kind === 'flag') {
        i++;
        continue;
      }
      if (kind === 'value') {
        i += 2;
        continue;
      }
      if (m.strict) return false;
      m.seen ??= new Set();
      const key = i * 256 + w;
      if (m.seen.has(key)) return false;
      m.seen.add(key);
      if (positionalsFrom(m, i + 1, w)) return true;
      i += 2;
      continue;
    }
    if (!(words[w] as WordMatcher)(a)) return false;
    i++;
    w++;
  }
}

export function matchCommandPattern(
  pattern: CommandPattern,
  key: string,
  args: readonly string[],
  strict: boolean,
): boolean {
  if (pattern.programKey === null ? !pattern.program(key) : pattern.programKey !== key) return false;
  for (const requirement of pattern.required) if (!requirement(args)) return false;
  if (pattern.words.length === 0 && !pattern.end) return true;
  const match: PositionalMatch = {
    words: pattern.words,
    end: pattern.end,
    args,
    options: programOptions(key),
    strict,
    seen: null,
  };
  return positionalsFrom(match, 0, 0);
}

import { posix } from 'node:path';
import {
  type CallExpr,
  type DblQuoted,
  type Lit,
  type ParamExp,
  type SglQuoted,
  type ShellSource,
  type Stmt,
  type StmtList,
  type SyntaxNode,
  type Word,
  goText,
  isNil,
  items,
  kindOf,
} from './shell-syntax';

/** Brace expansion may not turn one word into more words than this (`{a,b}{a,b}…` grows fast). */
const MAX_FIELDS = 256;

/** A word after quote removal, before brace expansion and globbing. */
interface WordValue {
  /** Quotes and escapes removed; expansions that cannot be resolved are kept as their source text. */
  text: string;
  /**
   * The same word with unquoted special characters kept and quoted ones escaped with `\`,
   * for brace expansion and globbing; null when no unquoted special character occurs.
   */
  pattern: string | null;
  /** Depends on an expansion that cannot be resolved statically (`$X`, `$(…)`, `$((…))`). */
  dynamic: boolean;
  /** Contains a `<( )`/`>( )` process substitution: the argument is a pipe from other commands. */
  processSubstitution: boolean;
}

/** One argument after brace expansion. */
export interface Field {
  text: string;
  dynamic: boolean;
  /** Unquoted glob characters: the shell replaces the field with matching file names. */
  glob: boolean;
  processSubstitution: boolean;
  /** Stands for files matching it, found by another command (`find … -exec cat {}`): judged as a pattern. */
  pattern?: boolean;
  /** How the files a pattern stands for are found (`git ls-files` lists no ignored file and follows no link). */
  walk?: { hidden?: boolean; ignoreFiles?: boolean; followLinks?: boolean };
}

/**
 * Values of variables known statically: `HOME`, the positional parameters of a `bash -c`
 * script, constants assigned earlier in the script. Null when unknown.
 */
export type VariableLookup = (name: string) => string | null;

const SPECIAL_IN_PATTERN = /[*?[\]{},\\]/;
const SIMPLE_NAME = /^([A-Za-z_][A-Za-z0-9_]*|[0-9])$/;

/** Reads a word: quote removal, `$'…'` decoding, static variables; nested commands are not visited here. */
export function readWord(word: Word, source: ShellSource, lookup: VariableLookup): WordValue {
  const state: WordState = { text: '', pattern: '', special: false, dynamic: false, processSubstitution: false };
  readParts(items(word.Parts), false, state, source, lookup);
  return {
    text: state.text,
    pattern: state.special ? state.pattern : null,
    dynamic: state.dynamic,
    processSubstitution: state.processSubstitution,
  };
}

/**
 * The body of a here-document: taken as it is when the delimiter was quoted (`<<'EOF'`), else
 * expanded like text in double quotes.
 */
export function readHereDocument(body: Word, quoted: boolean, source: ShellSource, lookup: VariableLookup): WordValue {
  const parts = items(body.Parts);
  if (quoted) {
    const text = parts.map((part) => (kindOf(part) === 'Lit' ? goText((part as Lit).Value) : source.of(part))).join('');
    return { text, pattern: null, dynamic: false, processSubstitution: false };
  }
  const state: WordState = { text: '', pattern: '', special: false, dynamic: false, processSubstitution: false };
  readParts(parts, true, state, source, lookup);
  return { text: state.text, pattern: null, dynamic: state.dynamic, processSubstitution: state.processSubstitution };
}

interface WordState {
  text: string;
  pattern: string;
  special: boolean;
  dynamic: boolean;
  processSubstitution: boolean;
}

function appendQuoted(state: WordState, text: string): void {
  state.text += text;
  state.pattern += SPECIAL_IN_PATTERN.test(text) ? text.replace(/[*?[\]{},\\]/g, '\\$&') : text;
}

function readParts(
  parts: SyntaxNode[],
  quoted: boolean,
  state: WordState,
  source: ShellSource,
  lookup: VariableLookup,
): void {
  for (const part of parts) {
    switch (kindOf(part)) {
      case 'Lit': {
        const raw = goText((part as Lit).Value);
        if (quoted) appendQuoted(state, unescapeDoubleQuoted(raw));
        else readUnquotedLiteral(raw, state);
        break;
      }
      case 'SglQuoted': {
        const quotedPart = part as SglQuoted;
        const raw = goText(quotedPart.Value);
        appendQuoted(state, quotedPart.Dollar ? decodeAnsiC(raw) : raw);
        break;
      }
      case 'DblQuoted':
        readParts(items((part as DblQuoted).Parts), true, state, source, lookup);
        break;
      case 'ParamExp':
        appendExpansion(state, staticParameter(part as ParamExp, state.text === '', lookup), quoted, source.of(part));
        break;
      case 'CmdSubst':
        appendExpansion(state, locationSubstitution(part as StmtList, source, lookup), quoted, source.of(part));
        break;
      case 'ProcSubst':
        state.processSubstitution = true;
        appendQuoted(state, source.of(part));
        break;
      case 'ExtGlob':
        state.special = true;
        state.text += source.of(part);
        state.pattern += source.of(part).replace(/[{},\\]/g, '\\$&');
        break;
      default:
        // Command substitution, arithmetic, or anything newer than this reader: known only at run time.
        state.dynamic = true;
        appendQuoted(state, source.of(part));
    }
  }
}

/** The value of an expansion, or its source text (and the word dynamic) when it is not known statically. */
function appendExpansion(state: WordState, value: string | null, quoted: boolean, text: string): void {
  if (value === null) {
    state.dynamic = true;
    appendQuoted(state, text);
  } else if (quoted) {
    appendQuoted(state, value);
  } else if (/\s/.test(value)) {
    // An unquoted expansion is split into words again, which one word cannot show.
    state.dynamic = true;
    appendQuoted(state, value);
  } else {
    // …and globbed again: `X='*.pem'; cat $X` reads every .pem file.
    state.text += value;
    state.pattern += value.replace(/[{},\\]/g, '\\$&');
    if (/[*?[]/.test(value)) state.special = true;
  }
}

/** The name lookups answer for the top of the git work tree the command runs in. */
export const GIT_TOPLEVEL = ':git-toplevel';

/**
 * A command substitution that only prints where the command runs, known statically: `$(pwd)`,
 * `` `pwd -P` ``, `$(dirname "$PWD")`, `$(realpath .)`, `$(readlink -f .)`, `$(git rev-parse --show-toplevel)`,
 * `$(echo WORD)`. `rm -rf "$(pwd)"` removes the workspace as surely as `rm -rf "$PWD"`.
 * Anything else is known only at run time (null).
 */
function locationSubstitution(node: StmtList, source: ShellSource, lookup: VariableLookup): string | null {
  const stmts = items(node.Stmts);
  if (stmts.length !== 1) return null;
  const stmt = stmts[0] as Stmt & { Negated?: boolean; Background?: boolean };
  if (stmt.Negated || stmt.Background || items(stmt.Redirs).length > 0 || kindOf(stmt.Cmd) !== 'CallExpr') return null;
  const call = stmt.Cmd as CallExpr;
  if (items(call.Assigns).length > 0) return null;
  const words: string[] = [];
  for (const word of items(call.Args)) {
    const value = readWord(word, source, lookup);
    if (value.dynamic || value.pattern !== null || value.processSubstitution) return null;
    words.push(value.text);
  }
  const [program, ...args] = words;
  const here = () => lookup('PWD');
  const isHere = (arg: string | undefined) => arg === '.' || arg === './' || (arg !== undefined && arg === here());
  switch (program) {
    case 'pwd':
      return args.every((arg) => arg === '-L' || arg === '-P') ? here() : null;
    case 'realpath':
    case 'readlink': {
      const options = args.filter((arg) => arg.startsWith('-'));
      const operands = args.filter((arg) => !arg.startsWith('-'));
      if (program === 'readlink' && !options.some((option) => /^-[a-z]*[fem]/.test(option))) return null;
      return operands.length === 1 && isHere(operands[0]) ? here() : null;
    }
    case 'git':
      return args.length === 2 && args[0] === 'rev-parse' && args[1] === '--show-toplevel'
        ? lookup(GIT_TOPLEVEL)
        : null;
    case 'dirname': {
      // `rm -rf "$(dirname "$PWD")"`: the directory above, as surely as `rm -rf ..`.
      const operand = args.length === 1 ? (args[0] as string) : '';
      if (operand === '' || operand.startsWith('-')) return null;
      if (operand === '.' || operand === './') return '..';
      return posix.dirname(operand.replace(/(.)\/+$/, '$1'));
    }
    case 'echo':
    case 'printf':
      return args.length === 1 && !(args[0] as string).startsWith('-') && !(args[0] as string).includes('%')
        ? (args[0] as string)
        : null;
    default:
      return null;
  }
}

function readUnquotedLiteral(raw: string, state: WordState): void {
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '\\' && i + 1 < raw.length) {
      appendQuoted(state, raw[++i] as string);
    } else {
      state.text += ch;
      state.pattern += ch;
      if (ch === '*' || ch === '?' || ch === '[' || ch === '{') state.special = true;
    }
  }
}

function unescapeDoubleQuoted(raw: string): string {
  return raw.includes('\\') ? raw.replace(/\\([$`"\\\n])/g, (_, ch: string) => (ch === '\n' ? '' : ch)) : raw;
}

function staticParameter(exp: ParamExp, atWordStart: boolean, lookup: VariableLookup): string | null {
  if (exp.Excl || exp.Length || exp.Width || exp.Names !== 0) return null;
  if (!isNil(exp.Index) || !isNil(exp.Slice) || !isNil(exp.Repl) || !isNil(exp.Exp)) return null;
  const name = goText(exp.Param.Value);
  if (!SIMPLE_NAME.test(name)) return null;
  // `$HOME/x` and `~/x` are the same path; keeping `~` lets both normalize alike.
  if (name === 'HOME' && atWordStart) return '~';
  return lookup(name);
}

const ANSI_C_SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes the body of a bash `$'…'` string. */
export function decodeAnsiC(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch !== '\\' || i + 1 >= raw.length) {
      out += ch;
      continue;
    }
    const next = raw[i + 1] as string;
    const simple = ANSI_C_SIMPLE[next];
    if (simple !== undefined) {
      out += simple;
      i += 1;
      continue;
    }
    const numeric = /^(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8})|c(.))/.exec(
      raw.slice(i + 1),
    );
    if (!numeric) {
      out += ch;
      continue;
    }
    const [whole, octal, hex, u16, u32, control] = numeric;
    if (octal !== undefined) out += String.fromCharCode(parseInt(octal, 8) & 0xff);
    else if (hex !== undefined) out += String.fromCharCode(parseInt(hex, 16));
    else if (control !== undefined) out += String.fromCharCode(control.charCodeAt(0) & 0x1f);
    else {
      const code = parseInt((u16 ?? u32) as string, 16);
      out += code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    }
    i += whole.length;
  }
  return out;
}

/** Brace-expands a word into fields; `null` when the expansion would exceed MAX_FIELDS. */
export function wordFields(value: WordValue): Field[] | null {
  if (value.pattern === null) {
    return [{ text: value.text, dynamic: value.dynamic, glob: false, processSubstitution: value.processSubstitution }];
  }
  const patterns = expandBraces(value.pattern);
  if (patterns === null) return null;
  return patterns.map((pattern) => ({
    text: unescapePattern(pattern),
    dynamic: value.dynamic,
    glob: isGlobPattern(pattern),
    processSubstitution: value.processSubstitution,
  }));
}

/** Unescaped `*`, `?`, a `[…]` class or an extended glob: the shell would match file names. */
export function isGlobPattern(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?') return true;
    else if (ch === '[' && pattern.indexOf(']', i + 2) !== -1) return true;
    else if ((ch === '@' || ch === '!' || ch === '+') && pattern[i + 1] === '(') return true;
  }
  return false;
}

function unescapePattern(pattern: string): string {
  return pattern.includes('\\') ? pattern.replace(/\\(.)/g, '$1') : pattern;
}

/** Bash brace expansion over an escaped pattern: `a{b,c}d`, `{1..3}`, `{a..e..2}`, nested. */
export function expandBraces(pattern: string): string[] | null {
  const out: string[] = [];
  return expandInto(pattern, out) ? out : null;
}

function expandInto(pattern: string, out: string[]): boolean {
  const brace = findBrace(pattern);
  if (brace === null) {
    out.push(pattern);
    return out.length <= MAX_FIELDS;
  }
  const { open, close, alternatives } = brace;
  const prefix = pattern.slice(0, open);
  const suffix = pattern.slice(close + 1);
  for (const alternative of alternatives) {
    if (!expandInto(prefix + alternative + suffix, out)) return false;
  }
  return true;
}

interface Brace {
  open: number;
  close: number;
  alternatives: string[];
}

function findBrace(pattern: string): Brace | null {
  for (let open = pattern.indexOf('{'); open !== -1; open = pattern.indexOf('{', open + 1)) {
    if (isEscaped(pattern, open)) continue;
    let depth = 0;
    const commas: number[] = [];
    for (let i = open + 1; i < pattern.length; i++) {
      const ch = pattern[i];
      if (ch === '\\') {
        i++;
      } else if (ch === '{') {
        depth++;
      } else if (ch === '}') {
        if (depth > 0) {
          depth--;
          continue;
        }
        const body = pattern.slice(open + 1, i);
        if (commas.length > 0) {
          const alternatives: string[] = [];
          let start = open + 1;
          for (const comma of commas) {
            alternatives.push(pattern.slice(start, comma));
            start = comma + 1;
          }
          alternatives.push(pattern.slice(start, i));
          return { open, close: i, alternatives };
        }
        const sequence = braceSequence(body);
        if (sequence) return { open, close: i, alternatives: sequence };
        break;
      } else if (ch === ',' && depth === 0) {
        commas.push(i);
      }
    }
  }
  return null;
}

function isEscaped(pattern: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && pattern[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function braceSequence(body: string): string[] | null {
  const numeric = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(body);
  const alpha = /^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/.exec(body);
  const match = numeric ?? alpha;
  if (!match) return null;
  const [, startText, endText, stepText] = match as unknown as [string, string, string, string | undefined];
  const start = numeric ? Number(startText) : startText.charCodeAt(0);
  const end = numeric ? Number(endText) : endText.charCodeAt(0);
  const step = Math.abs(Number(stepText ?? 1)) || 1;
  const count = Math.floor(Math.abs(end - start) / step) + 1;
  // Oversized sequences fail the whole expansion rather than being cut short.
  if (count > MAX_FIELDS) return [...Array<string>(MAX_FIELDS + 1).fill('')];
  const width = numeric && /^-?0\d/.test(startText + endText) ? Math.max(startText.length, endText.length) : 0;
  const direction = end >= start ? 1 : -1;
  const out: string[] = [];
  for (let i = 0, value = start; i < count; i++, value += direction * step) {
    if (!numeric) out.push(String.fromCharCode(value).replace(/[*?[\]{},\\]/g, '\\$&'));
    else if (width === 0) out.push(String(value));
    else out.push(value < 0 ? `-${String(-value).padStart(width - 1, '0')}` : String(value).padStart(width, '0'));
  }
  return out;
}

/**
 * Globs for paths and command words, compiled once to regular expressions.
 *
 * Path globs: `*` and `?` stay within one directory, `**` as a whole segment spans any
 * number of directories (`**` inside a segment spans anything, `/` included), `[…]` is a
 * class (`[!…]` negated), `{a,b}` alternatives. Matching is case-insensitive because
 * macOS and Windows file systems are: `.ENV` is the same file as `.env` there.
 * A pattern starting with `/` or `~/` is absolute; any other pattern matches at the
 * workspace root or below any directory, in both the relative and the absolute form.
 */

export class GlobError extends Error {
  constructor(pattern: string, problem: string) {
    super(`"${pattern}": ${problem}`);
    this.name = 'GlobError';
  }
}

const MAX_ALTERNATIVES = 256;

/** `{a,b}c` → `ac`, `bc`; nested braces are expanded too. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close !== -1) i = close;
      continue;
    }
    if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      if (depth === 0) throw new GlobError(pattern, 'has a "}" without "{"');
      depth--;
      if (depth === 0) {
        const inner = pattern.slice(start + 1, i);
        const prefix = pattern.slice(0, start);
        const suffix = pattern.slice(i + 1);
        const out: string[] = [];
        for (const part of splitTopLevel(inner)) {
          for (const rest of expandBraces(prefix + part + suffix)) {
            out.push(rest);
            if (out.length > MAX_ALTERNATIVES) throw new GlobError(pattern, 'expands to too many alternatives');
          }
        }
        return out;
      }
    }
  }
  if (depth !== 0) throw new GlobError(pattern, 'has a "{" without "}"');
  return [pattern];
}

function splitTopLevel(inner: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let last = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(inner.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(inner.slice(last));
  return parts;
}

const REGEX_SPECIAL = /[.+^${}()|\\/]/;

function classToRegex(pattern: string, glob: string, at: number): { source: string; end: number } {
  const close = glob.indexOf(']', at + 2);
  if (close === -1) throw new GlobError(pattern, 'has a "[" without "]"');
  let body = glob.slice(at + 1, close);
  if (body.startsWith('!')) body = `^${body.slice(1)}`;
  body = body.replace(/\\/g, '\\\\');
  return { source: `[${body}]`, end: close };
}

/** Regex source for one glob (braces already expanded). `anyChar` is what `*` may match. */
function globBody(pattern: string, glob: string, star: string, one: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        const next = glob[i + 2];
        i++;
        if (atSegmentStart && next === '/') {
          out += '(?:[^/]*/)*';
          i++;
        } else if (atSegmentStart && next === undefined && i > 1 && out.endsWith('\\/')) {
          // `dir/**`: the directory itself and everything beneath it (archiving `~/.ssh` reads its keys).
          out = `${out.slice(0, -2)}(?:/.*)?`;
        } else {
          out += '.*';
        }
      } else {
        out += star;
      }
    } else if (c === '?') {
      out += one;
    } else if (c === '[') {
      const cls = classToRegex(pattern, glob, i);
      out += cls.source;
      i = cls.end;
    } else if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new GlobError(pattern, 'ends with "\\"');
      out += REGEX_SPECIAL.test(next) || '*?[]'.includes(next) ? `\\${next}` : next;
      i++;
    } else {
      out += REGEX_SPECIAL.test(c) || c === ']' ? `\\${c}` : c;
    }
  }
  return out;
}

/** Where to file a path glob in the index so most paths never test its regex. */
type GlobHint =
  | { kind: 'name'; key: string }
  | { kind: 'ext'; key: string }
  | { kind: 'prefix'; key: string }
  | { kind: 'segment'; key: string }
  | { kind: 'any' };

export interface PathGlob {
  source: string;
  regex: RegExp;
  /** Absolute patterns are tested against the absolute form only. */
  absolute: boolean;
  hint: GlobHint;
  /**
   * Lowercase text every matching path contains (the glob's longest literal run), or null: a
   * path without it cannot match, which is cheaper to learn than running the regex.
   */
  needle: string | null;
}

const WILD = /[*?[\\]/;
export const PREFIX_KEY_LENGTH = 3;

function hintFor(glob: string): GlobHint {
  const segments = glob.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1] ?? '';
  if (last !== '' && !WILD.test(last)) return { kind: 'name', key: last.toLowerCase() };
  const ext = /^\*(\.[^*?[\\/]+)$/.exec(last);
  if (ext?.[1]) return { kind: 'ext', key: ext[1].toLowerCase() };
  // `*service-account*.json`: every match ends with the literal tail's extension.
  const tail = /[*?\]\\]([^*?[\]\\]*)$/.exec(last)?.[1] ?? '';
  const dot = tail.indexOf('.');
  if (dot !== -1 && dot < tail.length - 1) return { kind: 'ext', key: tail.slice(dot).toLowerCase() };
  const literalPrefix = /^[^*?[\\]+/.exec(last)?.[0] ?? '';
  if (literalPrefix.length > 0) {
    return { kind: 'prefix', key: literalPrefix.slice(0, PREFIX_KEY_LENGTH).toLowerCase() };
  }
  for (let i = segments.length - 2; i >= 0; i--) {
    const segment = segments[i] as string;
    if (!WILD.test(segment)) return { kind: 'segment', key: segment.toLowerCase() };
  }
  return { kind: 'any' };
}

/**
 * The longest literal run of a glob (brace alternatives already expanded), lowercase, without
 * the slashes at its ends (`**\/` and `dir/**` match without them); null when shorter than 2.
 */
function literalNeedle(glob: string): string | null {
  let best = '';
  let run = '';
  const end = () => {
    const trimmed = run.replace(/^\/+|\/+$/g, '');
    if (trimmed.length > best.length) best = trimmed;
    run = '';
  };
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' || c === '?' || c === '\\') {
      end();
      if (c === '\\') i++;
    } else if (c === '[') {
      end();
      const close = glob.indexOf(']', i + 2);
      i = close === -1 ? glob.length : close;
    } else {
      run += c;
    }
  }
  end();
  return best.length >= 2 ? best.toLowerCase() : null;
}

/** Compiles a path glob (with `~` expanded against `home`) into one matcher per brace alternative. */
export function compilePathGlob(pattern: string, home: string): PathGlob[] {
  if (pattern.trim() === '') throw new GlobError(pattern, 'is empty');
  return expandBraces(pattern).map((alternative) => {
    let glob = alternative;
    if (glob === '~') glob = home;
    else if (glob.startsWith('~/')) glob = `${home.replace(/\/+$/, '')}/${glob.slice(2)}`;
    if (glob.startsWith('./')) glob = glob.slice(2);
    const absolute = glob.startsWith('/');
    const trimmed = glob.length > 1 ? glob.replace(/\/+$/, '') : glob;
    const body = globBody(pattern, absolute ? trimmed.slice(1) : trimmed, '[^/]*', '[^/]');
    const source = absolute ? `^/${body}$` : `(?:^|/)${body}$`;
    return {
      source: pattern,
      regex: new RegExp(source, 'i'),
      absolute,
      hint: hintFor(trimmed),
      needle: literalNeedle(absolute ? trimmed.slice(1) : trimmed),
    };
  });
}

/** A matcher for one command word or argument: `*` spans anything, `/` included. */
export type WordMatcher = (value: string) => boolean;

export function compileWordGlob(pattern: string, caseInsensitive = false): WordMatcher {
  const alternatives = expandBraces(pattern);
  if (alternatives.length === 1 && !WILD.test(pattern)) {
    if (caseInsensitive) {
      const lower = pattern.toLowerCase();
      return (value) => value.toLowerCase() === lower;
    }
    return (value) => value === pattern;
  }
  const source = alternatives.map((alt) => globBody(pattern, alt, '.*', '.')).join('|');
  const regex = new RegExp(`^(?:${source})$`, caseInsensitive ? 'is' : 's');
  return (value) => regex.test(value);
}

/** One matcher for many word globs: a single regular expression instead of one test each. */
export function compileWordGlobs(patterns: readonly string[], caseInsensitive = false): WordMatcher {
  if (patterns.length === 1) return compileWordGlob(patterns[0] as string, caseInsensitive);
  const source = patterns
    .flatMap((pattern) => expandBraces(pattern).map((alt) => globBody(pattern, alt, '.*', '.')))
    .join('|');
  const regex = new RegExp(`^(?:${source})$`, caseInsensitive ? 'is' : 's');
  return (value) => regex.test(value);
}

/** Whether a word glob is a plain literal (so it can key an index). */
export function isLiteralGlob(pattern: string): boolean {
  return !WILD.test(pattern) && !/[{}]/.test(pattern);
}

/**
 * The regular expression a word glob compiles to (source; use with flag `i` for
 * case-insensitive names), for matchers applied outside this process: core/containment
 * sends host and variable-name globs to its sandbox runner this way.
 */
export function wordGlobSource(pattern: string): string {
  return `^(?:${expandBraces(pattern)
    .map((alternative) => globBody(pattern, alternative, '.*', '.'))
    .join('|')})$`;
}

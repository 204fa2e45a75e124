// One path segment of a bash glob as a regular expression, for glob expansion and tree walks.

/** A regular expression for one path segment of a bash glob. */
export function segmentMatcher(segment: string, dotglob: boolean): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '\\' && i + 1 < segment.length) {
      source += escapeRegExp(segment[++i] as string);
    } else if ((ch === '@' || ch === '!' || ch === '+' || ch === '*' || ch === '?') && segment[i + 1] === '(') {
      // Extended globs are widened to "anything": more matches only means more files judged.
      const close = segment.indexOf(')', i);
      source += '.*';
      i = close === -1 ? segment.length : close;
    } else if (ch === '*') {
      source += '.*';
    } else if (ch === '?') {
      source += '.';
    } else if (ch === '[') {
      const bracket = bracketExpression(segment, i);
      if (bracket === null) {
        source += '\\[';
        continue;
      }
      source += bracket.source;
      i = bracket.end;
    } else {
      source += escapeRegExp(ch);
    }
  }
  const leadingDot = dotglob || segment.startsWith('.') ? '' : '(?!\\.)';
  try {
    return new RegExp(`^${leadingDot}${source}$`, 's');
  } catch {
    // A class bash accepts but JavaScript does not (`[z-a]`): match everything, judge more files.
    return /^/;
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
};

/** `[abc]`, `[!a-z]`, `[]x]`, `[[:alpha:]_]` starting at `start`; null when it does not close. */
function bracketExpression(segment: string, start: number): { source: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (segment[i] === '!' || segment[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  for (let first = true; i < segment.length; i++, first = false) {
    const ch = segment[i] as string;
    if (ch === ']' && !first) return { source: `[${negate ? '^' : ''}${body}]`, end: i };
    const posix = ch === '[' ? /^\[:([a-z]+):\]/.exec(segment.slice(i)) : null;
    if (posix) {
      // An unknown class name widens to "any character": more matches only means more files judged.
      body += POSIX_CLASSES[posix[1] as string] ?? '\\s\\S';
      i += posix[0].length - 1;
    } else {
      const literal = ch === '\\' && i + 1 < segment.length ? (segment[++i] as string) : ch;
      const escaped = literal !== ch || /[\\\]^[]/.test(ch);
      body += escaped && /[\\\]^[-]/.test(literal) ? `\\${literal}` : literal;
    }
  }
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

import type { Field } from './shell-words';

/*
 * Most command lines an agent sends are plain: simple commands of literal words, maybe quoted,
 * joined by `;`, `&&`, `||`, `|` or newlines (`git status --short && npm test`). For those the
 * full bash parser (a third of normalizing them) tells nothing a tokeniser cannot, so they are
 * split here and read exactly as the parsed tree would be read. Anything that is not plainly
 * that — an expansion, a glob, a brace, a redirection, a substitution, a comment, an
 * assignment, a reserved word, an escape, a non-ASCII byte — is left to the parser. A property
 * test (plain-script.test.ts) proves both readings give the same normalization over every corpus.
 */

/** One simple command: its words after quote removal, and its text as written. */
export interface PlainCommand {
  fields: Field[];
  text: string;
}

/** Simple commands joined by `|` (one stage alone when there is no pipe). */
export type PlainPipeline = PlainCommand[];

/** Commands longer than this go to the parser, which reports such texts precisely. */
const MAX_PLAIN_TEXT = 4096;
const MAX_PLAIN_COMMANDS = 32;

/** Unquoted characters that mean nothing to bash but themselves, in any position of a word. */
const PLAIN_CHAR = /[A-Za-z0-9_./:,@%+=^~-]/;
/** Inside double quotes: anything but an expansion, an escape, history expansion or a line break. */
const DOUBLE_QUOTED_CHAR = /[^"$`\\!\n\r]/;

/** Words bash (and the parser) read as syntax when they start a command. */
const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  'in',
  'function',
  'select',
  'time',
  'coproc',
  'let',
  'declare',
  'local',
  'export',
  'readonly',
  'typeset',
  'nameref',
]);

type Token = { kind: 'word'; field: Field; raw: string; start: number; end: number } | { kind: 'op'; op: string };

/** The pipelines of a plain script in order, or null when the text needs the full parser. */
export function plainScript(text: string): PlainPipeline[] | null {
  if (text.length === 0 || text.length > MAX_PLAIN_TEXT) return null;
  const tokens = tokenize(text);
  if (tokens === null) return null;
  const pipelines: PlainPipeline[] = [];
  let stage: Token[] = [];
  let pipeline: PlainCommand[] = [];
  let commands = 0;
  // What the previous token allows next: a list may end after `;` or a newline, never after `&&`, `||` or `|`.
  let afterJoin = false;
  const finishStage = (): boolean => {
    const words = stage as Extract<Token, { kind: 'word' }>[];
    const first = words[0];
    if (first === undefined || RESERVED.has(first.raw) || first.raw.includes('=')) return false;
    if (++commands > MAX_PLAIN_COMMANDS) return false;
    pipeline.push({
      fields: words.map((word) => word.field),
      text: text.slice(first.start, (words[words.length - 1] as typeof first).end),
    });
    stage = [];
    return true;
  };
  for (const token of tokens) {
    if (token.kind === 'word') {
      stage.push(token);
      afterJoin = false;
      continue;
    }
    if (stage.length === 0) {
      // `; ;`, `&& ||`, a leading operator: a syntax error or an empty statement for the parser to judge.
      if (token.op === '\n' && !afterJoin && pipeline.length === 0) continue;
      return null;
    }
    if (!finishStage()) return null;
    if (token.op === '|') {
      afterJoin = true;
      continue;
    }
    pipelines.push(pipeline);
    pipeline = [];
    afterJoin = token.op === '&&' || token.op === '||';
  }
  if (afterJoin) return null;
  if (stage.length > 0) {
    if (!finishStage()) return null;
    pipelines.push(pipeline);
  } else if (pipeline.length > 0) {
    return null;
  }
  return pipelines.length > 0 ? pipelines : null;
}

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '\n' || ch === ';') {
      tokens.push({ kind: 'op', op: ch === ';' ? ';' : '\n' });
      i++;
      continue;
    }
    if (ch === '&' || ch === '|') {
      const pair = text.slice(i, i + 2);
      if (pair === '&&' || pair === '||') {
        tokens.push({ kind: 'op', op: pair });
        i += 2;
        continue;
      }
      // `&` (background) and `|&` are left to the parser.
      if (ch === '&' || pair === '|&') return null;
      tokens.push({ kind: 'op', op: '|' });
      i++;
      continue;
    }
    const start = i;
    let value = '';
    while (i < text.length) {
      const c = text[i] as string;
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close === -1) return null;
        const quoted = text.slice(i + 1, close);
        if (/[^\x20-\x7e\t]/.test(quoted)) return null;
        value += quoted;
        i = close + 1;
      } else if (c === '"') {
        let j = i + 1;
        while (j < text.length && DOUBLE_QUOTED_CHAR.test(text[j] as string)) j++;
        if (text[j] !== '"') return null;
        const quoted = text.slice(i + 1, j);
        if (/[^\x20-\x7e\t]/.test(quoted)) return null;
        value += quoted;
        i = j + 1;
      } else if (PLAIN_CHAR.test(c)) {
        value += c;
        i++;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === ';' || c === '&' || c === '|') {
        break;
      } else {
        return null;
      }
    }
    tokens.push({
      kind: 'word',
      field: { text: value, dynamic: false, glob: false, processSubstitution: false },
      raw: text.slice(start, i),
      start,
      end: i,
    });
  }
  return tokens;
}

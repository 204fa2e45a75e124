import { createRequire } from 'node:module';
import type mvdanSh from 'mvdan-sh';

/*
 * The shell syntax tree of mvdan/sh (GopherJS build), read through the Go objects behind the
 * wrapper API: the wrappers convert every field on each access and cost ~5x the parse itself,
 * while the Go objects are plain JavaScript objects. mvdan-sh is pinned to an exact version.
 */

/** A Go slice: `$length` elements of `$array` starting at `$offset`. */
interface GoSlice<T> {
  readonly $array: readonly T[];
  readonly $offset: number;
  readonly $length: number;
}

interface GoPosition {
  readonly offs: number;
}

export interface SyntaxNode {
  readonly constructor: { readonly string?: string; readonly nil?: unknown };
  Pos(): GoPosition;
  End(): GoPosition;
}

export interface File extends SyntaxNode {
  readonly Stmts: GoSlice<Stmt>;
}
export interface Stmt extends SyntaxNode {
  readonly Cmd: SyntaxNode;
  readonly Redirs: GoSlice<Redirect>;
}
export interface CallExpr extends SyntaxNode {
  readonly Assigns: GoSlice<Assign>;
  readonly Args: GoSlice<Word>;
}
interface Assign extends SyntaxNode {
  readonly Append: boolean;
  readonly Naked: boolean;
  readonly Name: Lit;
  readonly Index: SyntaxNode;
  readonly Value: Word;
  readonly Array: SyntaxNode;
}
export interface Word extends SyntaxNode {
  readonly Parts: GoSlice<SyntaxNode>;
}
export interface Lit extends SyntaxNode {
  readonly Value: string;
}
export interface SglQuoted extends SyntaxNode {
  readonly Dollar: boolean;
  readonly Value: string;
}
export interface DblQuoted extends SyntaxNode {
  readonly Parts: GoSlice<SyntaxNode>;
}
export interface ParamExp extends SyntaxNode {
  readonly Short: boolean;
  readonly Excl: boolean;
  readonly Length: boolean;
  readonly Width: boolean;
  readonly Param: Lit;
  readonly Index: SyntaxNode;
  readonly Slice: SyntaxNode;
  readonly Repl: SyntaxNode;
  readonly Names: number;
  readonly Exp: SyntaxNode;
}
export interface StmtList extends SyntaxNode {
  readonly Stmts: GoSlice<Stmt>;
}
export interface ProcSubst extends StmtList {
  readonly Op: number;
}
export interface BinaryCmd extends SyntaxNode {
  readonly Op: number;
  readonly X: Stmt;
  readonly Y: Stmt;
}
export interface Redirect extends SyntaxNode {
  readonly Op: number;
  readonly N: Lit;
  readonly Word: Word;
  readonly Hdoc: Word;
}
export interface DeclClause extends SyntaxNode {
  readonly Variant: Lit;
  readonly Args: GoSlice<Assign>;
}
export interface WrappedStmt extends SyntaxNode {
  readonly Stmt: Stmt;
}
export interface ForClause extends SyntaxNode {
  readonly Loop: SyntaxNode;
  readonly Do: GoSlice<Stmt>;
}
export interface WordIter extends SyntaxNode {
  readonly Name: Lit;
  readonly Items: GoSlice<Word>;
}

/** Operator codes of the pinned mvdan/sh build (`syntax.RedirOperator`, `BinCmdOperator`, `ProcOperator`). */
export const Op = {
  and: 10,
  or: 11,
  pipe: 12,
  pipeAll: 13,
  redirOut: 54,
  appOut: 55,
  redirIn: 56,
  rdrInOut: 57,
  dplIn: 58,
  dplOut: 59,
  clbOut: 60,
  hdoc: 61,
  dashHdoc: 62,
  wordHdoc: 63,
  rdrAll: 64,
  appAll: 65,
  cmdIn: 66,
  cmdOut: 67,
} as const;

/** The node's Go type without package and pointer: `CallExpr`, `Lit`, …; `''` for nil. */
export function kindOf(node: unknown): string {
  if (node === null || typeof node !== 'object') return '';
  const ctor = (node as SyntaxNode).constructor;
  const name = ctor?.string;
  if (name === undefined || node === ctor.nil) return '';
  return name.startsWith('*syntax.') ? name.slice(8) : name;
}

export function isNil(node: unknown): boolean {
  return kindOf(node) === '';
}

export function items<T>(slice: GoSlice<T>): T[] {
  const out: T[] = [];
  for (let i = 0; i < slice.$length; i++) out.push(slice.$array[slice.$offset + i] as T);
  return out;
}

// Go strings arrive as one JavaScript char per UTF-8 byte.
const NON_ASCII = /[\x80-\xff]/;

export function goText(bytes: string): string {
  return NON_ASCII.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes;
}

/** A parsed script's text, sliceable by the parser's byte offsets. */
export class ShellSource {
  private readonly utf8: Buffer | null;

  constructor(readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.utf8 = /^[\x00-\x7f]*$/.test(text) ? null : Buffer.from(text, 'utf8');
  }

  slice(from: number, to: number): string {
    return this.utf8 ? this.utf8.subarray(from, to).toString('utf8') : this.text.slice(from, to);
  }

  of(node: SyntaxNode): string {
    return this.slice(node.Pos().offs, node.End().offs);
  }
}

type ParseOutcome = { file: File; error: null } | { file: null; error: string };

/**
 * The parser (a GopherJS build of mvdan/sh) is loaded on the first script that needs it: most
 * commands are read by the plain-script reader, and loading the runtime costs a `cavra`
 * process more CPU than judging its action. Synchronous, because normalization is; in the
 * CommonJS bundle `__filename` is the bundle, under tsx and vitest the module's URL.
 */
function loadMvdanSh(): typeof mvdanSh {
  const load = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  const limit = Error.stackTraceLimit;
  const loaded = load('mvdan-sh') as typeof mvdanSh;
  // Loading the GopherJS runtime sets Error.stackTraceLimit to Infinity for the whole process,
  // which makes every Error anywhere capture its full stack; the parser does not need it.
  if (Error.stackTraceLimit === Infinity) Error.stackTraceLimit = limit === Infinity ? 10 : limit;
  return loaded;
}

/** The Go parser behind the wrapper, and the `*strings.Reader` it reads from. */
interface GoParser {
  Parse(reader: GoReader, name: string): [File, GoError];
  src: GoReader;
  f: unknown;
}
interface GoReader {
  Reset(text: string): void;
}
interface GoError {
  readonly constructor: { readonly string?: string };
  Error(): string;
}

interface DirectParser {
  wrapper: ReturnType<typeof mvdanSh.syntax.NewParser>;
  go: GoParser | null;
}

/**
 * Calling the Go parser directly skips the wrapper's conversions (about half the cost per
 * call) and returns syntax errors as values instead of throwing them. The wrapper is kept
 * as the fallback if the pinned build ever stops looking like this.
 */
function newParser(): DirectParser {
  const wrapper = loadMvdanSh().syntax.NewParser();
  try {
    wrapper.Parse(' ', '');
    const go = (wrapper as unknown as { __internal_object__: { Parser?: GoParser } }).__internal_object__.Parser;
    const usable = typeof go?.Parse === 'function' && typeof go.src?.Reset === 'function';
    return { wrapper, go: usable ? (go as GoParser) : null };
  } catch {
    return { wrapper, go: null };
  }
}

let current: DirectParser | null = null;

function goString(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/** Parses bash syntax; a syntax error (or a crash inside the parser) is returned, never thrown. */
export function parseShell(text: string): ParseOutcome {
  try {
    const parser = (current ??= newParser());
    if (parser.go) {
      const go = parser.go;
      go.src.Reset(goString(text));
      const [file, error] = go.Parse(go.src, '');
      // The parser keeps its last tree alive; let it go as soon as the caller is done with it.
      go.f = (go.f as { constructor: { nil: unknown } }).constructor.nil;
      if (kindOf(error) !== '') return { file: null, error: goText(error.Error()).replace(/^:/, '') };
      return { file, error: null };
    }
    const file = parser.wrapper.Parse(text, '').__internal_object__ as File;
    return { file, error: null };
  } catch (error) {
    const goError = error as { Error?: () => string };
    if (typeof goError?.Error === 'function') return { file: null, error: goError.Error().replace(/^:/, '') };
    // Not a syntax error (e.g. stack exhaustion): start again from a fresh parser.
    current = null;
    return { file: null, error: error instanceof Error ? error.message : String(error) };
  }
}

import { runCommandLine, staticOutput } from './commands';
import { type CommandInput, type Extraction, MAX_DEPTH, type Scope, childScope } from './extraction';
import { type PlainPipeline, plainScript } from './plain-script';
import {
  type BinaryCmd,
  type CallExpr,
  type DblQuoted,
  type DeclClause,
  type ForClause,
  type Lit,
  type ParamExp,
  type Redirect,
  type Stmt,
  type StmtList,
  type SyntaxNode,
  type Word,
  type WordIter,
  type WrappedStmt,
  Op,
  ShellSource,
  goText,
  isNil,
  items,
  kindOf,
  parseShell,
} from './shell-syntax';
import { type Field, GIT_TOPLEVEL, type VariableLookup, readHereDocument, readWord, wordFields } from './shell-words';
import type { SimpleCommand } from './types';

/** Nodes nested deeper than this (`((((…))))`) are not walked: the script is refused instead. */
const MAX_TREE_DEPTH = 200;
/** Variables are only resolved in scripts up to this size, which keeps the checks cheap. */
const MAX_RESOLVED_TEXT = 16 * 1024;
/** A `for` loop over more items than this is read once, with its variable unknown. */
const MAX_LOOP_ITEMS = 64;

/** Whether plain scripts skip the parser (plain-script.ts); the equivalence test reads both ways. */
let plainScripts = true;

/** For the equivalence test only: read every script through the full parser, or not. */
export function readPlainScriptsWithoutParser(enabled: boolean): void {
  plainScripts = enabled;
}

/** Parses `text` and records every simple command in it, at any depth. */
export function extractScript(extraction: Extraction, text: string, scope: Scope): SimpleCommand[] {
  if (scope.depth > MAX_DEPTH) {
    extraction.problem('depth_exceeded', `commands nested more than ${MAX_DEPTH} levels deep were not examined`);
    return [];
  }
  const plain = plainScripts ? plainScript(text) : null;
  if (plain !== null) return new ScriptReader(extraction, new ShellSource(text), null).plainPipelines(plain, scope);
  const parsed = parseShell(text);
  if (parsed.file === null) {
    extraction.problem('parse_error', parsed.error);
    return [];
  }
  const reader = new ScriptReader(extraction, new ShellSource(text), scope.constants ? constantNames(text) : null);
  return reader.statements(items(parsed.file.Stmts), scope, 0);
}

/**
 * Variables a top-level script assigns once, to a constant, before using them, and nothing else
 * could change: `X=terraform; $X apply`. Anything that may assign indirectly disables this.
 */
function constantNames(text: string): Set<string> | null {
  if (
    !text.includes('=') ||
    text.length > MAX_RESOLVED_TEXT ||
    /\b(eval|source|declare|typeset|local|export|readonly|read|mapfile|readarray|printf|let|getopts|unset|IFS)\b|(^|[\s;&|(])\.\s/.test(
      text,
    )
  ) {
    return null;
  }
  const names = new Set<string>();
  for (const match of text.matchAll(/(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=/g)) {
    if (names.size >= 32) break;
    const name = match[1] as string;
    if (assignedOnce(text, name)) names.add(name);
  }
  return names;
}

/** Apart from plain `$name`/`${name}` reads, `text` names the variable exactly once (where it is set). */
function assignedOnce(text: string, name: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return false;
  const mentions = text.match(new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`, 'g'))?.length ?? 0;
  const uses = text.match(new RegExp(`\\$${name}(?![A-Za-z0-9_])|\\$\\{${name}\\}`, 'g'))?.length ?? 0;
  return mentions === uses + 1;
}

class ScriptReader {
  private readonly constants = new Map<string, string>();
  /** Loop variables bound to the item being read (`for f in …`). */
  private readonly loopItems = new Map<string, string>();

  constructor(
    private readonly extraction: Extraction,
    private readonly source: ShellSource,
    private readonly constantCandidates: Set<string> | null,
  ) {}

  /**
   * The tree a plain script would parse to, read the same way: each pipeline's stages in order
   * (each the next one's input), every pipeline with the script's input, what each pipeline's
   * last stage produced returned in order.
   */
  plainPipelines(pipelines: readonly PlainPipeline[], scope: Scope): SimpleCommand[] {
    const out: SimpleCommand[] = [];
    for (const stages of pipelines) {
      let stageInput = scope.input;
      let produced: SimpleCommand[] = [];
      for (const stage of stages) {
        produced = this.simple(stage.fields, {}, stage.text, scope, stageInput, this.extraction.commands.length);
        // As for a parsed statement: the variables its text names, even in single quotes (`jq -n '$ENV'`).
        const names = variableNames(stage.text, [], this.source);
        if (names.length > 0) for (const c of produced) c.variables = [...new Set([...(c.variables ?? []), ...names])];
        if (stages.length === 1) break;
        const own = produced.length === 1 ? (this.extraction.inputs.get(produced[0] as SimpleCommand) ?? null) : null;
        stageInput = { kind: 'pipe', from: produced, text: staticOutput(produced, own) };
      }
      out.push(...produced);
    }
    return out;
  }

  statements(stmts: Stmt[], scope: Scope, level: number): SimpleCommand[] {
    const out: SimpleCommand[] = [];
    for (const stmt of stmts) out.push(...this.statement(stmt, scope, scope.input, level));
    return out;
  }

  /** Returns the commands that write to this statement's standard output (for pipelines). */
  private statement(stmt: Stmt, scope: Scope, input: CommandInput | null, level: number): SimpleCommand[] {
    if (level > MAX_TREE_DEPTH) {
      this.extraction.problem('depth_exceeded', `the script nests more than ${MAX_TREE_DEPTH} constructs deep`);
      return [];
    }
    const redirects = items(stmt.Redirs);
    const ownInput = this.redirectInput(redirects, scope, level) ?? input;
    const command = stmt.Cmd;
    let produced: SimpleCommand[];
    switch (kindOf(command)) {
      case '':
        produced = [];
        break;
      case 'CallExpr':
        produced = this.call(command as CallExpr, scope, ownInput, level);
        break;
      case 'BinaryCmd':
        produced = this.binary(command as BinaryCmd, scope, ownInput, level);
        break;
      case 'DeclClause':
        produced = this.declaration(command as DeclClause, scope, level);
        break;
      case 'TimeClause':
      case 'CoprocClause': {
        const inner = (command as WrappedStmt).Stmt;
        const wrapper = kindOf(command) === 'TimeClause' ? 'time' : 'coproc';
        this.discover(command, scope, ownInput, level, inner);
        produced = isNil(inner)
          ? []
          : this.statement(inner, { ...scope, wrappers: [...scope.wrappers, wrapper] }, ownInput, level + 1);
        break;
      }
      case 'ForClause':
        produced =
          this.loop(command as ForClause, scope, ownInput, level) ?? this.discover(command, scope, ownInput, level);
        break;
      case 'FuncDecl':
      case 'WhileClause':
        this.runaway(command);
        produced = this.discover(command, scope, ownInput, level);
        break;
      default:
        // Blocks, subshells, if/while/for/case, functions, [[ ]], (( )): every statement and
        // substitution inside is found by walking the node's fields.
        produced = this.discover(command, scope, ownInput, level);
    }
    if (produced.length > 0 && (kindOf(command) === 'CallExpr' || kindOf(command) === 'DeclClause')) {
      const names = variableNames(this.source.of(stmt), redirects, this.source);
      if (names.length > 0) for (const c of produced) c.variables = [...new Set([...(c.variables ?? []), ...names])];
    }
    // A redirection of a single command is that program's; of a block or loop, nobody's in particular.
    const via =
      kindOf(command) === 'CallExpr' || kindOf(command) === 'DeclClause'
        ? (produced[produced.length - 1]?.program ?? null)
        : null;
    this.redirects(redirects, via, scope);
    return produced;
  }

  /**
   * Processes that multiply without end: a function that runs itself in the background or in
   * a pipeline (`:(){ :|:& };:`), or an endless loop that starts background jobs.
   */
  private runaway(command: SyntaxNode): void {
    const text = this.source.of(command);
    const background = /&(?!&)|\|(?!\|)/;
    if (kindOf(command) === 'FuncDecl') {
      const name = goText((command as unknown as { Name: Lit }).Name.Value);
      const body = text.slice(text.indexOf(name) + name.length);
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(^|[\\s;|&({])${escaped}($|[\\s;|&)}])`).test(body) && background.test(body))
        this.extraction.problem(
          'runaway',
          `the function ${name} runs itself in the background or a pipeline (a fork bomb)`,
        );
      return;
    }
    if (/^while\s+(true|:|\[\s*1\s*\]|\(\(\s*1\s*\)\))\s*[;\n]/.test(text) && /&(?!&)/.test(text.replace(/&>/g, '')))
      this.extraction.problem('runaway', 'an endless loop starts background processes');
  }

  private binary(command: BinaryCmd, scope: Scope, input: CommandInput | null, level: number): SimpleCommand[] {
    if (command.Op !== Op.pipe && command.Op !== Op.pipeAll) {
      return [
        ...this.statement(command.X, scope, input, level + 1),
        ...this.statement(command.Y, scope, input, level + 1),
      ];
    }
    const stages: Stmt[] = [];
    const flatten = (stmt: Stmt): void => {
      const inner = stmt.Cmd;
      const kind = kindOf(inner);
      const op = kind === 'BinaryCmd' ? (inner as BinaryCmd).Op : -1;
      if ((op === Op.pipe || op === Op.pipeAll) && items(stmt.Redirs).length === 0) {
        flatten((inner as BinaryCmd).X);
        flatten((inner as BinaryCmd).Y);
      } else {
        stages.push(stmt);
      }
    };
    flatten(command.X);
    flatten(command.Y);
    let stageInput = input;
    let produced: SimpleCommand[] = [];
    for (const stage of stages) {
      produced = this.statement(stage, scope, stageInput, level + 1);
      const own = produced.length === 1 ? (this.extraction.inputs.get(produced[0] as SimpleCommand) ?? null) : null;
      stageInput = { kind: 'pipe', from: produced, text: staticOutput(produced, own) };
    }
    return produced;
  }

  private call(call: CallExpr, scope: Scope, input: CommandInput | null, level: number): SimpleCommand[] {
    const assignments: Record<string, string> = {};
    const before = this.extraction.commands.length;
    for (const assign of items(call.Assigns)) {
      this.discover(assign, scope, null, level);
      if (isNil(assign.Name)) continue;
      const name = goText(assign.Name.Value);
      const value = isNil(assign.Value)
        ? { text: '', dynamic: false }
        : readWord(assign.Value, this.source, this.lookup(scope));
      assignments[name] = value.text;
      if (call.Args.$length === 0 && scope.constants && !value.dynamic && !assign.Append && isNil(assign.Index)) {
        if (this.constantCandidates?.has(name) && isNil(assign.Array)) this.constants.set(name, value.text);
      }
    }
    const words = items(call.Args);
    if (words.length === 0) return [];
    const fields: Field[] = [];
    for (const word of words) {
      if (!isPlainWord(word)) this.discover(word, scope, null, level);
      fields.push(...this.fields(word, scope));
    }
    return this.simple(fields, assignments, this.source.of(call), scope, input, before);
  }

  /** A simple command's words read; `before`: the commands recorded before its words were read. */
  private simple(
    fields: Field[],
    assignments: Record<string, string>,
    text: string,
    scope: Scope,
    input: CommandInput | null,
    before: number,
  ): SimpleCommand[] {
    const inputFrom = new Set<string>();
    // Everything upstream in the pipeline: `env | base64 | curl -d @-` sends what env printed.
    if (input?.kind === 'pipe')
      for (const c of input.from) {
        inputFrom.add(c.program);
        for (const upstream of c.inputFrom ?? []) inputFrom.add(upstream);
      }
    // Programs whose output is substituted into this command's words (`$( )`, `<( )`).
    for (const c of this.extraction.commands.slice(before)) if (c.depth === scope.depth + 1) inputFrom.add(c.program);
    const produced = runCommandLine(this.extraction, {
      fields,
      assignments,
      text,
      scope,
      input,
      inputFrom: [...inputFrom],
    });
    if (input !== null) for (const c of produced) this.extraction.inputs.set(c, input);
    return produced;
  }

  private fields(word: Word, scope: Scope): Field[] {
    const all = positionalList(word, scope);
    if (all !== null) {
      return all.map((text) => ({ text, dynamic: false, glob: false, processSubstitution: false }));
    }
    const value = readWord(word, this.source, this.lookup(scope));
    const fields = wordFields(value);
    if (fields !== null) return fields;
    this.extraction.problem('unsupported', `brace expansion of ${value.text.slice(0, 80)} yields too many words`);
    return [{ text: value.text, dynamic: true, glob: false, processSubstitution: value.processSubstitution }];
  }

  private declaration(decl: DeclClause, scope: Scope, level: number): SimpleCommand[] {
    const variant = goText(decl.Variant.Value);
    const args: Field[] = [{ text: variant, dynamic: false, glob: false, processSubstitution: false }];
    const assignments: Record<string, string> = {};
    for (const assign of items(decl.Args)) {
      this.discover(assign, scope, null, level);
      if (assign.Naked && !isNil(assign.Value)) {
        args.push(...this.fields(assign.Value, scope));
        continue;
      }
      if (isNil(assign.Name)) continue;
      const name = goText(assign.Name.Value);
      const value = isNil(assign.Value) ? null : readWord(assign.Value, this.source, this.lookup(scope));
      if (value) assignments[name] = value.text;
      args.push({
        text: value ? `${name}=${value.text}` : name,
        dynamic: value?.dynamic ?? false,
        glob: false,
        processSubstitution: false,
      });
    }
    return runCommandLine(this.extraction, {
      fields: args,
      assignments,
      text: this.source.of(decl),
      scope,
      input: null,
      inputFrom: [],
    });
  }

  /** Input redirections and here-documents, which also hide commands (`<<EOF $(…) EOF`). */
  private redirectInput(redirects: Redirect[], scope: Scope, level: number): CommandInput | null {
    let input: CommandInput | null = null;
    for (const redirect of redirects) {
      this.discover(redirect, scope, null, level);
      switch (redirect.Op) {
        case Op.redirIn:
        case Op.rdrInOut:
          input = { kind: 'file' };
          break;
        case Op.hdoc:
        case Op.dashHdoc:
        case Op.wordHdoc: {
          const body = redirect.Op === Op.wordHdoc ? redirect.Word : redirect.Hdoc;
          if (isNil(body)) break;
          const value =
            redirect.Op === Op.wordHdoc
              ? readWord(body, this.source, this.lookup(scope))
              : readHereDocument(body, isQuotedDelimiter(redirect.Word), this.source, this.lookup(scope));
          const text = redirect.Op === Op.wordHdoc ? `${value.text}\n` : value.text;
          input = {
            kind: 'text',
            text: redirect.Op === Op.dashHdoc ? text.replace(/^\t+/gm, '') : text,
            dynamic: value.dynamic,
          };
          break;
        }
      }
    }
    return input;
  }

  private redirects(redirects: Redirect[], via: string | null, scope: Scope): void {
    for (const redirect of redirects) {
      const op = redirect.Op;
      if (op === Op.hdoc || op === Op.dashHdoc || op === Op.wordHdoc || isNil(redirect.Word)) continue;
      const fields = this.fields(redirect.Word, scope);
      const field = fields[0];
      if (field === undefined) continue;
      if (fields.length > 1) {
        this.extraction.problem('unsupported', `ambiguous redirect target ${field.text}`);
        continue;
      }
      // `>&2`, `<&0`, `>&-`: a file descriptor, not a file.
      if ((op === Op.dplIn || op === Op.dplOut) && /^(\d+-?|-)$/.test(field.text)) continue;
      const access = op === Op.redirIn || op === Op.dplIn ? 'read' : op === Op.rdrInOut ? 'readwrite' : 'write';
      this.extraction.addFieldPath(field, { access, source: 'command', via });
    }
  }

  /**
   * Walks any node generically: statements are read as statements, substitutions one level
   * deeper. Returns the commands of statements found at this level.
   */
  private discover(
    node: unknown,
    scope: Scope,
    input: CommandInput | null,
    level: number,
    skip: unknown = null,
  ): SimpleCommand[] {
    const out: SimpleCommand[] = [];
    const visit = (value: unknown, depth: number): void => {
      if (value === null || typeof value !== 'object' || value === skip) return;
      if (depth > MAX_TREE_DEPTH) {
        this.extraction.problem('depth_exceeded', `the script nests more than ${MAX_TREE_DEPTH} constructs deep`);
        return;
      }
      if ('$array' in value) {
        const slice = value as { $array: unknown[]; $offset: number; $length: number };
        for (let i = 0; i < slice.$length; i++) visit(slice.$array[slice.$offset + i], depth + 1);
        return;
      }
      const kind = kindOf(value);
      switch (kind) {
        case '':
        case 'Pos':
        case 'Comment':
        case 'Lit':
        case 'SglQuoted':
          return;
        case 'Stmt':
          out.push(...this.statement(value as Stmt, scope, input, level + depth));
          return;
        case 'CmdSubst':
        case 'ProcSubst': {
          const inner = childScope(scope, null, { positional: scope.positional });
          if (inner.depth > MAX_DEPTH) {
            this.extraction.problem(
              'depth_exceeded',
              `commands nested more than ${MAX_DEPTH} levels deep were not examined`,
            );
            return;
          }
          for (const stmt of items((value as StmtList).Stmts)) this.statement(stmt, inner, null, level + depth);
          return;
        }
      }
      for (const key of Object.keys(value)) {
        if (key !== '$val') visit((value as Record<string, unknown>)[key], depth + 1);
      }
    };
    if (node === skip) return out;
    const kind = kindOf(node);
    if (kind === 'Stmt' || kind === 'CmdSubst' || kind === 'ProcSubst') visit(node, 0);
    else
      for (const key of Object.keys(node as object))
        if (key !== '$val') visit((node as Record<string, unknown>)[key], 1);
    return out;
  }

  /**
   * `for f in a b *.pem; do cat "$f"; done`: with a static list and a variable the body never
   * assigns, the body is read once per item (a glob item stays a glob). Null when it cannot be.
   */
  private loop(clause: ForClause, scope: Scope, input: CommandInput | null, level: number): SimpleCommand[] | null {
    const iterator = clause.Loop;
    if (kindOf(iterator) !== 'WordIter' || isNil((iterator as WordIter).Name)) return null;
    const name = goText((iterator as WordIter).Name.Value);
    const text = this.source.of(clause);
    if (text.length > MAX_RESOLVED_TEXT || !assignedOnce(text, name) || this.loopItems.has(name)) return null;
    this.discover(iterator, scope, null, level);
    const values: string[] = [];
    for (const word of items((iterator as WordIter).Items)) {
      const value = readWord(word, this.source, this.lookup(scope));
      if (value.dynamic || value.processSubstitution) return null;
      const fields = wordFields(value);
      if (fields === null) return null;
      for (const field of fields) {
        if (!field.glob) {
          values.push(field.text);
          continue;
        }
        // The glob is expanded on the `for` line, whatever quoting the body uses later.
        const matches = this.expandLoopGlob(field.text);
        if (matches === null) return null;
        values.push(...(matches.length > 0 ? matches : [field.text]));
      }
    }
    // `for f; do …` walks "$@"; an empty list still has a body worth judging.
    if (values.length === 0 || values.length > MAX_LOOP_ITEMS) return null;
    const produced: SimpleCommand[] = [];
    for (const value of values) {
      this.loopItems.set(name, value);
      for (const stmt of items(clause.Do)) produced.push(...this.statement(stmt, scope, input, level + 1));
    }
    this.loopItems.delete(name);
    return produced;
  }

  private expandLoopGlob(pattern: string): string[] | null {
    const { directories, resolver, dotglob } = this.extraction;
    if (directories.length !== 1 || this.extraction.unknownDirectory) return null;
    const base = directories[0] as string;
    const expansion = resolver.expandGlob(pattern, base, { dotglob });
    if (!expansion.complete) return null;
    const relative = !/^[/~]/.test(pattern);
    return expansion.matches.map((match) =>
      relative && match.startsWith(`${base}/`) ? match.slice(base.length + 1) : match,
    );
  }

  private lookup(scope: Scope): VariableLookup {
    return (name) => {
      const item = this.loopItems.get(name);
      if (item !== undefined) return item;
      if (name === 'HOME') return this.extraction.resolver.home;
      if (/^[0-9]$/.test(name)) return scope.positional?.[Number(name)] ?? null;
      if (name === 'PWD' || name === 'OLDPWD' || name === GIT_TOPLEVEL) {
        const { directories, resolver } = this.extraction;
        const workspace = resolver.workspace;
        if (workspace === null || this.extraction.unknownDirectory) return null;
        if (name === GIT_TOPLEVEL) {
          // The work tree's top: the workspace, from anywhere inside it (elsewhere, not known here).
          const inside = directories.every((here) => here === workspace || here.startsWith(`${workspace}/`));
          return inside ? workspace : null;
        }
        // Where the script is after a `cd` is one of the directories it may be in, and so is
        // where it was before (`$OLDPWD`): `.` stands for each of them, as for a relative path,
        // so `cd .. && rm -rf "$PWD"` is judged like `cd .. && rm -rf .` (the workspace's parent).
        if (directories.length > 1) return '.';
        return name === 'PWD' ? (directories[0] as string) : null;
      }
      const constant = scope.constants ? (this.constants.get(name) ?? null) : null;
      if (constant === null && name === 'CAVRA_HOME') return this.extraction.dataDirectory;
      return constant;
    };
  }
}

const MAX_VARIABLES = 32;

/**
 * Names of the variables a statement expands, in its words, redirections and here-documents:
 * `$NAME`, `${NAME…}`; an indirect expansion (`${!v}`, `${!PREFIX*}`) adds `!` as well.
 */
function variableNames(text: string, redirects: Redirect[], source: ShellSource): string[] {
  let all = text;
  for (const redirect of redirects) if (!isNil(redirect.Hdoc)) all += `\n${source.of(redirect.Hdoc)}`;
  if (!all.includes('$')) return [];
  const names = new Set<string>();
  for (const match of all.matchAll(/\$\{?(!)?([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (match[1]) names.add('!');
    names.add(match[2] as string);
    if (names.size >= MAX_VARIABLES) break;
  }
  return [...names];
}

/** `<<'EOF'`, `<<"EOF"`, `<<\EOF`: the here-document is not expanded. */
function isQuotedDelimiter(word: Word): boolean {
  if (isNil(word)) return false;
  return items(word.Parts).some((part) => kindOf(part) !== 'Lit' || (part as Lit).Value.includes('\\'));
}

/** Only literal text: no substitution can hide inside. */
function isPlainWord(word: Word): boolean {
  for (const part of items(word.Parts)) {
    const kind = kindOf(part);
    if (kind !== 'Lit' && kind !== 'SglQuoted') return false;
  }
  return true;
}

/** `"$@"`, `$@`, `"$*"` in a `bash -c` script with static arguments. */
function positionalList(word: Word, scope: Scope): string[] | null {
  if (scope.positional === null) return null;
  const parts = items(word.Parts);
  if (parts.length !== 1) return null;
  let part = parts[0] as SyntaxNode;
  if (kindOf(part) === 'DblQuoted') {
    const inner = items((part as DblQuoted).Parts);
    if (inner.length !== 1) return null;
    part = inner[0] as SyntaxNode;
  }
  if (kindOf(part) !== 'ParamExp') return null;
  const exp = part as ParamExp;
  if (isNil(exp.Param) || !isNil(exp.Exp) || !isNil(exp.Index) || exp.Length || exp.Excl) return null;
  const name = goText(exp.Param.Value);
  if (name !== '@' && name !== '*') return null;
  const rest = scope.positional.slice(1);
  return name === '*' && kindOf(parts[0]) === 'DblQuoted' ? [rest.join(' ')] : [...rest];
}

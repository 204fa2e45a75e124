import { posix } from 'node:path';
import type { PathRequest, PathResolver } from './paths';
import type { Field } from './shell-words';
import type { GitInvocation, NormalizationProblem, NormalizedPath, SimpleCommand } from './types';

/** `bash -c "sh -c '…'"` and `$( $( … ) )` nest at most this deep. */
export const MAX_DEPTH = 8;
const MAX_COMMANDS = 2000;
const MAX_PATHS = 4000;
/** `cd a; cd b; …`: beyond this many candidate directories, relative paths are unknown. */
const MAX_DIRECTORIES = 8;

/** What feeds a command's standard input. */
export type CommandInput =
  | { kind: 'pipe'; from: SimpleCommand[]; text: string | null }
  | { kind: 'text'; text: string; dynamic: boolean }
  | { kind: 'file' };

/** Where a script runs: how deep, under which wrappers, with which `$0 $1 …`. */
export interface Scope {
  depth: number;
  wrappers: readonly string[];
  /** `$0`, `$1`, … of a `bash -c` script whose arguments are static; null when unknown. */
  positional: readonly string[] | null;
  input: CommandInput | null;
  /** Constants assigned earlier in the same top-level script may be substituted. */
  constants: boolean;
}

export function childScope(scope: Scope, wrapper: string | null, changes: Partial<Scope> = {}): Scope {
  return {
    depth: scope.depth + 1,
    wrappers: wrapper === null ? scope.wrappers : [...scope.wrappers, wrapper],
    positional: null,
    input: null,
    constants: false,
    ...changes,
  };
}

/** The growing result of normalizing one action, shared by the shell, git and MCP readers. */
export class Extraction {
  readonly commands: SimpleCommand[] = [];
  readonly paths: NormalizedPath[] = [];
  readonly git: GitInvocation[] = [];
  readonly problems: NormalizationProblem[] = [];
  /** Directories the script may be in when it touches a relative path (`cd` adds to them). */
  readonly directories: string[];
  unknownDirectory = false;
  /** `shopt -s dotglob` (or GLOBIGNORE) seen: `*` also matches dot files. */
  dotglob = false;
  /** `shopt -s globstar` seen: `**` walks directories, which expansion here does not follow. */
  globstar = false;
  /** What fed each command's standard input, for following text through a pipeline. */
  readonly inputs = new WeakMap<SimpleCommand, CommandInput>();
  /** Assigned by the shell reader: parses and extracts a nested script (`bash -c`, `eval`, …). */
  script: (text: string, scope: Scope) => SimpleCommand[] = () => [];
  private readonly pathKeys = new Set<string>();
  private full = false;

  constructor(readonly resolver: PathResolver) {
    this.directories = [resolver.root];
  }

  problem(code: NormalizationProblem['code'], message: string): void {
    if (this.problems.length >= 50) return;
    if (!this.problems.some((p) => p.code === code && p.message === message)) this.problems.push({ code, message });
  }

  addCommand(command: SimpleCommand): boolean {
    if (this.commands.length >= MAX_COMMANDS) {
      this.overflow(`more than ${MAX_COMMANDS} simple commands`);
      return false;
    }
    this.commands.push(command);
    return true;
  }

  addGit(invocation: GitInvocation): void {
    if (this.git.length < MAX_COMMANDS) this.git.push(invocation);
  }

  /** Adds the entries of one path as written, resolved against every directory the script may be in. */
  addPath(text: string, request: PathRequest): void {
    if (text === '') return;
    const relative = !/^([/\\~]|[A-Za-z]:[/\\]|file:)/i.test(text);
    const bases = request.base !== undefined || !relative ? [request.base ?? this.resolver.root] : this.directories;
    if (relative && request.base === undefined && this.unknownDirectory) {
      this.problem('unsupported', `"${text}" is relative to a directory only known at run time (cd)`);
    }
    for (const base of bases) {
      for (const entry of this.resolver.entries(text, { ...request, base })) this.pushPath(entry);
    }
  }

  /** Adds a path argument, expanding globs and refusing what cannot be known before run time. */
  addFieldPath(field: Field, request: PathRequest): void {
    if (field.processSubstitution) return;
    if (field.pattern) {
      this.addPath(field.text, { ...request, pattern: true, recursive: true });
      return;
    }
    if (field.dynamic) {
      this.problem('unsupported', `${request.via ?? 'a command'} touches a file named at run time: ${field.text}`);
      return;
    }
    if (!field.glob) {
      this.addPath(field.text, request);
      return;
    }
    this.addPath(field.text, { ...request, pattern: true });
    if (this.globstar && field.text.includes('**')) {
      this.problem('unsupported', `${field.text}: recursive globs (globstar) are not expanded`);
      return;
    }
    const bases = /^[/\\~]/.test(field.text) ? [this.resolver.root] : this.directories;
    for (const base of bases) {
      const expansion = this.resolver.expandGlob(field.text, base, { dotglob: this.dotglob });
      if (!expansion.complete) {
        this.problem('unsupported', `${field.text}: the files this glob matches cannot be listed`);
        continue;
      }
      for (const match of expansion.matches) this.addPath(match, { ...request, base });
    }
  }

  /** `cd DIR`: later relative paths may be relative to DIR. */
  changeDirectory(target: Field | null): void {
    if (target === null || target.text === '~' || target.text === '') {
      this.enterDirectory(this.resolver.home);
      return;
    }
    if (target.text === '-') return;
    if (target.dynamic || target.glob) {
      this.unknownDirectory = true;
      return;
    }
    for (const base of [...this.directories]) this.enterDirectory(this.resolver.absolute(target.text, base));
  }

  private enterDirectory(directory: string): void {
    if (this.directories.includes(directory)) return;
    if (this.directories.length >= MAX_DIRECTORIES) this.unknownDirectory = true;
    else this.directories.push(posix.normalize(directory));
  }

  private pushPath(entry: NormalizedPath): void {
    const key = `${entry.absolute}\0${entry.access}\0${entry.via}\0${entry.pattern ? 1 : 0}\0${entry.linkedFrom ?? ''}`;
    if (this.pathKeys.has(key)) return;
    if (this.paths.length >= MAX_PATHS) {
      this.overflow(`more than ${MAX_PATHS} file paths`);
      return;
    }
    this.pathKeys.add(key);
    this.paths.push(entry);
  }

  private overflow(what: string): void {
    if (this.full) return;
    this.full = true;
    this.problem('too_large', `the action touches ${what}; the rest was not examined`);
  }
}

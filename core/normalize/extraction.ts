import { posix } from 'node:path';
import { type PathRequest, type PathResolver, pathKey, standsForEveryName } from './paths';
import type { Field } from './shell-words';
import type { GitInvocation, NormalizationProblem, NormalizedPath, SimpleCommand } from './types';

/** Temporary directories and what is under them. */
const TEMPORARY = /^(\/tmp|\/var\/tmp|\/private\/tmp|\/dev\/shm)(\/|$)/;

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
  /** Symlinks this action makes (`ln -s ~/.aws a`), link → target, both absolute: later paths through them reach the target. */
  private readonly madeLinks = new Map<string, string>();
  /** Absolute paths this action downloads into (files, or directories a clone fills). */
  readonly fetched: string[] = [];
  /** CAVRA's configured data directory, what `$CAVRA_HOME` stands for unless the text sets it. */
  dataDirectory: string | null = null;
  /** Absolute paths of the programs and scripts this action runs. */
  readonly runs: string[] = [];
  /** Variables exported earlier in the text (`export HUSKY=0`): later commands run with them. */
  readonly exported: Record<string, string> = {};
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
    const nul = text.indexOf('\0');
    if (nul !== -1) {
      // The OS (and bash, for `$'…\x00…'`) reads a path only up to a NUL byte: judge that path
      // too, and refuse the action, which never means what its text says.
      this.problem('malformed', `the path ${JSON.stringify(text.slice(0, 200))} contains a NUL byte`);
      this.addPath(text.slice(0, nul), request);
      return;
    }
    const relative = !/^([/\\~]|[A-Za-z]:[/\\]|file:)/i.test(text);
    const bases = request.base !== undefined || !relative ? [request.base ?? this.resolver.root] : this.directories;
    if (relative && request.base === undefined && this.unknownDirectory) {
      this.problem('unsupported', `"${text}" is relative to a directory only known at run time (cd)`);
    }
    for (const base of bases) {
      for (const entry of this.resolver.entries(text, { ...request, base })) this.pushPath(entry);
      const lexical = this.resolver.absolute(text, base);
      const walks = request.reached === undefined || request.reached === 'home';
      if (request.recursive && !request.pattern && walks) this.walkInto(lexical, request, null);
      // Contained: the same place in the user's own home is judged as well (see homeTwins).
      const behind = this.resolver.userHomeBehind(lexical);
      if (behind !== null) this.addPath(behind, { ...request, base: undefined, reached: 'home' });
      // The command making the link does not touch its target through it.
      const through = request.via === 'ln' || request.via === 'cp' ? null : this.throughMadeLink(lexical);
      if (through !== null) this.addPath(through, { ...request, base: undefined });
    }
    this.reportHardLinks(request.via);
  }

  /**
   * A recursive reader, archiver, copier or remover reaches every file under `directory`:
   * each is judged as touched. The whole file system, a home directory and the directories
   * above the workspace are not walked: they certainly hold credentials.
   */
  private walkInto(directory: string, request: PathRequest, names: readonly string[] | null): boolean {
    const { resolver } = this;
    const workspace = resolver.workspace;
    const via = request.via ?? 'a command';
    const ancestor = workspace !== null && workspace.startsWith(`${directory}/`);
    // Contained, the user's own home stands behind the sandbox's: it holds the same credentials.
    const isHome = directory === resolver.home || directory === resolver.userHome;
    if (directory === '/' || isHome || (ancestor && names === null)) {
      this.problem('unsupported', `${via} reaches every file under ${directory}`);
      return false;
    }
    // Temporary directories hold scratch files; of a temporary directory above the workspace,
    // only the workspace's own files matter (`find /tmp -name 'x-*' -delete`).
    const inWorkspace = workspace !== null && (directory === workspace || directory.startsWith(`${workspace}/`));
    const inHome =
      directory.startsWith(`${resolver.home}/`) ||
      (resolver.userHome !== null && directory.startsWith(`${resolver.userHome}/`));
    if (TEMPORARY.test(directory) && !ancestor && !inWorkspace && !inHome) return true;
    // Above the workspace, a name filter is judged over the directory itself when it is a
    // project directory (`find .. -name '*env*' -exec cat {} +` from a subdirectory reaches
    // the repository's .env), and over the workspace only when the directory also holds the
    // home directory: a bounded walk that runs out needs a reviewer either way.
    const holds = (home: string | null) => home !== null && (home === directory || home.startsWith(`${directory}/`));
    const holdsHome = holds(resolver.home) || holds(resolver.userHome);
    const root = ancestor && holdsHome ? (workspace as string) : directory;
    const walked = resolver.walk(root, { ...request.walk, ...(names ? { names } : {}) });
    if (walked === null) return false;
    if (!walked.complete) this.problem('too_large', `${via} reaches more files under ${directory} than can be judged`);
    const entry: PathRequest = {
      access: request.access,
      source: request.source,
      via: request.via,
      ...(request.reached === 'home' ? { reached: 'home' as const } : {}),
    };
    const found = resolver.walkedEntries(walked, entry);
    for (let i = 0; i < found.entries.length; i++)
      this.pushPath(found.entries[i] as NormalizedPath, found.keys[i] as string);
    for (const link of walked.links)
      for (const found of resolver.entries(link, { ...entry, reached: 'walk' })) this.pushPath(found);
    return walked.complete;
  }

  /**
   * Walks the tree a find or xargs pattern stands for (a directory, a double star, maybe a
   * name). False when some of it could not be walked.
   */
  private walkPattern(text: string, request: PathRequest): boolean {
    const at = text.indexOf('/**');
    if (at === -1 || !/^\/\*\*(\/[^/]+)?$/.test(text.slice(at))) return false;
    const name = text.slice(at + 4);
    const directory = text.slice(0, at) || '/';
    const bases = /^([/\\~])/.test(directory) ? [this.resolver.root] : this.directories;
    let complete = true;
    for (const base of bases)
      if (!this.walkInto(this.resolver.absolute(directory, base), request, name === '' || name === '*' ? null : [name]))
        complete = false;
    return complete;
  }

  private reportHardLinks(via: string | null): void {
    const links = this.resolver.unresolvedHardLinks;
    while (links.length > 0) {
      const file = links.pop() as string;
      this.problem(
        'unsupported',
        `${via ?? 'a command'} touches ${file}, a hard link whose other names are outside the workspace`,
      );
    }
  }

  /** Adds a path argument, expanding globs and refusing what cannot be known before run time. */
  addFieldPath(field: Field, request: PathRequest): void {
    if (field.processSubstitution) return;
    if ((field.pattern || field.glob) && request.reached === undefined) this.homeTwins(field, request);
    if (field.pattern) {
      // Judged by the files it reaches on disk; only when they cannot all be listed does the
      // pattern stand for every protected name it could match.
      const walking = field.walk ? { ...request, walk: { ...request.walk, ...field.walk } } : request;
      if (!this.walkPattern(field.text, walking))
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
    if (this.globstar && field.text.includes('**')) {
      const text = field.text.startsWith('**') ? `./${field.text}` : field.text;
      if (/^[^*?[]*\/\*\*(\/[^/]+)?$/.test(text)) {
        if (!this.walkPattern(text, request)) this.addPath(field.text, { ...request, pattern: true });
        return;
      }
      this.addPath(field.text, { ...request, pattern: true });
      this.problem('unsupported', `${field.text}: recursive globs (globstar) this deep are not expanded`);
      return;
    }
    const bases = /^[/\\~]/.test(field.text) ? [this.resolver.root] : this.directories;
    for (const base of bases) {
      const expansion = this.resolver.expandGlob(field.text, base, { dotglob: this.dotglob });
      if (!expansion.complete) {
        // What it will match at run time is unknown: judged as every protected name it could stand for.
        this.addPath(field.text, { ...request, pattern: true, base });
        this.problem('unsupported', `${field.text}: the files this glob matches cannot be listed`);
        continue;
      }
      // The glob is judged by what it matches now; with no match bash passes the pattern on as a name.
      // `rm -rf *` also stands for the directory's whole content, which the path rules see as such.
      if (expansion.matches.length === 0 || standsForEveryName(field.text))
        this.addPath(field.text, { ...request, pattern: true, base });
      for (const match of expansion.matches) this.addPath(match, { ...request, base });
    }
  }

  /**
   * Contained, `~` is the sandbox's home; what a home holds (credentials, start-up files) is
   * protected there too, so a glob or tree in the sandbox's home is also expanded and walked at
   * the same place in the user's own home, and judged by the rules that name what it reaches.
   */
  private homeTwins(field: Field, request: PathRequest): void {
    const bases =
      request.base !== undefined || /^[/\\~]/.test(field.text)
        ? [request.base ?? this.resolver.root]
        : this.directories;
    const seen = new Set<string>();
    for (const base of bases) {
      const behind = this.resolver.userHomeBehind(this.resolver.absolute(field.text, base));
      if (behind === null || seen.has(behind)) continue;
      seen.add(behind);
      this.addFieldPath({ ...field, text: behind }, { ...request, base: undefined, reached: 'home' });
    }
  }

  /** `ln -s TARGET LINK` in this action: paths through LINK later in the action reach TARGET. */
  makeLink(link: string, target: string): void {
    if (this.madeLinks.size < 32) this.madeLinks.set(link, target);
  }

  /** The path with a link made earlier in this action replaced by its target; null when none applies. */
  private throughMadeLink(path: string): string | null {
    for (const [link, target] of this.madeLinks) {
      if (path === link) return target;
      if (path.startsWith(`${link}/`)) return target + path.slice(link.length);
    }
    return null;
  }

  /** Records where a download lands (as written, relative to where the script may be). */
  fetch(text: string): void {
    if (text === '' || this.fetched.length >= 64) return;
    for (const base of /^[/\\~]/.test(text) ? [this.resolver.root] : this.directories)
      this.fetched.push(this.resolver.absolute(text, base));
  }

  /** Records a program or script this action runs. */
  run(text: string): void {
    if (text === '' || this.runs.length >= 256) return;
    for (const base of /^[/\\~]/.test(text) ? [this.resolver.root] : this.directories)
      this.runs.push(this.resolver.absolute(text, base));
  }

  /** Whether a file or directory of this name exists where the script may be. */
  nameExists(name: string): boolean {
    return this.directories.some((base) => this.resolver.exists(this.resolver.absolute(name, base)));
  }

  /**
   * Where a program named by a path lives: inside the workspace only when every directory the
   * script may be in puts it there and no symlink leads out.
   */
  programLocation(text: string): { path: string; inWorkspace: boolean } {
    const bases = /^([/\\~])/.test(text) ? [this.resolver.root] : this.directories;
    let inWorkspace = this.resolver.workspace !== null && !this.unknownDirectory;
    let path = '';
    for (const base of bases) {
      const entries = this.resolver.entries(text, { access: 'read', source: 'command', via: null, base });
      path ||= entries[0]?.absolute ?? '';
      if (entries.length === 0 || entries.some((entry) => entry.outsideWorkspace)) inWorkspace = false;
      // A program that is not there yet is not the workspace's own (`npx github:x/y`, a later download).
      if (entries[0] && !this.resolver.exists(entries[0].absolute)) inWorkspace = false;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(text)) inWorkspace = false;
    return { path, inWorkspace };
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

  private pushPath(entry: NormalizedPath, key: string = pathKey(entry)): void {
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

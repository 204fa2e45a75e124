import type { Action, ActionType } from '../contract';

/*
 * Additive changes since the first version of this seam (all optional, so hand-built
 * fixtures stay valid; the normalizer always fills them where they apply):
 * - SimpleCommand.inputFrom: programs whose output the command reads (`curl … | sh`).
 * - NormalizedPath.linkedFrom / pattern / recursive: symlink targets, glob patterns and
 *   recursive walks (see each field).
 * - GitInvocation.globalOptions; GitPush.noVerify, pushOptions; GitRefUpdate.implicit.
 * - `commands` may also be filled for git_operation and mcp_tool_call actions when they carry
 *   shell commands (`git -c alias.x='!sh …'`, an MCP tool that runs a command).
 * Conventions:
 * - Wrappers (`sudo`, `env`, `timeout`, …) are peeled into `wrappers` and are not commands of
 *   their own; shells and `eval` are recorded themselves as well as the commands they run.
 * - A path reached through a symlink gives two entries: as written, then the target.
 * - `~` and `$HOME` are expanded to the real home directory in `absolute`; command
 *   arguments keep `~` (`rm -rf $HOME` has args `-rf ~`).
 * - Without a `cwd`, relative paths resolve against the placeholder `/unknown-workspace`:
 *   `relative` is the normalized relative form, `outsideWorkspace` is true for absolute paths
 *   and for relative paths that climb out of it.
 * - Backslashes count as path separators (`config\..\.env` is `.env`).
 */

/**
 * The seam between normalization and policy: everything a rule may match, derived from
 * the raw Action. Rules match these fields, never raw text (SPEC §3).
 */
export interface NormalizedAction {
  type: ActionType;
  action: Action;
  /** Absolute workspace root (from `cwd`), or null when the action gave none. */
  workspace: string | null;
  /** A short human form of what is being done, e.g. `terraform apply` or `config/.env`. */
  target: string;
  /** Every simple command found, at any nesting depth (execute_command; shell commands carried by git or MCP). */
  commands: SimpleCommand[];
  /** Every file the action touches: the action's own path, command file arguments, MCP path arguments. */
  paths: NormalizedPath[];
  /** Git invocations: the git_operation itself, or `git …` commands found inside a shell command. */
  git: GitInvocation[];
  mcp: McpCall | null;
  /** Why part of the action could not be understood. Any problem means at least require_approval. */
  problems: NormalizationProblem[];
  /** Absolute paths the action downloads into from the network (`curl -o`, `wget`, `git clone`). */
  fetched?: string[];
  /** Absolute paths of programs and scripts the action runs (`./x`, `bash x.sh`, `python3 x.py`). */
  runs?: string[];
  /** Normalized for a run inside the tenant's sandbox, whose HOME is `home`; absent when not contained. */
  contained?: { home: string };
}

export interface SimpleCommand {
  /** Program name with its directory removed: `/usr/local/bin/terraform` → `terraform`. */
  program: string;
  /** Arguments with quotes and escapes removed. */
  args: string[];
  /**
   * The program was named by a path (`./scripts/test.sh`, `node_modules/.bin/vitest`) that lies
   * inside the workspace; false when the path leads outside it, absent when found on PATH.
   */
  programInWorkspace?: boolean;
  /** The program's absolute path when it was named by a path. */
  programPath?: string;
  /** `NAME=value` assignments in front of the command or given to `env`. */
  assignments: Record<string, string>;
  /**
   * Wrappers peeled off in front, outermost first: `sudo`, `env`, `timeout`, `xargs`, `bash -c`,
   * `bash -s` (script from stdin), `eval`, `find -exec`, `ssh`, `mcp server/tool`, …
   */
  wrappers: string[];
  /** 0 for the top level; +1 for each `bash -c`/`eval`/substitution it was found inside. */
  depth: number;
  /** True when the program or an argument depends on an expansion that cannot be known statically. */
  dynamic: boolean;
  /** Source text of this simple command, for explanations. */
  text: string;
  /**
   * Programs whose output this command reads: the previous stage of a pipeline
   * (`curl … | sh` gives `sh` `['curl']`), `<( )` and `$( )` in its arguments. Empty when none.
   */
  inputFrom?: string[];
  /** What feeds the command's standard input: a pipe, text (here-document or here-string), a file; absent for the terminal. */
  stdin?: 'pipe' | 'text' | 'file';
  /**
   * Variables whose values the command reads or hands on: `$NAME`/`${NAME}` in its words,
   * redirections and here-documents, `ENVIRON["NAME"]` in awk programs, `env.NAME` in jq. `!`
   * stands for an indirect expansion (`${!v}`, `${!PREFIX*}`) whose name is chosen at run time.
   */
  variables?: string[];
}

export interface NormalizedPath {
  /**
   * Absolute, with `~`, `.`/`..`, duplicate slashes and backslashes resolved. When symlinks
   * lead elsewhere, the resolved target follows as an entry of its own (see `linkedFrom`).
   */
  absolute: string;
  /** POSIX-style path relative to the workspace (or the unknown one, without cwd); null when outside it. */
  relative: string | null;
  outsideWorkspace: boolean;
  access: 'read' | 'write';
  /** Where it came from: the action's own `path`, a command's file argument, or an MCP argument. */
  source: 'action' | 'command' | 'mcp';
  /** The command or tool that touches it, e.g. `cat` or `filesystem/read_file`. */
  via: string | null;
  /**
   * Set on the entry for a symlink's target: the absolute path as written, which has its own
   * entry just before. Both are judged, so a link in the workspace to `~/.ssh/id_rsa` is caught.
   */
  linkedFrom?: string;
  /**
   * The path is a glob standing for the files it matches: `cat .en*`, or `find DIR -name P
   * -exec cat {} ;` as DIR joined with `**` and P. Matches found on disk have entries of their own.
   */
  pattern?: boolean;
  /** The command walks this directory recursively (`grep -r`, `cp -r`, `tar c`, `find`). */
  recursive?: boolean;
  /**
   * How the path relates to the workspace when it is not simply a file in it: the workspace
   * root itself, a directory containing the workspace, or a neighbour beside the workspace
   * (under the workspace's parent directory), or the home directory or a directory directly in
   * it (`~/projects`, where the user's other work lives). Absent for anything else.
   */
  spans?: 'workspace' | 'ancestor' | 'sibling' | 'home';
  /**
   * Found on disk rather than named: a file inside a directory the command walks
   * (`grep -r`, `tar c`), or another name of the same file (a hard link). `home`: in a
   * contained action, the same place in the user's own home as a path written in the sandbox's
   * home (`linkedFrom`), so what protects a home's credentials and start-up files holds in both.
   */
  reached?: 'walk' | 'hard_link' | 'home';
}

export interface GitRefUpdate {
  /** Local side of a refspec; null for a deletion (`:branch` or `--delete`). */
  src: string | null;
  /** Remote ref, short form when given short (`main`), as written otherwise (`refs/heads/main`). */
  dst: string;
  /** `+refspec`, or the push is forced as a whole. */
  force: boolean;
  delete: boolean;
  /**
   * The destination is only known at run time (`HEAD:$BRANCH`) or is a wildcard
   * (`refs/heads/*:refs/heads/*`): it may be any branch, a protected one included.
   */
  unknown?: boolean;
  /**
   * No refspec was given: git pushes the current branch. `src`/`dst` are that branch when it
   * could be read from the repository's HEAD, else `HEAD` (unknown branch).
   */
  implicit?: boolean;
}

export interface GitInvocation {
  subcommand: string;
  /**
   * `-c key=value` options given before the subcommand, and `GIT_CONFIG_KEY_n`/`VALUE_n`
   * from the environment. Section and key names are lowercased (`core.hookspath`).
   */
  config: Record<string, string>;
  args: string[];
  push: GitPush | null;
  /** Where `git fetch` or `git pull` fetches from. */
  fetch?: GitFetch | null;
  /** Options before the subcommand as written (`-C dir`, `--git-dir=…`, `--no-pager`). */
  globalOptions?: string[];
}

export interface GitFetch {
  /** The remotes named (several with `--multiple`); empty for the branch's own remote or `--all`. */
  remotes: string[];
  /** A remote is a URL or a path (`https://…`, `../repo`) or only known at run time. */
  remoteIsLocation: boolean;
}

export interface GitPush {
  remote: string | null;
  /** The remote is a URL or a path (`https://…`, `git@host:x`, `../repo`) rather than a configured name. */
  remoteIsLocation?: boolean;
  refs: GitRefUpdate[];
  force: boolean;
  forceWithLease: boolean;
  /** Forced without a lease: `-f`/`--force`, `--force-if-includes` alone, or a `+refspec`. */
  hardForce?: boolean;
  mirror: boolean;
  all: boolean;
  tags: boolean;
  delete: boolean;
  /** `--no-verify`: the pre-push hook is skipped. */
  noVerify?: boolean;
  /** `-o`/`--push-option` values. */
  pushOptions?: string[];
}

export interface McpCall {
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
}

export interface NormalizationProblem {
  /**
   * `malformed`: the action cannot mean what it appears to (a NUL byte in a path); `runaway`: it
   * starts processes without end (a fork bomb); `guard`: it reaches CAVRA's own configured data
   * directory. Policy denies these; the others need a reviewer.
   */
  code: 'parse_error' | 'depth_exceeded' | 'too_large' | 'unsupported' | 'malformed' | 'runaway' | 'guard';
  message: string;
}

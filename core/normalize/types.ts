import type { Action, ActionType } from '../contract';

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
  /** Every simple command found, at any nesting depth (execute_command; empty otherwise). */
  commands: SimpleCommand[];
  /** Every file the action touches: the action's own path, command file arguments, MCP path arguments. */
  paths: NormalizedPath[];
  /** Git invocations: the git_operation itself, or `git …` commands found inside a shell command. */
  git: GitInvocation[];
  mcp: McpCall | null;
  /** Why part of the action could not be understood. Any problem means at least require_approval. */
  problems: NormalizationProblem[];
}

export interface SimpleCommand {
  /** Program name with its directory removed: `/usr/local/bin/terraform` → `terraform`. */
  program: string;
  /** Arguments with quotes and escapes removed. */
  args: string[];
  /** `NAME=value` assignments in front of the command or given to `env`. */
  assignments: Record<string, string>;
  /** Wrappers peeled off in front, outermost first: `sudo`, `env`, `timeout`, `xargs`, `bash -c`, … */
  wrappers: string[];
  /** 0 for the top level; +1 for each `bash -c`/`eval`/substitution it was found inside. */
  depth: number;
  /** True when the program or an argument depends on an expansion that cannot be known statically. */
  dynamic: boolean;
  /** Source text of this simple command, for explanations. */
  text: string;
}

export interface NormalizedPath {
  /** Absolute, with `.`/`..`/duplicate slashes resolved and symlinks resolved where the file exists. */
  absolute: string;
  /** POSIX-style path relative to the workspace, or null when outside it (or no workspace). */
  relative: string | null;
  outsideWorkspace: boolean;
  access: 'read' | 'write';
  /** Where it came from: the action's own `path`, a command's file argument, or an MCP argument. */
  source: 'action' | 'command' | 'mcp';
  /** The command or tool that touches it, e.g. `cat` or `filesystem/read_file`. */
  via: string | null;
}

export interface GitRefUpdate {
  /** Local side of a refspec; null for a deletion (`:branch` or `--delete`). */
  src: string | null;
  /** Remote ref, short form when given short (`main`), as written otherwise (`refs/heads/main`). */
  dst: string;
  /** `+refspec`, or the push is forced as a whole. */
  force: boolean;
  delete: boolean;
}

export interface GitInvocation {
  subcommand: string;
  /** `-c key=value` options given before the subcommand. */
  config: Record<string, string>;
  args: string[];
  push: GitPush | null;
}

export interface GitPush {
  remote: string | null;
  refs: GitRefUpdate[];
  force: boolean;
  forceWithLease: boolean;
  mirror: boolean;
  all: boolean;
  tags: boolean;
  delete: boolean;
}

export interface McpCall {
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
}

export interface NormalizationProblem {
  code: 'parse_error' | 'depth_exceeded' | 'too_large' | 'unsupported';
  message: string;
}

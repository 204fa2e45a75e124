import os from 'node:os';
import { ACTION_LIMITS, type Action } from '../contract';
import { childScope, Extraction, type Scope } from './extraction';
import { readGit, staticFields } from './git';
import { readMcp } from './mcp';
import { type FileSystemProbe, homeForm, PathResolver, realFileSystem } from './paths';
import { programSpec } from './programs/registry';
import { extractScript } from './shell';
import type { NormalizedAction, NormalizedPath } from './types';

export interface NormalizeOptions {
  /**
   * Asked for symlinks, glob matches and the current git branch. Defaults to the real file
   * system; `null` keeps normalization purely lexical (then globs cannot be judged).
   */
  fs?: FileSystemProbe | null;
  /** The home directory `~` and `$HOME` stand for. Defaults to the current user's. */
  home?: string;
  /**
   * CAVRA's own data directories (the configured CAVRA_HOME, as given and resolved): `$CAVRA_HOME`
   * stands for the first, and any path inside one (or a write to one or a directory holding
   * it) is a `guard` finding, denied whatever the packs say.
   */
  dataDirectories?: readonly string[];
  /**
   * The action runs inside the tenant's sandbox (`cavra exec` with containment active), where
   * HOME is the sandbox's own home: `~` and `$HOME` stand for it. Set only by the gate from
   * the grant it issues, never from what the action says about itself.
   */
  containment?: ContainmentContext;
}

/** Where a contained action runs: the sandbox's home directory (HOME inside the sandbox). */
export interface ContainmentContext {
  home: string;
}

const TARGET_LENGTH = 200;
let defaultHome: string | null = null;

/**
 * Derives everything policy rules match from a raw Action. Never throws: whatever cannot be
 * understood is reported in `problems`, which policy turns into at least require_approval.
 */
export function normalizeAction(action: Action, options: NormalizeOptions = {}): NormalizedAction {
  const userHome = options.home ?? (defaultHome ??= os.homedir());
  // Contained, `~` is the sandbox's home; the user's own home stays behind it for the rules
  // that protect what a home holds (credentials, start-up files), whichever home it is.
  const home = options.containment?.home ?? userHome;
  const probe = options.fs === undefined ? realFileSystem : options.fs;
  const problems: NormalizedAction['problems'] = [];
  const workspace = workspaceOf(action.cwd, userHome, problems);
  const resolver = new PathResolver(workspace, home, probe, options.containment ? userHome : null);
  const extraction = new Extraction(resolver);
  extraction.dataDirectory = options.dataDirectories?.[0] ?? null;
  extraction.script = (text, scope) => extractScript(extraction, text, scope);
  extraction.problems.push(...problems);
  let mcp: NormalizedAction['mcp'] = null;
  try {
    switch (action.type) {
      case 'read_file':
      case 'write_file':
        if (action.path !== undefined) {
          const access = action.type === 'read_file' ? 'read' : 'write';
          extraction.addPath(action.path, {
            access,
            source: 'action',
            via: null,
            ...(/[*?]/.test(action.path) ? { pattern: true } : {}),
          });
        }
        break;
      case 'execute_command':
        command(extraction, action.command ?? '');
        break;
      case 'git_operation':
        git(extraction, action.git?.args ?? []);
        break;
      case 'mcp_tool_call':
        if (action.mcp) {
          mcp = { server: action.mcp.server, tool: action.mcp.tool, arguments: action.mcp.arguments ?? {} };
          readMcp(extraction, mcp);
        }
        break;
    }
  } catch (error) {
    // Normalization must never crash the gate; an action it could not finish is a problem.
    extraction.problem(
      'unsupported',
      `normalization failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  for (const problem of guardFindings(extraction.paths, options.dataDirectories ?? []))
    extraction.problems.push(problem);
  // Running what the same action downloads is running code from the network.
  for (const ran of extraction.runs) {
    const source = extraction.fetched.find((fetched) => ran === fetched || ran.startsWith(`${fetched}/`));
    if (source !== undefined)
      extraction.problem('unsupported', `runs ${ran}, which this action downloads from the network`);
  }
  // Running what the same action writes is running code no one has judged: the text of the
  // file is not the command's (`printf 'cat .env' > s.sh; sh s.sh`). Inside the sandbox that
  // code is bounded as inline code is, so the contained judgement leaves it to the packs.
  if (!options.containment) {
    // A run names a file or a directory whose files run (`node_modules`, `.cargo`): a write
    // anywhere under it counts.
    const written = extraction.paths
      .filter((p) => p.access === 'write' && !(p.via !== null && programSpec(p.via)?.writesNoCode === true))
      .map((p) => p.absolute);
    for (const ran of new Set(extraction.runs)) {
      if (!written.some((path) => path === ran || path.startsWith(`${ran}/`))) continue;
      extraction.problem('unsupported', `runs ${ran}, which this same action writes: its code cannot be judged first`);
    }
  }
  const normalized: NormalizedAction = {
    type: action.type,
    action,
    workspace,
    target: '',
    commands: extraction.commands,
    paths: extraction.paths,
    git: extraction.git,
    mcp,
    problems: extraction.problems,
    ...(extraction.fetched.length > 0 ? { fetched: [...new Set(extraction.fetched)] } : {}),
    ...(extraction.runs.length > 0 ? { runs: [...new Set(extraction.runs)] } : {}),
    ...(options.containment ? { contained: { home: options.containment.home } } : {}),
  };
  normalized.target = targetOf(normalized, home);
  return normalized;
}

const ROOT: Scope = { depth: 0, wrappers: [], positional: null, input: null, constants: true };

function command(extraction: Extraction, text: string): void {
  if (text.length > ACTION_LIMITS.command) {
    extraction.problem('too_large', `the command is longer than ${ACTION_LIMITS.command} characters`);
    return;
  }
  if (text.trim() === '') {
    extraction.problem('parse_error', 'the command is empty');
    return;
  }
  // Options that change what globs match, wherever they are set in the script.
  extraction.dotglob = /dotglob|GLOBIGNORE/.test(text);
  extraction.globstar = /globstar/.test(text);
  extractScript(extraction, text, ROOT);
}

function git(extraction: Extraction, args: readonly string[]): void {
  const { resolver } = extraction;
  const reading = readGit(staticFields(args), {}, (directories) =>
    resolver.currentBranch(directories.reduce((current, next) => resolver.absolute(next, current), resolver.root)),
  );
  extraction.addGit(reading.invocation);
  const base = reading.directories.reduce((current, next) => resolver.absolute(next, current), resolver.root);
  for (const file of reading.files)
    extraction.addFieldPath(file.field, {
      access: file.access,
      source: 'action',
      via: 'git',
      base,
      ...(file.recursive ? { recursive: true } : {}),
      ...(file.walk ? { walk: file.walk } : {}),
    });
  for (const problem of reading.problems) extraction.problem('unsupported', problem);
  for (const script of reading.scripts) {
    if (script.dynamic)
      extraction.problem('unsupported', `the command run by ${script.label} is only known at run time`);
    extraction.script(script.text, childScope({ ...ROOT, constants: false }, script.label));
  }
}

/**
 * Paths that reach CAVRA's own data directory (tokens, tenant stores, the ledger): anything
 * inside it, and a write to it or to a directory that holds it (`rm -rf ~/.config`). The
 * packs protect the default locations by name; the configured one is known only here.
 */
function guardFindings(paths: readonly NormalizedPath[], directories: readonly string[]): NormalizedAction['problems'] {
  const found = new Set<string>();
  for (const directory of directories) {
    if (directory === '' || directory === '/') continue;
    for (const path of paths) {
      for (const absolute of path.linkedFrom ? [path.absolute, path.linkedFrom] : [path.absolute]) {
        const inside = absolute.startsWith(`${directory}/`);
        const holds = absolute === directory || directory.startsWith(`${absolute === '/' ? '' : absolute}/`);
        if (inside || (holds && path.access === 'write')) found.add(`${path.via ?? path.access} ${absolute}`);
      }
    }
  }
  return [...found].slice(0, 5).map((what) => ({
    code: 'guard' as const,
    message: `${what} reaches CAVRA's own data directory`,
  }));
}

function workspaceOf(cwd: string | undefined, home: string, problems: NormalizedAction['problems']): string | null {
  if (cwd === undefined) return null;
  if (cwd.includes('\0')) {
    problems.push({ code: 'malformed', message: `cwd ${JSON.stringify(cwd.slice(0, 200))} contains a NUL byte` });
    return null;
  }
  if (!/^([/\\~]|[A-Za-z]:[/\\])/.test(cwd)) {
    problems.push({ code: 'unsupported', message: `cwd is not an absolute path: ${cwd.slice(0, 200)}` });
    return null;
  }
  return new PathResolver(null, home, null).absolute(cwd);
}

function shown(path: NormalizedPath, home: string): string {
  return path.relative ?? homeForm(path.absolute, home) ?? path.absolute;
}

function shorten(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > TARGET_LENGTH ? `${collapsed.slice(0, TARGET_LENGTH - 1)}…` : collapsed;
}

function quoteWord(word: string): string {
  return /^[\w@%+=:,./~^-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The short human form shown in the console and carried by the Decision. */
function targetOf(normalized: NormalizedAction, home: string): string {
  const { action } = normalized;
  switch (action.type) {
    case 'read_file':
    case 'write_file': {
      const own = normalized.paths.find((path) => path.source === 'action' && path.linkedFrom === undefined);
      return shorten(own ? shown(own, home) : (action.path ?? ''));
    }
    case 'execute_command':
      return shorten(action.command ?? '');
    case 'git_operation':
      return shorten(['git', ...(action.git?.args ?? []).map(quoteWord)].join(' '));
    case 'mcp_tool_call': {
      const label = action.mcp ? `${action.mcp.server}/${action.mcp.tool}` : 'mcp';
      const first = normalized.paths.find((path) => path.source === 'mcp' && path.linkedFrom === undefined);
      return shorten(first ? `${label} ${shown(first, home)}` : label);
    }
  }
}

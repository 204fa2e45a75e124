import { type PatchApplication, readPatchApplication } from './patches';
import type { Access } from './paths';
import type { Field } from './shell-words';
import { type OptionGrammar, hasOption, scanArguments } from './command-options';
import type { GitFetch, GitInvocation, GitPush, GitRefUpdate } from './types';
import { GIT_CONFIG_FILE_OPTIONS } from './programs/git-config';

/** A file git reads or writes on the command's behalf (`git show HEAD:.env`, `git rm x`). */
interface GitFile {
  field: Field;
  access: Access;
  /** Directories git walks (`git grep PATTERN dir`, `git archive HEAD dir`). */
  recursive?: boolean;
  walk?: { ignoreFiles?: boolean; followLinks?: boolean };
}

/** A shell command git runs for this invocation (`alias.x=!…`, `core.sshCommand`, `--receive-pack`). */
interface GitScript {
  text: string;
  dynamic: boolean;
  label: string;
}

interface GitReading {
  invocation: GitInvocation;
  /** `-C dir` options in order: later paths are relative to them. */
  directories: string[];
  files: GitFile[];
  scripts: GitScript[];
  /** What cannot be judged (`--ext-diff` runs whatever the repository configures). */
  problems: string[];
  /** `git apply|am`: the patch it applies, whose files it writes. */
  patch: PatchApplication | null;
}

/** Current branch of the repository at a directory, when it can be read. */
type BranchReader = (directories: readonly string[]) => string | null;

const MAX_ALIAS_EXPANSIONS = 8;

/** git's options before the subcommand that take a value, and those that take none (also the matcher's git table). */
export const GIT_GLOBAL_VALUES: ReadonlySet<string> = new Set([
  '-C',
  '-c',
  '--config-env',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--list-cmds',
  '--attr-source',
  '--exec-path',
]);
export const GIT_GLOBAL_FLAGS: ReadonlySet<string> = new Set([
  '--no-pager',
  '-p',
  '--paginate',
  '-P',
  '--bare',
  '--no-replace-objects',
  '--no-lazy-fetch',
  '--literal-pathspecs',
  '--glob-pathspecs',
  '--noglob-pathspecs',
  '--icase-pathspecs',
  '--no-optional-locks',
  '--no-advice',
]);

/** Config keys whose value is a command git runs (lowercased; `*` stands for a subsection). */
const COMMAND_KEYS = [
  /^core\.(sshcommand|pager|editor|askpass|fsmonitor|alternaterefscommand)$/,
  /^sequence\.editor$/,
  /^pager\..+$/,
  /^diff\.external$/,
  /^diff\..+\.(command|textconv)$/,
  /^difftool\..+\.cmd$/,
  /^mergetool\..+\.cmd$/,
  /^merge\..+\.driver$/,
  /^filter\..+\.(clean|smudge|process)$/,
  /^gpg(\..+)?\.program$/,
  /^uploadpack\.packobjectshook$/,
  /^credential(\..+)?\.helper$/,
  /^alias\..+$/,
];

/** Environment variables holding a command git runs. */
const COMMAND_VARIABLES = [
  'GIT_SSH_COMMAND',
  'GIT_SSH',
  'GIT_EXTERNAL_DIFF',
  'GIT_PAGER',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'GIT_ASKPASS',
];

export function staticFields(args: readonly string[]): Field[] {
  return args.map((text) => ({ text, dynamic: false, glob: false, processSubstitution: false }));
}

/** Reads `git [global options] <subcommand> [args]`, expanding aliases given with `-c`. */
export function readGit(args: readonly Field[], environment: Record<string, string>, branch: BranchReader): GitReading {
  const config: Record<string, string> = {};
  const globalOptions: string[] = [];
  const directories: string[] = [];
  const scripts: GitScript[] = [];
  readEnvironmentConfig(environment, config);
  let rest = [...args];
  let i = 0;
  for (; i < rest.length; i++) {
    const field = rest[i] as Field;
    const arg = field.text;
    if (!arg.startsWith('-') || arg === '-') break;
    globalOptions.push(arg);
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    if (!GIT_GLOBAL_VALUES.has(name)) continue;
    const value = eq !== -1 && arg.startsWith('--') ? arg.slice(eq + 1) : rest[++i]?.text;
    if (value === undefined) break;
    if (eq === -1 || !arg.startsWith('--')) globalOptions.push(value);
    if (name === '-C') directories.push(value);
    if (name === '-c') setConfig(config, value);
    if (name === '--config-env') {
      const split = value.lastIndexOf('=');
      if (split > 0) config[configKey(value.slice(0, split))] = `$${value.slice(split + 1)}`;
    }
  }
  rest = rest.slice(i);
  let subcommand = rest[0]?.text ?? '';
  let subArgs = rest.slice(1);
  for (let expansions = 0; expansions < MAX_ALIAS_EXPANSIONS; expansions++) {
    const alias = config[`alias.${subcommand.toLowerCase()}`];
    if (alias === undefined || alias.startsWith('!')) break;
    const words = splitAlias(alias);
    if (words.length === 0) break;
    subcommand = words[0] as string;
    subArgs = [...staticFields(words.slice(1)), ...subArgs];
  }
  for (const [key, value] of Object.entries(config)) {
    if (!COMMAND_KEYS.some((pattern) => pattern.test(key))) continue;
    if (key.startsWith('alias.') || key.startsWith('credential')) {
      if (value.startsWith('!')) scripts.push({ text: value.slice(1), dynamic: false, label: 'git -c' });
    } else if (!/^(true|false|yes|no|on|off|[01])$/i.test(value)) {
      scripts.push({ text: value, dynamic: value.startsWith('$'), label: 'git -c' });
    }
  }
  for (const variable of COMMAND_VARIABLES) {
    const value = environment[variable];
    if (value !== undefined && value !== '') scripts.push({ text: value, dynamic: false, label: 'git' });
  }
  const invocation: GitInvocation = {
    subcommand,
    config,
    args: subArgs.map((field) => field.text),
    push: null,
    globalOptions,
  };
  if (subcommand === 'push') {
    const push = readPush(subArgs, () => branch(directories));
    invocation.push = push.push;
    scripts.push(...push.scripts);
  }
  if (subcommand === 'fetch' || subcommand === 'pull') invocation.fetch = readFetch(subArgs);
  // `git submodule add URL path` clones URL into the workspace: a fetch from that location.
  if (subcommand === 'submodule' && subArgs[0]?.text === 'add') {
    const url = submoduleUrl(subArgs.slice(1));
    if (url) invocation.fetch = { remotes: [url.text], remoteIsLocation: true };
  }
  scripts.push(...subcommandScripts(subcommand, subArgs), ...extTransports(subcommand, subArgs));
  const problems: string[] = [];
  // The program git runs on the other side of a transport is never an everyday choice.
  for (const script of scripts)
    if (/pack|pager/.test(script.label))
      problems.push(`${script.label} runs a program of the agent's choosing: ${script.text.slice(0, 80)}`);
  if (
    ['log', 'show', 'diff', 'whatchanged'].includes(subcommand) &&
    subArgs.some((field) => field.text === '--ext-diff')
  )
    problems.push(`git ${subcommand} --ext-diff runs the external diff program the repository configures`);
  if (subcommand === 'config' && subArgs.some((field) => field.text === '--edit' || field.text === '-e'))
    problems.push('git config --edit runs an editor on the configuration');
  return {
    invocation,
    directories,
    files: gitFiles(subcommand, subArgs),
    scripts,
    problems,
    patch: readPatchApplication(subcommand, subArgs),
  };
}

function readEnvironmentConfig(environment: Record<string, string>, config: Record<string, string>): void {
  const count = Number(environment.GIT_CONFIG_COUNT ?? 0);
  for (let n = 0; n < Math.min(count, 64); n++) {
    const key = environment[`GIT_CONFIG_KEY_${n}`];
    if (key !== undefined) config[configKey(key)] = environment[`GIT_CONFIG_VALUE_${n}`] ?? '';
  }
  const parameters = environment.GIT_CONFIG_PARAMETERS;
  if (parameters !== undefined) {
    for (const match of parameters.matchAll(/'((?:[^']|'\\'')*)'(?:='((?:[^']|'\\'')*)')?/g)) {
      const unquote = (text: string) => text.replace(/'\\''/g, "'");
      const key = unquote(match[1] as string);
      if (match[2] !== undefined) config[configKey(key)] = unquote(match[2]);
      else setConfig(config, key);
    }
  }
}

function setConfig(config: Record<string, string>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq === -1) config[configKey(assignment)] = 'true';
  else config[configKey(assignment.slice(0, eq))] = assignment.slice(eq + 1);
}

/** Section and key names are case-insensitive; a subsection is not. */
function configKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first === -1) return key.toLowerCase();
  const section = key.slice(0, first).toLowerCase();
  const name = key.slice(last + 1).toLowerCase();
  return first === last ? `${section}.${name}` : `${section}${key.slice(first, last)}.${name}`;
}

/** Git splits an alias like a shell would, without expansions. */
function splitAlias(alias: string): string[] {
  const words: string[] = [];
  for (const match of alias.matchAll(/"((?:\\.|[^"\\])*)"|'([^']*)'|((?:\\.|[^\s'"\\])+)/g)) {
    words.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? (match[3] as string).replace(/\\(.)/g, '$1'));
  }
  return words;
}

type PushFlag =
  | 'all'
  | 'mirror'
  | 'tags'
  | 'delete'
  | 'force'
  | 'lease'
  | 'includes'
  | 'prune'
  | 'noVerify'
  | 'pushOption'
  | 'repo'
  | 'receivePack'
  | 'other'
  | 'otherValue';

const PUSH_LONG: Record<string, PushFlag> = {
  all: 'all',
  branches: 'all',
  mirror: 'mirror',
  tags: 'tags',
  'follow-tags': 'other',
  'dry-run': 'other',
  porcelain: 'other',
  delete: 'delete',
  force: 'force',
  'force-with-lease': 'lease',
  'no-force-with-lease': 'other',
  'force-if-includes': 'includes',
  'no-force-if-includes': 'other',
  prune: 'prune',
  'set-upstream': 'other',
  repo: 'repo',
  'receive-pack': 'receivePack',
  exec: 'receivePack',
  'push-option': 'pushOption',
  signed: 'other',
  'no-signed': 'other',
  atomic: 'other',
  'no-atomic': 'other',
  verbose: 'other',
  quiet: 'other',
  progress: 'other',
  'no-progress': 'other',
  'recurse-submodules': 'other',
  'no-recurse-submodules': 'other',
  verify: 'other',
  'no-verify': 'noVerify',
  thin: 'other',
  'no-thin': 'other',
  ipv4: 'other',
  ipv6: 'other',
};

/** Flags whose presence must never be lost to an ambiguous abbreviation. */
const RISKY: readonly PushFlag[] = ['force', 'lease', 'includes', 'mirror', 'delete', 'prune', 'noVerify', 'all'];

function readPush(args: readonly Field[], branch: () => string | null): { push: GitPush; scripts: GitScript[] } {
  const push: GitPush = {
    remote: null,
    refs: [],
    force: false,
    forceWithLease: false,
    mirror: false,
    all: false,
    tags: false,
    delete: false,
    noVerify: false,
    pushOptions: [],
  };
  const scripts: GitScript[] = [];
  const positionals: Field[] = [];
  let repo: string | null = null;
  const apply = (flag: PushFlag, value: string | null): void => {
    switch (flag) {
      case 'all':
        push.all = true;
        break;
      case 'mirror':
        push.mirror = true;
        push.force = true;
        push.delete = true;
        break;
      case 'tags':
        push.tags = true;
        break;
      case 'delete':
      case 'prune':
        push.delete = true;
        break;
      case 'force':
        push.force = true;
        push.hardForce = true;
        break;
      case 'includes':
        push.force = true;
        break;
      case 'lease':
        push.force = true;
        push.forceWithLease = true;
        break;
      case 'noVerify':
        push.noVerify = true;
        break;
      case 'pushOption':
        if (value !== null) push.pushOptions?.push(value);
        break;
      case 'repo':
        repo = value;
        break;
      case 'receivePack':
        if (value !== null) scripts.push({ text: value, dynamic: false, label: 'git push --receive-pack' });
        break;
    }
  };
  for (let i = 0; i < args.length; i++) {
    const arg = (args[i] as Field).text;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const exact = PUSH_LONG[name];
      // git accepts any unambiguous prefix of a long option (`--forc`, `--mirr`).
      const candidates = exact
        ? [exact]
        : Object.keys(PUSH_LONG)
            .filter((long) => long.startsWith(name))
            .map((long) => PUSH_LONG[long] as PushFlag);
      const takesValue =
        candidates.length === 1 && ['pushOption', 'repo', 'receivePack'].includes(candidates[0] as string);
      const value = eq !== -1 ? arg.slice(eq + 1) : takesValue ? (args[++i]?.text ?? null) : null;
      if (candidates.length === 1) apply(candidates[0] as PushFlag, value);
      else for (const flag of candidates) if (RISKY.includes(flag)) apply(flag, null);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        if (letter === 'f') apply('force', null);
        else if (letter === 'u') continue;
        else if (letter === 'd') apply('delete', null);
        else if (letter === 'o') {
          apply('pushOption', arg.slice(j + 1) || (args[++i]?.text ?? null));
          break;
        }
      }
      continue;
    }
    positionals.push(args[i] as Field);
  }
  const remoteField = positionals[0];
  push.remote = remoteField?.text ?? repo;
  if (push.remote !== null && (remoteField?.dynamic || isRemoteLocation(push.remote))) push.remoteIsLocation = true;
  const specs = positionals.slice(1);
  for (let k = 0; k < specs.length; k++) {
    const field = specs[k] as Field;
    const spec = field.text;
    if (spec === 'tag' && k + 1 < specs.length) {
      const tag = `refs/tags/${(specs[++k] as Field).text}`;
      push.refs.push(refUpdate(push.delete ? null : tag, tag, push.force, push.delete));
      continue;
    }
    const update = readRefspec(spec, push, branch);
    if (spec.startsWith('+')) push.hardForce = true;
    // `HEAD:$BRANCH`, `refs/heads/*:refs/heads/*`: the destination could be any branch.
    if (field.dynamic || field.glob || /[*$`]/.test(update.dst)) update.unknown = true;
    push.refs.push(update);
  }
  if (specs.length === 0 && !push.all && !push.mirror && !push.tags) {
    const current = branch() ?? 'HEAD';
    push.refs.push({ ...refUpdate(current, current, push.force, false), implicit: true });
  }
  return { push, scripts };
}

/**
 * The options of `git fetch` and `git pull` that take a value, so that a value is not taken for
 * the remote. git accepts any unambiguous prefix of a long option (`--dep 1`); an ambiguous
 * one (`--de 1`) leaves its value as the remote, which is then judged as an unknown remote.
 */
const FETCH_GRAMMAR: OptionGrammar = {
  values: [
    '--depth',
    '--deepen',
    '--shallow-since',
    '--shallow-exclude',
    '-j',
    '--jobs',
    '--upload-pack',
    '--refmap',
    '-o',
    '--server-option',
    '--negotiation-tip',
    '--filter',
    '--recurse-submodules-default',
    '--submodule-prefix',
    '-s',
    '--strategy',
    '-X',
    '--strategy-option',
    '--cleanup',
  ],
  abbreviations: true,
};

/** `git fetch URL`, `git pull ../repo main`, `git fetch --multiple a b`: where the objects come from. */
function readFetch(args: readonly Field[]): GitFetch {
  const scanned = scanArguments(args, FETCH_GRAMMAR);
  const named = hasOption(scanned, '--multiple') ? scanned.operands : scanned.operands.slice(0, 1);
  return {
    remotes: named.map((field) => field.text),
    remoteIsLocation: named.some((field) => field.dynamic || isRemoteLocation(field.text)),
  };
}

/** The repository of `git submodule add [options] URL [path]`. */
function submoduleUrl(args: readonly Field[]): Field | undefined {
  return scanArguments(args, SUBMODULE_ADD_GRAMMAR).operands[0];
}

const SUBMODULE_ADD_GRAMMAR: OptionGrammar = {
  values: ['-b', '--branch', '--name', '--reference', '--depth'],
  abbreviations: true,
};

/** Subcommands that take a repository location as an operand (`ext::cmd` runs cmd to reach it). */
const LOCATION_SUBCOMMANDS = new Set(['clone', 'fetch', 'pull', 'push', 'ls-remote', 'archive', 'submodule', 'remote']);

/**
 * `git clone 'ext::sh -c touch% /tmp/x' dir`: the ext transport runs its command (with `% ` a
 * space, `%%` a percent) wherever the repository is named, whether or not protocol.ext.allow
 * lets git use it on this machine.
 */
function extTransports(subcommand: string, args: readonly Field[]): GitScript[] {
  if (!LOCATION_SUBCOMMANDS.has(subcommand)) return [];
  return args
    .map((field) => (field.text.startsWith('--remote=') ? { ...field, text: field.text.slice(9) } : field))
    .filter((field) => field.text.startsWith('ext::'))
    .map((field) => ({
      text: extCommand(field.text.slice(5)),
      dynamic: field.dynamic,
      label: 'git ext:: transport',
    }));
}

/** The command line of an ext:: address as shell text: words split at spaces, `% ` a space inside a word. */
function extCommand(address: string): string {
  const words: string[] = [];
  let word = '';
  for (let i = 0; i < address.length; i++) {
    const c = address[i] as string;
    if (c === '%' && i + 1 < address.length) {
      const next = address[++i] as string;
      word +=
        next === 's' ? 'git-upload-pack' : next === 'S' ? 'upload-pack' : next === '%' || next === ' ' ? next : '';
    } else if (c === ' ') {
      if (word !== '') words.push(word);
      word = '';
    } else word += c;
  }
  if (word !== '') words.push(word);
  return words.map(quote).join(' ');
}

/** A URL, scp-like address or path rather than the name of a configured remote. */
function isRemoteLocation(remote: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) ||
    /^[^/:]*@?[^/:]+:/.test(remote) ||
    /[/\\]/.test(remote) ||
    remote.startsWith('.')
  );
}

function readRefspec(spec: string, push: GitPush, branch: () => string | null): GitRefUpdate {
  const forced = spec.startsWith('+');
  const body = forced ? spec.slice(1) : spec;
  const force = forced || push.force;
  if (push.delete && !push.mirror) return refUpdate(null, body, force, true);
  if (body === ':') {
    push.all = true;
    return refUpdate('*', '*', force, false);
  }
  const colon = body.indexOf(':');
  if (colon === 0) return refUpdate(null, body.slice(1), force, true);
  if (colon === -1) {
    const dst = body === 'HEAD' || body === '@' ? (branch() ?? 'HEAD') : body;
    return refUpdate(body, dst, force, false);
  }
  const src = body.slice(0, colon);
  const dst = body.slice(colon + 1) || src;
  return refUpdate(src, dst === 'HEAD' ? (branch() ?? 'HEAD') : dst, force, false);
}

function refUpdate(src: string | null, dst: string, force: boolean, remove: boolean): GitRefUpdate {
  return { src, dst, force, delete: remove };
}

/** Subcommands that read a file's content or change files in the work tree. */
const PATHSPEC_ACCESS: Record<string, Access> = {
  show: 'read',
  'cat-file': 'read',
  diff: 'read',
  difftool: 'read',
  log: 'read',
  whatchanged: 'read',
  blame: 'read',
  annotate: 'read',
  grep: 'read',
  archive: 'read',
  stash: 'read',
  'hash-object': 'read',
  'update-index': 'read',
  'format-patch': 'read',
  add: 'read',
  stage: 'read',
  rm: 'write',
  mv: 'readwrite',
  checkout: 'write',
  restore: 'write',
  clean: 'write',
};

/** Options of these subcommands whose value is a file: `-O orderfile`, `--output=FILE`, `config -f FILE`. */
const FILE_OPTIONS: Record<string, Access> = {
  '-O': 'read',
  '--output': 'write',
  '-o': 'write',
  '--file': 'readwrite',
  '-f': 'readwrite',
  '--blob': 'read',
  '--pathspec-from-file': 'read',
  '--exclude-from': 'read',
};
const FILE_OPTION_SUBCOMMANDS: Record<string, readonly string[]> = {
  log: ['-O', '--output'],
  show: ['-O', '--output'],
  diff: ['-O', '--output'],
  'format-patch': ['-o', '--output-directory'],
  archive: ['-o', '--output'],
  config: GIT_CONFIG_FILE_OPTIONS,
  add: ['--pathspec-from-file'],
  commit: ['--pathspec-from-file', '-F', '--file', '-t', '--template'],
  'ls-files': ['--exclude-from', '-X'],
};
/** Value options of the reading subcommands, so their values are not taken for paths or revisions. */
const VALUE_OPTIONS = new Set([
  '-n',
  '-L',
  '-S',
  '-G',
  '-U',
  '-m',
  '--max-count',
  '--format',
  '--pretty',
  '--author',
  '--since',
  '--until',
  '--grep',
  '-e',
  '-A',
  '-B',
  '-C',
  '--prefix',
  '--remote',
  '--abbrev',
  '--diff-filter',
  '-M',
]);

/** `git show HEAD:.env` reads `.env` as surely as `cat .env` does. */
function gitFiles(subcommand: string, args: readonly Field[]): GitFile[] {
  const files: GitFile[] = [];
  const fileOptions = FILE_OPTION_SUBCOMMANDS[subcommand] ?? [];
  for (let i = 0; i < args.length; i++) {
    const text = (args[i] as Field).text;
    if (text === '--') break;
    const eq = text.indexOf('=');
    const name = text.startsWith('--') && eq !== -1 ? text.slice(0, eq) : text;
    if (!fileOptions.includes(name)) continue;
    const value =
      eq !== -1 && text.startsWith('--') ? { ...(args[i] as Field), text: text.slice(eq + 1) } : args[i + 1];
    if (value && value.text !== '-')
      files.push({
        field: value,
        access: name === '-o' && subcommand === 'format-patch' ? 'write' : (FILE_OPTIONS[name] ?? 'read'),
      });
  }
  const access = PATHSPEC_ACCESS[subcommand];
  if (access === undefined) return files;
  const dashDash = args.findIndex((field) => field.text === '--');
  const operands: Field[] = [];
  for (let i = 0; i < (dashDash === -1 ? args.length : dashDash); i++) {
    const field = args[i] as Field;
    if (field.text.startsWith('-')) {
      if (VALUE_OPTIONS.has(field.text) || fileOptions.includes(field.text)) i++;
      continue;
    }
    operands.push(field);
  }
  const after = dashDash === -1 ? [] : args.slice(dashDash + 1);
  const revPaths: GitFile[] = [];
  for (const field of operands) {
    const revPath = /^(?:[^:\s]*|:[0-3]):(?!\/\/)(.+)$/.exec(field.text);
    if (revPath && !/^[a-z][a-z0-9+.-]*:\/\//i.test(field.text))
      revPaths.push({ field: { ...field, text: (revPath[1] as string).replace(/^\.\//, '') }, access: 'read' });
  }
  files.push(...revPaths);
  const pathAccess: Access = access;
  for (const field of after)
    files.push({
      field,
      access: pathAccess,
      ...(subcommand === 'grep' || subcommand === 'archive' ? { recursive: true } : {}),
    });
  const plain = operands.filter((field) => !field.text.includes(':'));
  switch (subcommand) {
    case 'add':
    case 'stage':
    case 'rm':
    case 'mv':
    case 'restore':
    case 'checkout':
    case 'hash-object':
    case 'update-index':
    case 'blame':
    case 'annotate':
      for (const field of plain) files.push({ field, access });
      break;
    case 'diff':
    case 'difftool':
      // `git diff --no-index a b` compares two files outside git's knowledge; otherwise operands are
      // revisions or paths, and a path is read either way.
      for (const field of plain) files.push({ field, access: 'read' });
      break;
    case 'grep': {
      const untracked = args.some((field) => /^--(untracked|no-exclude-standard|no-index)$/.test(field.text));
      const walk = untracked ? { ignoreFiles: false, followLinks: false } : { ignoreFiles: true, followLinks: false };
      const patternFromOption = args.some((field) => /^(-e|-f|--regexp|--file)$/.test(field.text));
      const paths = patternFromOption ? plain : plain.slice(1);
      for (const field of paths) files.push({ field, access: 'read', recursive: true, walk });
      if (paths.length === 0 && after.length === 0)
        files.push({
          field: { text: '.', dynamic: false, glob: false, processSubstitution: false },
          access: 'read',
          recursive: true,
          walk,
        });
      break;
    }
    case 'archive': {
      const paths = plain.slice(1);
      for (const field of paths)
        files.push({ field, access: 'read', recursive: true, walk: { ignoreFiles: true, followLinks: false } });
      if (paths.length === 0 && after.length === 0)
        files.push({
          field: { text: '.', dynamic: false, glob: false, processSubstitution: false },
          access: 'read',
          recursive: true,
          walk: { ignoreFiles: true, followLinks: false },
        });
      break;
    }
    case 'log':
    case 'show':
    case 'whatchanged':
      // Names of files that exist are read (`git log -p .env`); revisions are harmless as names.
      for (const field of plain) files.push({ field, access: 'read' });
      break;
  }
  return files;
}

/** Commands a git subcommand runs from its own options (`rebase --exec`, `fetch --upload-pack`). */
function subcommandScripts(subcommand: string, args: readonly Field[]): GitScript[] {
  const scripts: GitScript[] = [];
  const take = (names: readonly string[], label: string) => {
    for (let i = 0; i < args.length; i++) {
      const field = args[i] as Field;
      const text = field.text;
      if (text === '--') break;
      const eq = text.indexOf('=');
      const name = text.startsWith('--') && eq !== -1 ? text.slice(0, eq) : text;
      // git accepts unambiguous prefixes of long options (`--exe`, `--upload-p`).
      const long = name.startsWith('--') && name.length > 3 ? names.find((known) => known.startsWith(name)) : undefined;
      // `-O'sh -c x'`: a short option with its value attached.
      const attached = names.find(
        (known) => known.length === 2 && text.length > 2 && text.startsWith(known) && !text.startsWith('--'),
      );
      if (attached !== undefined) {
        scripts.push({ text: text.slice(2), dynamic: field.dynamic, label });
        continue;
      }
      if (!names.includes(name) && long === undefined) continue;
      const value = eq !== -1 && text.startsWith('--') ? text.slice(eq + 1) : args[++i]?.text;
      if (value !== undefined)
        scripts.push({ text: value, dynamic: field.dynamic || (args[i]?.dynamic ?? false), label });
    }
  };
  switch (subcommand) {
    case 'rebase':
      take(['--exec', '-x'], 'git rebase --exec');
      break;
    case 'fetch':
    case 'pull':
    case 'ls-remote':
    case 'archive':
      take(['--upload-pack', '--exec'], `git ${subcommand} --upload-pack`);
      break;
    case 'clone':
      take(['--upload-pack', '-u', '--template'], 'git clone --upload-pack');
      break;
    case 'difftool':
    case 'mergetool':
      take(['--extcmd', '-x'], `git ${subcommand} --extcmd`);
      break;
    case 'grep':
      take(['-O', '--open-files-in-pager'], 'git grep --open-files-in-pager');
      break;
    case 'filter-branch':
      take(
        [
          '--tree-filter',
          '--index-filter',
          '--msg-filter',
          '--env-filter',
          '--commit-filter',
          '--parent-filter',
          '--tag-name-filter',
        ],
        'git filter-branch',
      );
      break;
    case 'submodule': {
      const index = args.findIndex((field) => field.text === 'foreach');
      const rest =
        index === -1 ? [] : args.slice(index + 1).filter((field) => !/^--(recursive|quiet)$/.test(field.text));
      if (rest.length > 0)
        scripts.push({
          text: rest.map((field) => field.text).join(' '),
          dynamic: rest.some((field) => field.dynamic),
          label: 'git submodule foreach',
        });
      break;
    }
    case 'bisect': {
      if (args[0]?.text === 'run' && args.length > 1)
        scripts.push({
          text: args
            .slice(1)
            .map((field) => quote(field.text))
            .join(' '),
          dynamic: args.some((field) => field.dynamic),
          label: 'git bisect run',
        });
      break;
    }
  }
  return scripts;
}

function quote(word: string): string {
  return /^[\w@%+=:,./~^-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

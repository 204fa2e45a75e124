import type { Access } from './paths';
import type { Field } from './shell-words';
import type { GitInvocation, GitPush, GitRefUpdate } from './types';

/** A file git reads or writes on the command's behalf (`git show HEAD:.env`, `git rm x`). */
interface GitFile {
  field: Field;
  access: Access;
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
}

/** Current branch of the repository at a directory, when it can be read. */
type BranchReader = (directories: readonly string[]) => string | null;

const MAX_ALIAS_EXPANSIONS = 8;

const VALUE_GLOBALS = new Set([
  '-C',
  '-c',
  '--config-env',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--list-cmds',
  '--attr-source',
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
    if (!VALUE_GLOBALS.has(name)) continue;
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
  return { invocation, directories, files: gitFiles(subcommand, subArgs), scripts };
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
  const positionals: string[] = [];
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
      positionals.push(...args.slice(i + 1).map((field) => field.text));
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
        else if (letter === 'd') apply('delete', null);
        else if (letter === 'o') {
          apply('pushOption', arg.slice(j + 1) || (args[++i]?.text ?? null));
          break;
        }
      }
      continue;
    }
    positionals.push(arg);
  }
  push.remote = positionals[0] ?? repo;
  const specs = positionals.slice(1);
  for (let k = 0; k < specs.length; k++) {
    const spec = specs[k] as string;
    if (spec === 'tag' && k + 1 < specs.length) {
      const tag = `refs/tags/${specs[++k] as string}`;
      push.refs.push(refUpdate(push.delete ? null : tag, tag, push.force, push.delete));
      continue;
    }
    push.refs.push(readRefspec(spec, push, branch));
  }
  if (specs.length === 0 && !push.all && !push.mirror && !push.tags) {
    const current = branch() ?? 'HEAD';
    push.refs.push({ ...refUpdate(current, current, push.force, false), implicit: true });
  }
  return { push, scripts };
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
  log: 'read',
  blame: 'read',
  grep: 'read',
  archive: 'read',
  add: 'read',
  stage: 'read',
  rm: 'write',
  mv: 'readwrite',
  checkout: 'write',
  restore: 'write',
  clean: 'write',
};

/** `git show HEAD:.env` reads `.env` as surely as `cat .env` does. */
function gitFiles(subcommand: string, args: readonly Field[]): GitFile[] {
  const access = PATHSPEC_ACCESS[subcommand];
  if (access === undefined) return [];
  const files: GitFile[] = [];
  const dashDash = args.findIndex((field) => field.text === '--');
  args.forEach((field, index) => {
    const text = field.text;
    if (dashDash !== -1 && index > dashDash) {
      files.push({ field, access });
      return;
    }
    if (text.startsWith('-')) return;
    const revPath = /^[^:/\s][^:\s]*:(?!\/\/)(.+)$/.exec(text);
    if (revPath && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
      files.push({ field: { ...field, text: (revPath[1] as string).replace(/^\.\//, '') }, access: 'read' });
    } else if (['add', 'stage', 'rm', 'mv'].includes(subcommand)) {
      files.push({ field, access });
    }
  });
  return files;
}

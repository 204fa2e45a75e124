import { type OptionGrammar, SSH_OPTIONS, hasOption, optionValues, scanArguments, sliceField } from './command-options';
import { programEffects } from './effects';
import { type CommandInput, type Extraction, type Scope, childScope } from './extraction';
import { readGit } from './git';
import type { Access } from './paths';
import { type Field, decodeAnsiC } from './shell-words';
import { SHELL_PROGRAMS } from './shells';
import type { SimpleCommand } from './types';

/** One simple command as the shell reader found it, before wrappers are peeled. */
interface CommandLine {
  fields: Field[];
  assignments: Record<string, string>;
  text: string;
  scope: Scope;
  input: CommandInput | null;
  inputFrom: string[];
}

interface Invocation {
  /** Program and arguments as shown in the SimpleCommand. */
  fields: Field[];
  /** The same with run-time placeholders filled in for judging files (`find -exec … {}`). */
  effective: Field[];
  wrappers: string[];
  assignments: Record<string, string>;
  /** xargs appends arguments read from standard input. */
  argsFromInput: boolean;
  /** Some arguments are filled in at run time (`find -exec … {}`, `xargs -I`). */
  placeholders?: boolean;
}

const MAX_WRAPPERS = 16;
/** An unknown wrapper option makes two readings of the words after it; the readings are capped. */
const MAX_READINGS = 4;

const STDIN_FILE = /^\/(dev\/stdin|dev\/fd\/0|proc\/self\/fd\/0)$/;

/** Variables naming a program that the command (git, man, less, …) may run. */
const PROGRAM_VARIABLES = [
  'PAGER',
  'MANPAGER',
  'EDITOR',
  'VISUAL',
  'LESSOPEN',
  'LESSCLOSE',
  'SYSTEMD_PAGER',
  'BROWSER',
];

const field = (text: string, dynamic = false): Field => ({ text, dynamic, glob: false, processSubstitution: false });

function programName(text: string): string {
  const slash = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
  return slash === -1 || slash === text.length - 1 ? text : text.slice(slash + 1);
}

/** Peels wrappers, records the simple command(s), and follows whatever they run in turn. */
export function runCommandLine(extraction: Extraction, line: CommandLine): SimpleCommand[] {
  return run(
    extraction,
    line,
    {
      fields: line.fields,
      effective: line.fields,
      wrappers: [...line.scope.wrappers],
      assignments: { ...line.assignments },
      argsFromInput: false,
    },
    0,
  );
}

function run(extraction: Extraction, line: CommandLine, invocation: Invocation, peeled: number): SimpleCommand[] {
  if (peeled > MAX_WRAPPERS) {
    extraction.problem('depth_exceeded', `more than ${MAX_WRAPPERS} wrapper commands in front of a command`);
    return [];
  }
  const head = invocation.fields[0];
  if (head === undefined) return [];
  if (head.dynamic || head.glob || head.processSubstitution) {
    extraction.problem('unsupported', `the program name is only known at run time: ${head.text}`);
    return record(extraction, line, head.text, invocation);
  }
  const program = programName(head.text);
  const wrapper = WRAPPERS[program];
  if (wrapper === undefined) return emit(extraction, line, program, invocation);
  const outcome = wrapper(invocation.fields.slice(1), { extraction, line, invocation });
  if (outcome === null) return emit(extraction, line, program, invocation);
  const label = outcome.label ?? program;
  const wrappers = [...invocation.wrappers, label];
  for (const file of outcome.files ?? [])
    extraction.addFieldPath(file.field, { access: file.access, source: 'command', via: program });
  for (const script of outcome.scripts ?? []) {
    nestedScript(extraction, line, script, label, wrappers, null);
  }
  const produced: SimpleCommand[] = [];
  for (const inner of (outcome.inner ?? []).slice(0, MAX_READINGS)) {
    const effective = outcome.effective?.(inner) ?? inner;
    produced.push(
      ...run(
        extraction,
        line,
        {
          fields: inner,
          effective,
          wrappers,
          assignments: { ...invocation.assignments, ...outcome.assignments },
          argsFromInput: invocation.argsFromInput || (outcome.argsFromInput ?? false),
          placeholders: invocation.placeholders === true || outcome.effective !== undefined,
        },
        peeled + 1,
      ),
    );
  }
  return produced;
}

/** Records the command and follows what it runs; `program` is already reduced to its name. */
function emit(extraction: Extraction, line: CommandLine, program: string, invocation: Invocation): SimpleCommand[] {
  const recorded = record(extraction, line, program, invocation);
  if (recorded.length === 0) return recorded;
  const args = invocation.effective.slice(1);
  const via = program;
  if (SHELL_PROGRAMS.has(program)) shell(extraction, line, program, args, invocation);
  switch (program) {
    case 'eval':
      if (args.length > 0) scriptRunBy(extraction, line, invocation, 'eval', joined(args));
      break;
    case 'trap': {
      const action = args[0];
      if (action && !action.text.startsWith('-') && args.length > 1) {
        scriptRunBy(extraction, line, invocation, 'trap', action);
      }
      break;
    }
    case 'alias':
      for (const arg of args) {
        const eq = arg.text.indexOf('=');
        if (eq > 0) scriptRunBy(extraction, line, invocation, 'alias', sliceField(arg, eq + 1));
      }
      break;
    case 'cd':
    case 'pushd':
      extraction.changeDirectory(args.find((arg) => !/^-[LPe@]+$/.test(arg.text) && arg.text !== '--') ?? null);
      break;
    case 'ssh':
      remoteCommand(extraction, line, args, invocation);
      break;
    case 'git':
      git(extraction, line, args, invocation);
      break;
    case 'find':
      find(extraction, line, args, invocation);
      break;
    case 'sudoedit':
      for (const arg of args)
        if (!arg.text.startsWith('-')) extraction.addFieldPath(arg, { access: 'write', source: 'command', via });
      break;
    case 'source':
    case '.': {
      const file = args.find((arg) => arg.text !== '--');
      if (file) scriptFile(extraction, line, program, file, [...invocation.wrappers, program]);
      break;
    }
    case 'hash':
    case 'enable':
      // `hash -p /bin/rm ls` makes `ls` run rm; `enable -f lib.so x` loads a builtin from a file.
      if (args.some((arg) => /^-[a-zA-Z]*[pf]/.test(arg.text))) {
        extraction.problem(
          'unsupported',
          `${program} ${args.map((arg) => arg.text).join(' ')} changes what command names run`,
        );
      }
      break;
  }
  for (const variable of PROGRAM_VARIABLES) {
    const value = invocation.assignments[variable];
    if (value) scriptRunBy(extraction, line, invocation, `${variable}=`, field(value.replace(/^\|/, '')));
  }
  const effects = programEffects(program, invocation.argsFromInput ? [...args, filesOnInput(line.input)] : args);
  if (effects) {
    for (const file of effects.files) {
      const request = {
        access: file.access,
        source: 'command' as const,
        via,
        ...(file.recursive ? { recursive: true } : {}),
      };
      extraction.addFieldPath(file.field, request);
    }
    for (const script of effects.scripts)
      scriptRunBy(extraction, line, invocation, script.label, field(script.text, script.dynamic));
    for (const problem of effects.problems) extraction.problem('unsupported', problem);
  }
  return recorded;
}

function record(extraction: Extraction, line: CommandLine, program: string, invocation: Invocation): SimpleCommand[] {
  const args = invocation.fields.slice(1);
  const command: SimpleCommand = {
    program,
    args: args.map((arg) => arg.text),
    assignments: invocation.assignments,
    wrappers: invocation.wrappers,
    depth: line.scope.depth,
    dynamic:
      invocation.argsFromInput ||
      invocation.placeholders === true ||
      invocation.fields.some((arg) => arg.dynamic || arg.glob),
    text: line.text,
    inputFrom: line.inputFrom,
  };
  return extraction.addCommand(command) ? [command] : [];
}

function joined(args: readonly Field[]): Field {
  return field(
    args.map((arg) => arg.text).join(' '),
    args.some((arg) => arg.dynamic),
  );
}

function nestedScript(
  extraction: Extraction,
  line: CommandLine,
  script: Field,
  label: string,
  wrappers: readonly string[],
  positional: readonly string[] | null,
  input: CommandInput | null = null,
): void {
  if (script.dynamic)
    extraction.problem(
      'unsupported',
      `the script run by ${label} is only known at run time: ${script.text.slice(0, 120)}`,
    );
  // A nested script is a script of its own: constants it assigns itself may be resolved.
  extraction.script(script.text, { ...childScope(line.scope, null, { positional, input, constants: true }), wrappers });
}

/** A script the command runs itself (`eval`, `ssh host CMD`, `tar --to-command`), judged under `label`. */
function scriptRunBy(
  extraction: Extraction,
  line: CommandLine,
  invocation: Invocation,
  label: string,
  script: Field,
): void {
  nestedScript(extraction, line, script, label, [...invocation.wrappers, label], null);
}

/** `bash -c STRING`, `bash FILE`, or a script read from standard input. */
function shell(
  extraction: Extraction,
  line: CommandLine,
  program: string,
  args: Field[],
  invocation: Invocation,
): void {
  let command = false;
  let stdin = false;
  let i = 0;
  for (; i < args.length; i++) {
    const text = (args[i] as Field).text;
    if (text === '--' || text === '-') {
      i++;
      break;
    }
    if (/^[-+][A-Za-z]+$/.test(text)) {
      if (text.startsWith('-') && text.includes('c')) command = true;
      if (text.startsWith('-') && text.includes('s')) stdin = true;
      if (/[oO]$/.test(text)) i++;
      continue;
    }
    if (text.startsWith('--')) {
      if ((text === '--rcfile' || text === '--init-file') && args[i + 1]) {
        extraction.addFieldPath(args[++i] as Field, { access: 'read', source: 'command', via: program });
      }
      continue;
    }
    break;
  }
  const operands = args.slice(i);
  const wrappers = [...invocation.wrappers, `${program} ${command ? '-c' : '-s'}`];
  // A non-interactive shell first sources the file named by BASH_ENV (ENV for sh).
  for (const variable of ['BASH_ENV', 'ENV']) {
    const value = invocation.assignments[variable];
    if (value) extraction.addFieldPath(field(value), { access: 'read', source: 'command', via: program });
  }
  if (command) {
    const script = operands[0];
    if (script === undefined) return;
    const rest = operands.slice(1);
    const positional = rest.every((arg) => !arg.dynamic) ? rest.map((arg) => arg.text) : null;
    nestedScript(extraction, line, script, `${program} -c`, wrappers, positional, line.input);
    return;
  }
  const file = operands[0];
  if (file !== undefined && !stdin) {
    scriptFile(extraction, line, program, file, wrappers);
    return;
  }
  scriptFromInput(extraction, line, program, wrappers);
}

/** The script a shell or `source` reads from a file: judged as a read, unless it is really a pipe. */
function scriptFile(
  extraction: Extraction,
  line: CommandLine,
  program: string,
  file: Field,
  wrappers: readonly string[],
): void {
  if (STDIN_FILE.test(file.text)) {
    scriptFromInput(extraction, line, program, wrappers);
  } else if (file.processSubstitution || /^\/(dev|proc\/self)\/fd\/\d+$/.test(file.text)) {
    extraction.problem('unsupported', `${program} runs a script produced by another command: ${file.text}`);
  } else {
    extraction.addFieldPath(file, { access: 'read', source: 'command', via: program });
  }
}

/** A script read from standard input: judged when its text is known, a problem otherwise. */
function scriptFromInput(
  extraction: Extraction,
  line: CommandLine,
  program: string,
  wrappers: readonly string[],
): void {
  const input = line.input;
  if (input === null || input.kind === 'file') return;
  if (input.kind === 'text') {
    nestedScript(extraction, line, field(input.text, input.dynamic), `${program} -s`, wrappers, null);
  } else if (input.text !== null) {
    nestedScript(extraction, line, field(input.text), `${program} -s`, wrappers, null);
  } else {
    const from = [...new Set(input.from.map((c) => c.program))].join(', ') || 'another command';
    extraction.problem('unsupported', `${program} runs a script read from the output of ${from}; it cannot be judged`);
  }
}

/** `ssh host 'cmd'`: the remote shell runs the words after the host. */
function remoteCommand(extraction: Extraction, line: CommandLine, args: Field[], invocation: Invocation): void {
  const scanned = scanArguments(args, SSH_OPTIONS);
  const command = scanned.operands.slice(1);
  if (command.length > 0) scriptRunBy(extraction, line, invocation, 'ssh', joined(command));
}

function git(extraction: Extraction, line: CommandLine, args: Field[], invocation: Invocation): void {
  // `git -C a -C b`: each directory is relative to the one before it.
  const directoryOf = (directories: readonly string[]) =>
    directories.reduce(
      (current, next) => extraction.resolver.absolute(next, current),
      extraction.directories[0] as string,
    );
  const reading = readGit(args, invocation.assignments, (directories) =>
    extraction.resolver.currentBranch(directoryOf(directories)),
  );
  extraction.addGit(reading.invocation);
  const base = reading.directories.length > 0 ? directoryOf(reading.directories) : undefined;
  for (const file of reading.files) {
    extraction.addFieldPath(file.field, {
      access: file.access,
      source: 'command',
      via: 'git',
      ...(base ? { base } : {}),
    });
  }
  for (const script of reading.scripts)
    scriptRunBy(extraction, line, invocation, script.label, field(script.text, script.dynamic));
}

const FIND_VALUES = new Set([
  '-name',
  '-iname',
  '-path',
  '-ipath',
  '-wholename',
  '-iwholename',
  '-regex',
  '-iregex',
  '-lname',
  '-ilname',
  '-type',
  '-xtype',
  '-user',
  '-group',
  '-perm',
  '-size',
  '-mtime',
  '-mmin',
  '-atime',
  '-amin',
  '-ctime',
  '-cmin',
  '-newer',
  '-anewer',
  '-cnewer',
  '-maxdepth',
  '-mindepth',
  '-uid',
  '-gid',
  '-links',
  '-inum',
  '-samefile',
  '-used',
  '-fstype',
  '-printf',
  '-context',
  '-regextype',
  '-files0-from',
  '-newermt',
  '-newerct',
  '-newerat',
]);
const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);

interface FindReading {
  roots: Field[];
  names: string[];
  deletes: boolean;
  outputs: Field[];
  execs: Field[][];
}

function readFind(args: readonly Field[]): FindReading {
  const reading: FindReading = { roots: [], names: [], deletes: false, outputs: [], execs: [] };
  let i = 0;
  // Options before the start points: -H -L -P, -D debugopts, -Olevel.
  while (i < args.length && /^-([HLP]|D|O\d*)$/.test((args[i] as Field).text))
    i += (args[i] as Field).text === '-D' ? 2 : 1;
  for (; i < args.length; i++) {
    const text = (args[i] as Field).text;
    if ((text.startsWith('-') && text.length > 1) || text === '(' || text === '!' || text === ')' || text === ',')
      break;
    reading.roots.push(args[i] as Field);
  }
  for (; i < args.length; i++) {
    const text = (args[i] as Field).text;
    if (FIND_EXEC.has(text)) {
      const command: Field[] = [];
      for (i++; i < args.length && !/^[;+]$/.test((args[i] as Field).text); i++) command.push(args[i] as Field);
      reading.execs.push(command);
    } else if (text === '-delete') {
      reading.deletes = true;
    } else if (text === '-fprint' || text === '-fprint0' || text === '-fls' || text === '-fprintf') {
      if (args[i + 1]) reading.outputs.push(args[i + 1] as Field);
      i += text === '-fprintf' ? 2 : 1;
    } else if (text === '-name' || text === '-iname') {
      if (args[i + 1]) reading.names.push((args[i + 1] as Field).text);
      i++;
    } else if (FIND_VALUES.has(text)) {
      i++;
    }
  }
  if (reading.roots.length === 0) reading.roots.push(field('.'));
  return reading;
}

/** What `{}` stands for: the files under each start point matching the -name patterns. */
function findPatterns(reading: Pick<FindReading, 'roots' | 'names'>): Field[] {
  const out: Field[] = [];
  for (const root of reading.roots) {
    const prefix = root.text.replace(/\/+$/, '') || '/';
    const names = reading.names.length > 0 ? reading.names : [''];
    for (const name of names) {
      out.push({
        text: `${prefix}/**${name ? `/${name}` : ''}`,
        dynamic: root.dynamic,
        glob: false,
        processSubstitution: false,
        pattern: true,
      });
    }
  }
  return out;
}

function find(extraction: Extraction, line: CommandLine, args: Field[], invocation: Invocation): void {
  const reading = readFind(args);
  for (const root of reading.roots) {
    extraction.addFieldPath(root, {
      access: reading.deletes ? 'write' : 'read',
      source: 'command',
      via: 'find',
      recursive: true,
    });
  }
  for (const output of reading.outputs)
    extraction.addFieldPath(output, { access: 'write', source: 'command', via: 'find' });
  const patterns = findPatterns(reading).slice(0, MAX_READINGS);
  for (const exec of reading.execs) {
    for (const pattern of patterns) {
      const effective = exec.map((arg) =>
        arg.text === '{}'
          ? pattern
          : arg.text.includes('{}')
            ? { ...arg, text: arg.text.replaceAll('{}', pattern.text) }
            : arg,
      );
      run(
        extraction,
        line,
        {
          fields: exec,
          effective,
          wrappers: [...invocation.wrappers, 'find -exec'],
          assignments: invocation.assignments,
          argsFromInput: false,
          placeholders: true,
        },
        1,
      );
    }
  }
}

/** The file names xargs reads from standard input: known when the input is static or comes from `find`. */
function filesOnInput(input: CommandInput | null): Field {
  if (input?.kind === 'text' && !input.dynamic) return field(input.text.trim());
  if (input?.kind === 'pipe') {
    if (input.text !== null) return field(input.text.trim());
    const [source] = input.from;
    if (input.from.length === 1 && source) {
      const args = source.args.map((text) => field(text, source.dynamic));
      if (source.program === 'find') {
        const [pattern] = findPatterns(readFind(args));
        if (pattern) return pattern;
      }
      if (listsWorkspaceFiles(source)) return { ...field('./**'), pattern: true };
    }
  }
  return field('<standard input>', true);
}

/** Commands whose output is names of files in the repository (`git ls-files`, `rg -l`, `fd`). */
function listsWorkspaceFiles(source: SimpleCommand): boolean {
  const args = source.args;
  switch (source.program) {
    case 'git':
      return (
        args[0] === 'ls-files' ||
        (args[0] === 'diff' && args.includes('--name-only')) ||
        (args[0] === 'grep' && args.some((a) => a === '-l' || a === '--name-only' || a === '--files-with-matches'))
      );
    case 'rg':
      return args.some((a) => a === '--files' || a === '-l' || a === '--files-with-matches');
    case 'grep':
      return args.some((a) => /^-[a-zA-Z]*l[a-zA-Z]*$/.test(a) || a === '--files-with-matches');
    case 'fd':
    case 'fdfind':
      return true;
    default:
      return false;
  }
}

/** Echoed text piped onward, when it is known before run time (`echo 'rm -rf /' | sh`). */
export function staticOutput(produced: readonly SimpleCommand[], input: CommandInput | null): string | null {
  if (produced.length !== 1) return null;
  const command = produced[0] as SimpleCommand;
  if (command.dynamic) return null;
  const args = command.args;
  switch (command.program) {
    case 'echo': {
      let i = 0;
      let newline = true;
      let escapes = false;
      for (; i < args.length && /^-[neE]+$/.test(args[i] as string); i++) {
        if ((args[i] as string).includes('n')) newline = false;
        if ((args[i] as string).includes('e')) escapes = true;
      }
      const text = args.slice(i).join(' ');
      return (escapes ? decodeAnsiC(text) : text) + (newline ? '\n' : '');
    }
    case 'printf': {
      const [format, ...rest] = args;
      if (format === undefined) return null;
      let index = 0;
      const unknown = format.replace(/%%/g, '').replace(/%[sb]/g, '').includes('%');
      if (unknown) return null;
      const out = format.replace(/%%|%[sb]/g, (spec) => (spec === '%%' ? '%' : (rest[index++] ?? '')));
      return decodeAnsiC(out);
    }
    case 'cat':
      if (args.length === 0 && input !== null && input.kind !== 'file') {
        return input.kind === 'text' ? (input.dynamic ? null : input.text) : input.text;
      }
      return null;
    case 'base64':
      if (
        (args.includes('-d') || args.includes('--decode')) &&
        input !== null &&
        input.kind !== 'file' &&
        input.text !== null
      ) {
        if (input.kind === 'text' && input.dynamic) return null;
        return Buffer.from(input.text.replace(/\s+/g, ''), 'base64').toString('utf8');
      }
      return null;
    default:
      return null;
  }
}

interface WrapperContext {
  extraction: Extraction;
  line: CommandLine;
  invocation: Invocation;
}

interface WrapperOutcome {
  label?: string;
  /** The wrapped command line(s): more than one when an unknown option leaves doubt. */
  inner?: Field[][];
  effective?: (inner: Field[]) => Field[];
  assignments?: Record<string, string>;
  files?: { field: Field; access: Access }[];
  scripts?: Field[];
  argsFromInput?: boolean;
}

/** Null when nothing is wrapped after all: the wrapper itself is the command (`env`, `sudo -l`). */
type Wrapper = (args: Field[], context: WrapperContext) => WrapperOutcome | null;

interface WrapperSpec {
  grammar: OptionGrammar;
  /** Operands before the wrapped command: timeout's duration, chroot's new root, flock's lock file. */
  lead?: number;
  /** NAME=value operands before the command set its environment (`sudo`, `env`, `cross-env`). */
  assignments?: boolean;
  /** Options whose value is a shell command line (`su -c`, `flock -c`). */
  scriptOptions?: readonly string[];
  /** Options whose value is a file the wrapper touches (`time -o`). */
  files?: Record<string, Access>;
  /** Options that change the directory the command runs in (`env -C`, `sudo -D`). */
  directories?: readonly string[];
  /** Options after which the words are one shell command line (`sudo -s`, `su`'s shell). */
  shellJoin?: readonly string[];
  /** Options meaning nothing is run (`command -v`). */
  nothingRun?: readonly string[];
}

function wrapperFromSpec(spec: WrapperSpec): Wrapper {
  const grammar: OptionGrammar = {
    ...spec.grammar,
    stopAtOperand: true,
    values: [
      ...(spec.grammar.values ?? []),
      ...(spec.scriptOptions ?? []),
      ...Object.keys(spec.files ?? {}),
      ...(spec.directories ?? []),
    ],
  };
  const peel = (args: Field[], context: WrapperContext, retry: boolean): WrapperOutcome | null => {
    const scanned = scanArguments(args, grammar);
    if (spec.nothingRun && hasOption(scanned, ...spec.nothingRun)) return null;
    const files = Object.entries(spec.files ?? {}).flatMap(([name, access]) =>
      optionValues(scanned, name).map((value) => ({ field: value, access })),
    );
    for (const directory of optionValues(scanned, ...(spec.directories ?? [])))
      context.extraction.changeDirectory(directory);
    const scripts = optionValues(scanned, ...(spec.scriptOptions ?? []));
    let rest = args.slice(scanned.stop + (spec.lead ?? 0));
    const assignments: Record<string, string> = {};
    if (spec.assignments) {
      while (rest[0] && !rest[0].dynamic && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0].text)) {
        const text = rest[0].text;
        assignments[text.slice(0, text.indexOf('='))] = text.slice(text.indexOf('=') + 1);
        rest = rest.slice(1);
      }
    }
    if (spec.shellJoin && hasOption(scanned, ...spec.shellJoin) && rest.length > 0) {
      scripts.push(joined(rest));
      rest = [];
    }
    if (rest.length === 0 && scripts.length === 0 && files.length === 0) return null;
    const outcome: WrapperOutcome = { inner: rest.length > 0 ? [rest] : [], assignments, files, scripts };
    // An option this table does not know may have taken the next word as its value.
    if (scanned.unknown.length > 0 && !retry && scanned.stop < args.length) {
      const other = peel(args.slice(scanned.stop + 1), context, true);
      if (other?.inner) outcome.inner?.push(...other.inner);
    }
    return outcome;
  };
  return (args, context) => peel(args, context, false);
}

const sudo = wrapperFromSpec({
  grammar: {
    values: [
      '-u',
      '-g',
      '-C',
      '-p',
      '-r',
      '-t',
      '-T',
      '-U',
      '-R',
      '--user',
      '--group',
      '--close-from',
      '--prompt',
      '--role',
      '--type',
      '--command-timeout',
      '--other-user',
      '--host',
      '--chroot',
    ],
    flags: [
      '-A',
      '-b',
      '-B',
      '-E',
      '-H',
      '-i',
      '-K',
      '-k',
      '-l',
      '-n',
      '-P',
      '-S',
      '-s',
      '-V',
      '-v',
      '-e',
      '--askpass',
      '--background',
      '--bell',
      '--preserve-env',
      '--edit',
      '--set-home',
      '--login',
      '--remove-timestamp',
      '--reset-timestamp',
      '--list',
      '--non-interactive',
      '--preserve-groups',
      '--stdin',
      '--shell',
      '--validate',
      '--version',
      '--help',
    ],
  },
  assignments: true,
  directories: ['-D', '--chdir'],
  shellJoin: ['-s', '-i', '--shell', '--login'],
});

const sudoWithEdit: Wrapper = (args, context) => {
  const scanned = scanArguments(args, {
    values: ['-u', '-g', '-C', '-p', '-r', '-t', '-T', '-U', '-D', '-R'],
    stopAtOperand: true,
  });
  if (hasOption(scanned, '-e', '--edit')) {
    return { files: scanned.operands.map((operand) => ({ field: operand, access: 'write' as const })) };
  }
  return sudo(args, context);
};

const envSpec = wrapperFromSpec({
  grammar: {
    values: ['-u', '--unset'],
    flags: [
      '-i',
      '-0',
      '-v',
      '--ignore-environment',
      '--null',
      '--debug',
      '--block-signal',
      '--default-signal',
      '--ignore-signal',
      '--list-signal-handling',
    ],
  },
  assignments: true,
  directories: ['-C', '--chdir'],
  // `env -S 'cmd args'` splits its string into a command line, close enough to a shell's reading.
  scriptOptions: ['-S', '--split-string'],
});

/** `env -` is `env -i`. */
const env: Wrapper = (args, context) =>
  envSpec(
    args.filter((arg) => arg.text !== '-'),
    context,
  );

const xargs: Wrapper = (args, context) => {
  const scanned = scanArguments(args, {
    values: [
      '-a',
      '--arg-file',
      '-d',
      '--delimiter',
      '-E',
      '-I',
      '-L',
      '-n',
      '--max-args',
      '-P',
      '--max-procs',
      '-s',
      '--max-chars',
      '--process-slot-var',
      '--max-lines',
    ],
    stopAtOperand: true,
  });
  const replace =
    optionValues(scanned, '-I')[0]?.text ??
    scanned.options.find((option) => option.name.startsWith('--replace') || option.name === '-i')?.value?.text ??
    (hasOption(scanned, '-i', '--replace') ? '{}' : null);
  const inner = args.slice(scanned.stop);
  const command = inner.length > 0 ? inner : [field('echo')];
  const files = optionValues(scanned, '-a', '--arg-file').map((value) => ({ field: value, access: 'read' as const }));
  const input = filesOnInput(context.line.input);
  return {
    inner: [command],
    files,
    argsFromInput: replace === null,
    effective:
      replace === null
        ? undefined
        : (fields) =>
            fields.map((arg, index) =>
              index > 0 && arg.text.includes(replace)
                ? arg.text === replace
                  ? input
                  : { ...arg, text: arg.text.replaceAll(replace, input.text), dynamic: arg.dynamic || input.dynamic }
                : arg,
            ),
  };
};

/** `su -c CMD`, `runuser -u USER -- CMD…`; a plain `su` starts an interactive shell and is the command. */
const su: Wrapper = (args) => {
  const scanned = scanArguments(args, {
    values: [
      '-c',
      '--command',
      '-s',
      '--shell',
      '-g',
      '--group',
      '-G',
      '--supp-group',
      '-w',
      '--whitelist-environment',
      '--session-command',
      '-u',
      '--user',
    ],
  });
  const scripts = optionValues(scanned, '-c', '--command', '--session-command');
  if (scripts.length === 0) {
    // runuser -u USER -- COMMAND…
    const dashDash = args.findIndex((arg) => arg.text === '--');
    if (hasOption(scanned, '-u', '--user') && dashDash !== -1 && dashDash + 1 < args.length)
      return { inner: [args.slice(dashDash + 1)] };
    return null;
  }
  return { scripts };
};

const sg: Wrapper = (args) => {
  const operands = args.filter((arg) => arg.text !== '-c' && arg.text !== '-');
  if (operands.length < 2) return null;
  return { scripts: [joined(operands.slice(1))] };
};

/** watch runs its words through `sh -c` unless `-x` is given. */
const watch: Wrapper = (args) => {
  const scanned = scanArguments(args, {
    values: ['-n', '--interval', '-q', '--equexit'],
    flags: [
      '-b',
      '-c',
      '-C',
      '-d',
      '-e',
      '-g',
      '-p',
      '-r',
      '-t',
      '-w',
      '-x',
      '--beep',
      '--color',
      '--no-color',
      '--differences',
      '--errexit',
      '--chgexit',
      '--precise',
      '--no-rerun',
      '--no-title',
      '--no-wrap',
      '--exec',
      '--help',
      '--version',
    ],
    stopAtOperand: true,
  });
  const rest = args.slice(scanned.stop);
  if (rest.length === 0) return null;
  if (hasOption(scanned, '-x', '--exec')) return { inner: [rest] };
  return { scripts: [joined(rest)] };
};

const flockSpec = wrapperFromSpec({
  grammar: {
    values: ['-E', '--conflict-exit-code', '-w', '--timeout', '--wait'],
    flags: [
      '-s',
      '--shared',
      '-x',
      '-e',
      '--exclusive',
      '-u',
      '--unlock',
      '-n',
      '--nb',
      '--nonblock',
      '-o',
      '--close',
      '-F',
      '--no-fork',
      '--verbose',
      '--help',
      '--version',
    ],
  },
  lead: 1,
  scriptOptions: ['-c', '--command'],
});

/** `flock FILE -c CMD`: the -c comes after the lock file. */
const flock: Wrapper = (args, context) => {
  const index = args.findIndex((arg) => arg.text === '-c' || arg.text === '--command');
  const file = args.findIndex((arg) => !arg.text.startsWith('-'));
  if (index !== -1 && file !== -1 && file < index && args[index + 1]) return { scripts: [args[index + 1] as Field] };
  return flockSpec(args, context);
};

const busybox: Wrapper = (args) => (args.length > 0 && !args[0]?.text.startsWith('-') ? { inner: [args] } : null);

/** GNU parallel: the words before `:::` are a command line run through the shell for each input. */
const parallel: Wrapper = (args) => {
  const scanned = scanArguments(args, {
    values: [
      '-j',
      '--jobs',
      '-S',
      '--sshlogin',
      '--joblog',
      '-a',
      '--arg-file',
      '-d',
      '--delimiter',
      '-I',
      '--colsep',
      '-N',
      '-n',
      '-L',
      '--tmpdir',
      '--results',
      '--delay',
      '--timeout',
      '--memfree',
      '--load',
      '--retries',
      '--workdir',
      '--env',
      '--sshloginfile',
      '--basefile',
      '--return',
    ],
    stopAtOperand: true,
  });
  const rest = args.slice(scanned.stop);
  const end = rest.findIndex((arg) => /^:::+\+?$/.test(arg.text));
  const command = end === -1 ? rest : rest.slice(0, end);
  return command.length > 0 ? { scripts: [{ ...joined(command), dynamic: true }] } : null;
};

/** `nix-shell --run CMD`, `nix develop -c CMD…`. */
const nix: Wrapper = (args) => {
  const run = args.findIndex((arg) => arg.text === '--run' || arg.text === '--command');
  if (run !== -1 && args[run + 1]) return { scripts: [args[run + 1] as Field] };
  const command = args.findIndex((arg) => arg.text === '-c' || arg.text === '--command');
  return command !== -1 && command + 1 < args.length ? { inner: [args.slice(command + 1)] } : null;
};

/** `npm exec`, `pnpm dlx`, `uv run`…: the subcommand word runs the program after it. */
function subcommandWrapper(subcommands: readonly string[], grammar: OptionGrammar): Wrapper {
  const inner = wrapperFromSpec({ grammar });
  return (args, context) => {
    const index = args.findIndex((arg) => !arg.text.startsWith('-'));
    if (index === -1 || !subcommands.includes((args[index] as Field).text)) return null;
    const outcome = inner(args.slice(index + 1), context);
    return outcome
      ? {
          ...outcome,
          label: `${context.invocation.fields[0] ? programName((context.invocation.fields[0] as Field).text) : ''} ${(args[index] as Field).text}`,
        }
      : null;
  };
}

const packageRunner = wrapperFromSpec({
  grammar: {
    values: [
      '-p',
      '--package',
      '--node-options',
      '--registry',
      '--cache',
      '--userconfig',
      '--from',
      '--with',
      '--python',
      '--spec',
    ],
    flags: [
      '-y',
      '--yes',
      '--no',
      '-q',
      '--quiet',
      '--ignore-existing',
      '--no-install',
      '--bun',
      '--silent',
      '--prefer-offline',
      '--offline',
      '--isolated',
    ],
  },
  scriptOptions: ['-c', '--call'],
});

const nice = wrapperFromSpec({
  grammar: {
    values: ['-n', '--adjustment'],
    flags: ['--help', '--version', ...Array.from({ length: 10 }, (_, n) => `-${n}`)],
  },
});

const WRAPPERS: Record<string, Wrapper> = {
  sudo: sudoWithEdit,
  doas: wrapperFromSpec({ grammar: { values: ['-C', '-u'], flags: ['-n', '-s', '-L'] }, shellJoin: ['-s'] }),
  pkexec: wrapperFromSpec({
    grammar: { values: ['--user'], flags: ['--disable-internal-agent', '--keep-cwd', '--version', '--help'] },
  }),
  env,
  'cross-env': wrapperFromSpec({ grammar: { flags: [] }, assignments: true }),
  dotenv: wrapperFromSpec({
    grammar: { values: ['-v', '-c', '-p'], flags: ['--debug', '--override', '-o'] },
    files: { '-e': 'read' },
  }),
  nohup: wrapperFromSpec({ grammar: { flags: ['--help', '--version'] } }),
  setsid: wrapperFromSpec({
    grammar: { flags: ['-c', '-f', '-w', '--ctty', '--fork', '--wait', '--help', '--version'] },
  }),
  timeout: wrapperFromSpec({
    grammar: {
      values: ['-s', '--signal', '-k', '--kill-after'],
      flags: ['--preserve-status', '--foreground', '-v', '--verbose', '-f', '-p', '--help', '--version'],
    },
    lead: 1,
  }),
  gtimeout: wrapperFromSpec({
    grammar: {
      values: ['-s', '--signal', '-k', '--kill-after'],
      flags: ['--preserve-status', '--foreground', '-v', '--verbose'],
    },
    lead: 1,
  }),
  nice,
  renice: nice,
  ionice: wrapperFromSpec({
    grammar: { values: ['-c', '--class', '-n', '--classdata'], flags: ['-t', '--ignore', '--help', '--version'] },
    nothingRun: ['-p', '--pid', '-P', '--pgid', '-u', '--uid'],
  }),
  stdbuf: wrapperFromSpec({
    grammar: { values: ['-i', '-o', '-e', '--input', '--output', '--error'], flags: ['--help', '--version'] },
  }),
  command: wrapperFromSpec({ grammar: { flags: ['-p', '-v', '-V'] }, nothingRun: ['-v', '-V'] }),
  builtin: wrapperFromSpec({ grammar: { flags: [] } }),
  exec: wrapperFromSpec({ grammar: { values: ['-a'], flags: ['-c', '-l'] } }),
  time: wrapperFromSpec({
    grammar: {
      values: ['-f', '--format'],
      flags: ['-a', '--append', '-p', '--portability', '-q', '--quiet', '-v', '--verbose', '--help', '-V', '--version'],
    },
    files: { '-o': 'write', '--output': 'write' },
  }),
  xargs,
  watch,
  chroot: wrapperFromSpec({
    grammar: { values: ['--userspec', '--groups'], flags: ['--skip-chdir', '--help', '--version'] },
    lead: 1,
  }),
  flock,
  taskset: wrapperFromSpec({
    grammar: { flags: ['-a', '--all-tasks', '-c', '--cpu-list', '--help', '--version'] },
    lead: 1,
    nothingRun: ['-p', '--pid'],
  }),
  unbuffer: wrapperFromSpec({ grammar: { flags: ['-p'] } }),
  caffeinate: wrapperFromSpec({ grammar: { values: ['-t', '-w'], flags: ['-d', '-i', '-m', '-s', '-u'] } }),
  strace: wrapperFromSpec({
    grammar: {
      values: ['-e', '-p', '-s', '-u', '-E', '-P', '-a', '-b', '-I', '-O', '-S', '-X', '-U'],
      flags: [
        '-f',
        '-F',
        '-c',
        '-C',
        '-d',
        '-D',
        '-i',
        '-q',
        '-r',
        '-t',
        '-T',
        '-v',
        '-V',
        '-x',
        '-y',
        '-k',
        '-w',
        '-z',
        '-Z',
        '-h',
        '-n',
        '-N',
      ],
    },
    files: { '-o': 'write' },
  }),
  ltrace: wrapperFromSpec({
    grammar: {
      values: ['-e', '-p', '-s', '-u', '-a', '-A', '-D', '-F', '-l', '-n', '-x', '-X', '-L'],
      flags: ['-b', '-c', '-C', '-f', '-h', '-i', '-r', '-S', '-t', '-T', '-V', '-w'],
    },
    files: { '-o': 'write' },
  }),
  su,
  runuser: su,
  sg,
  script: wrapperFromSpec({
    grammar: {
      values: [
        '-E',
        '--echo',
        '-I',
        '--log-in',
        '-O',
        '--log-out',
        '-T',
        '--log-timing',
        '-m',
        '--logging-format',
        '-B',
        '--log-io',
      ],
      flags: ['-a', '--append', '-e', '--return', '-f', '--flush', '--force', '-q', '--quiet', '-t', '--timing'],
    },
    scriptOptions: ['-c', '--command'],
  }),
  busybox,
  parallel,
  'nix-shell': nix,
  nix,
  toybox: busybox,
  npx: packageRunner,
  bunx: packageRunner,
  pnpx: packageRunner,
  uvx: packageRunner,
  npm: subcommandWrapper(['exec', 'x'], {
    values: ['-p', '--package', '-w', '--workspace'],
    flags: ['-y', '--yes', '--no', '-ws', '--workspaces'],
  }),
  pnpm: subcommandWrapper(['exec', 'dlx'], {
    values: ['-p', '--package', '--filter', '-F', '-C', '--dir'],
    flags: ['-r', '--recursive', '--parallel', '-c', '--shell-mode', '-s', '--silent'],
  }),
  yarn: subcommandWrapper(['exec', 'dlx'], { values: ['-p', '--package'], flags: ['-q', '--quiet'] }),
  uv: subcommandWrapper(['run'], {
    values: [
      '--with',
      '--python',
      '-p',
      '--project',
      '--directory',
      '--package',
      '--extra',
      '--group',
      '--env-file',
      '--with-requirements',
      '--index',
      '--default-index',
    ],
    flags: [
      '--no-project',
      '--isolated',
      '--frozen',
      '--locked',
      '--no-sync',
      '-q',
      '--quiet',
      '-v',
      '--verbose',
      '--all-extras',
      '--no-dev',
      '--offline',
      '-m',
      '--module',
      '--script',
    ],
  }),
  poetry: subcommandWrapper(['run'], {
    values: ['-C', '--directory', '-P', '--project'],
    flags: ['-q', '--quiet', '-v', '--verbose', '-n', '--no-interaction'],
  }),
  pipenv: subcommandWrapper(['run'], { values: [], flags: [] }),
  bundle: subcommandWrapper(['exec'], { values: ['--gemfile'], flags: ['--keep-file-descriptors'] }),
};

import { type OptionGrammar, hasOption, optionValues, scanArguments, sliceField } from './command-options';
import { type CommandInput, type Extraction, type Scope, childScope } from './extraction';
import { readGit } from './git';
import { type PatchApplication, patchTargets } from './patches';
import { type Access, SMALL_FILE_BYTES } from './paths';
import { type Field, decodeAnsiC } from './shell-words';
import { FD_SPEC, FIND_SPEC } from './programs/finders';
import { METADATA_PROGRAMS } from './programs/metadata';
import { resolveProgram } from './programs/names';
import { describesEveryFile, implicitRuns, programEffects, programSpec } from './programs/registry';
import type { DatabaseClient, ProgramSpec, WrapperSpec } from './programs/spec';
import { codeSource, interpreterSpec, isJavaScriptRuntime, runsScriptFile } from './programs/interpreters';
import { readSql, redisStatement } from './programs/sql';
import { SHELL_PROGRAMS } from './shells';
import { taintedTexts } from './taint';
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

/** The program a command's first word runs, by its spec's name (`/usr/bin/python3.12` → `python3`). */
function programName(text: string): string {
  // The CLI's launcher run by its path (`/opt/cavra/bin/cavra.cjs approvals approve …`) is cavra.
  if (isCavraScript(text)) return 'cavra';
  const slash = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
  return resolveProgram(slash === -1 || slash === text.length - 1 ? text : text.slice(slash + 1));
}

/**
 * The file is the cavra command line: its launcher `bin/cavra.cjs`, the bundle
 * `dist/cli/cavra.cjs` (any `cavra.js`/`.cjs`/`.mjs`), or the sources `cli/main.ts`, `cli/cavra.ts`.
 */
function isCavraScript(text: string): boolean {
  const path = text.replace(/\\/g, '/');
  return /(^|\/)cavra\.[cm]?js$/i.test(path) || /(^|\/)cli\/(main|cavra)\.[cm]?[jt]s$/.test(path);
}

/** Wrappers whose own options and wrapped command are read here (`sudo`, `env`, `nohup`). */
export function wrapperPrograms(): readonly string[] {
  return Object.keys(WRAPPERS);
}

/**
 * Programs whose arguments this module reads itself (scripts, directories, find), and whether
 * their arguments stay out of argument taint (taint.ts): their reader accounts for them, or they
 * are names, not files — directories (`cd`), variables (`export`), programs (`hash`).
 */
const NORMALIZER_PROGRAMS: Readonly<Record<string, { readonly untainted: boolean }>> = {
  eval: { untainted: true },
  trap: { untainted: true },
  alias: { untainted: true },
  cd: { untainted: true },
  pushd: { untainted: true },
  sudoedit: { untainted: true },
  hash: { untainted: true },
  enable: { untainted: false },
  export: { untainted: true },
  declare: { untainted: true },
  typeset: { untainted: true },
  sql: { untainted: false },
  cavra: { untainted: false },
};

/** Programs whose arguments this module reads itself. */
export const SPECIAL_PROGRAMS: ReadonlySet<string> = new Set(Object.keys(NORMALIZER_PROGRAMS));

/** Peels wrappers, records the simple command(s), and follows whatever they run in turn. */
export function runCommandLine(extraction: Extraction, line: CommandLine): SimpleCommand[] {
  return run(
    extraction,
    line,
    {
      fields: line.fields,
      effective: line.fields,
      wrappers: [...line.scope.wrappers],
      // `export HUSKY=0; git commit`: exported variables reach every later command of the text.
      assignments: { ...extraction.exported, ...line.assignments },
      argsFromInput: false,
    },
    0,
  );
}

/**
 * Whether the program's arguments stay out of argument taint, by its spec: a shell's are its
 * script, read as one; `command -v NAME` names programs (the wrapper reads `command` otherwise).
 */
function untainted(program: string): boolean {
  return (
    NORMALIZER_PROGRAMS[program]?.untainted === true ||
    programSpec(program)?.untainted === true ||
    SHELL_PROGRAMS.has(program) ||
    program === 'command'
  );
}

/**
 * SQL given to a database client, from its arguments or its input: each statement is judged as
 * an `sql` command; shell text it runs is read as a script, files it touches as files.
 */
function databaseClient(
  extraction: Extraction,
  line: CommandLine,
  program: string,
  args: Field[],
  invocation: Invocation,
  { dialect: client, grammar }: DatabaseClient,
): void {
  const scanned = scanArguments(args, grammar);
  const texts: Field[] = [];
  if (client === 'sqlite3') {
    texts.push(...optionValues(scanned, '-cmd'), ...scanned.operands.slice(1));
    // The database is read and written; `-init FILE` is read as statements.
    const database = scanned.operands[0];
    if (database && database.text !== '-')
      extraction.addFieldPath(database, { access: 'readwrite', source: 'command', via: program });
    for (const init of optionValues(scanned, '-init'))
      if (init.text !== '-') extraction.addFieldPath(init, { access: 'read', source: 'command', via: program });
  }
  if (client === 'psql') texts.push(...optionValues(scanned, '-c', '--command'));
  if (client === 'mysql') texts.push(...optionValues(scanned, '-e', '--execute', '--init-command'));
  const wrappers = [...invocation.wrappers, program];
  const statement = (words: string[], text: string) =>
    extraction.addCommand({
      program: 'sql',
      args: words,
      assignments: {},
      wrappers,
      depth: line.scope.depth + 1,
      dynamic: false,
      text,
    });
  if (client === 'redis-cli') {
    if (hasOption(scanned, '--eval')) extraction.problem('unsupported', 'redis-cli runs a Lua script');
    if (scanned.operands.length > 0) statement(redisStatement(scanned.operands.map((field) => field.text)), line.text);
  }
  const fromInput = texts.length === 0 && !(client === 'psql' && hasOption(scanned, '-f', '--file'));
  if (fromInput && client !== 'redis-cli') {
    const input = line.input;
    if (input?.kind === 'text') texts.push(field(input.text, input.dynamic));
    else if (input?.kind === 'pipe') {
      if (input.text !== null) texts.push(field(input.text));
      else {
        const from = [...new Set(input.from.map((c) => c.program))].join(', ') || 'another command';
        extraction.problem(
          'unsupported',
          `${program} runs statements read from the output of ${from}; they cannot be judged`,
        );
      }
    }
  }
  for (const text of texts) {
    if (text.dynamic)
      extraction.problem('unsupported', `${program} runs SQL only known at run time: ${text.text.slice(0, 80)}`);
    const reading = readSql(text.text, client);
    for (const words of reading.statements) statement(words, words.join(' ').slice(0, 200));
    for (const script of reading.scripts)
      scriptRunBy(extraction, line, invocation, `${program} shell`, field(script, text.dynamic));
    for (const file of reading.files)
      extraction.addFieldPath(field(file.text, text.dynamic), { access: file.access, source: 'command', via: program });
    for (const problem of reading.problems) extraction.problem('unsupported', problem);
  }
}

/** Only so many arguments of one command are tainted: enough for any real command line. */
const MAX_TAINTED_ARGS = 64;

/** `tar -T -`, `zip -@`, `cpio -o`: the names of the files archived come from standard input. */
function namesFromInput(extraction: Extraction, line: CommandLine, program: string, args: readonly Field[]): void {
  const fromInput =
    ((program === 'tar' || program === 'bsdtar' || program === 'gtar') &&
      args.some(
        (arg, i) =>
          /^(-T-?|--files-from=-|--files-from=\/dev\/stdin)$/.test(arg.text) &&
          (arg.text !== '-T' || args[i + 1]?.text === '-'),
      )) ||
    (program === 'zip' && args.some((arg) => arg.text === '-@' || /^-[a-zA-Z]*@$/.test(arg.text))) ||
    (program === 'cpio' && args.some((arg) => /^-[a-zA-Z]*o/.test(arg.text) || arg.text === '--create'));
  if (!fromInput) return;
  for (const name of filesOnInput(line.input))
    extraction.addFieldPath(name, { access: 'read', source: 'command', via: program });
}

/** `ln -s TARGET… LINK` (or `cp -s`): remembers each link so later paths through it are judged at the target. */
function symbolicLinks(extraction: Extraction, args: readonly Field[]): void {
  const operands = args.filter((arg) => !arg.text.startsWith('-'));
  if (operands.length < 2 || operands.some((arg) => arg.dynamic)) return;
  const destination = operands[operands.length - 1] as Field;
  const sources = operands.slice(0, -1);
  const { resolver } = extraction;
  for (const base of extraction.directories) {
    const destinationPath = resolver.absolute(destination.text, base);
    const intoDirectory = sources.length > 1 || destination.text.endsWith('/') || resolver.isDirectory(destinationPath);
    for (const source of sources) {
      const name = source.text.replace(/\/+$/, '');
      const link = intoDirectory ? `${destinationPath}/${name.slice(name.lastIndexOf('/') + 1)}` : destinationPath;
      // A relative target is relative to the link's own directory.
      const target = /^[/\\~]/.test(source.text)
        ? resolver.absolute(source.text)
        : resolver.absolute(source.text, link.slice(0, link.lastIndexOf('/')) || '/');
      extraction.makeLink(link, target);
    }
  }
}

/** Values of the options named, attached (`-Cdir`, `--file=x`) or as the next word. */
function optionValuesOf(args: readonly Field[], names: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg.text === name && args[i + 1]) out.push((args[i + 1] as Field).text);
      else if (name.startsWith('--') && arg.text.startsWith(`${name}=`)) out.push(arg.text.slice(name.length + 1));
      else if (!name.startsWith('--') && arg.text.startsWith(name) && arg.text.length > name.length)
        out.push(arg.text.slice(name.length));
    }
  });
  return out;
}

/** Index of the script file an interpreter runs (`python3 x.py`, `deno run a.ts`); null for inline code or none. */
function scriptOperand(program: string, args: readonly Field[]): number | null {
  const spec = interpreterSpec(program);
  if (spec === undefined) return null;
  const skip = program === 'deno' && args[0]?.text === 'run' ? 1 : 0;
  const source = codeSource(
    spec,
    args.slice(skip).map((arg) => arg.text),
  );
  return source.kind === 'script' ? source.index + skip : null;
}

/** The script file an interpreter runs, when it is known statically. */
function interpretedScript(program: string, args: readonly Field[]): string | null {
  if (!runsScriptFile(program)) return null;
  const index = scriptOperand(program, args);
  const script = index === null ? undefined : args[index];
  return script === undefined || script.dynamic ? null : script.text;
}

/** The command-line program the script is: `node …/bin/cavra.cjs approve` runs `cavra approve`. */
function scriptProgram(program: string, args: readonly Field[]): { index: number; name: string } | null {
  // A `cavra` command line can be run by a JavaScript runtime as a script (`node …/bin/cavra.cjs approve`).
  if (!isJavaScriptRuntime(program)) return null;
  const index = scriptOperand(program, args);
  const script = index === null ? undefined : args[index];
  if (index === null || script === undefined) return null;
  if (script.dynamic) return { index, name: '' };
  if (isCavraScript(script.text)) return { index, name: 'cavra' };
  const name = programName(script.text).replace(/\.(c|m)?[jt]s$/, '');
  return { index, name };
}

/**
 * Inline code given to an interpreter (`node -e CODE`, `python3 -c CODE`) is code, not a file
 * name: the argument holding it is left out of argument taint. The file names quoted in the
 * code (`open(".env")`, `readFileSync('~/.ssh/id_rsa')`) are what the code reads.
 */
function inlineCode(program: string, args: readonly Field[]): { index: number; code: string } | null {
  const spec = interpreterSpec(program);
  if (spec === undefined) return null;
  const source = codeSource(
    spec,
    args.map((arg) => arg.text),
  );
  if (source.kind !== 'inline' || source.code === null) return null;
  return { index: source.index, code: source.code };
}

const MAX_QUOTED_NAMES = 32;

/** String literals in code: `"…"`, `'…'`, `` `…` ``, as far as they look like file names. */
function quotedNames(code: string): string[] {
  const out: string[] = [];
  for (const match of code.matchAll(/(["'`])((?:\\.|(?!\1)[^\\\n])*)\1/g)) {
    const text = (match[2] as string).replace(/\\(.)/g, '$1');
    // `split('/')`, `join(__dirname, '..')`: separators and relative steps in code, not a file it
    // opens; judged as one they made everyday code "write the root" (a guard deny).
    if (/^[./]+$/.test(text)) continue;
    if (text !== '' && text.length < 4096 && !/\s/.test(text)) out.push(text);
    if (out.length >= MAX_QUOTED_NAMES) break;
  }
  return out;
}

/** Argument taint: every argument the program's spec does not account for may name a file it reads. */
function taintArguments(extraction: Extraction, program: string, args: readonly Field[]): void {
  if (METADATA_PROGRAMS.has(program) || untainted(program) || describesEveryFile(program)) return;
  const inline = inlineCode(program, args);
  if (inline === null) {
    taintWords(extraction, program, args);
    return;
  }
  const code = args[inline.index] as Field;
  taintWords(
    extraction,
    program,
    args.filter((_, i) => i !== inline.index),
  );
  if (code.dynamic) return;
  // Code may read or write what it names; each reading only adds subjects for the rules to judge.
  codeNames(extraction, program, inline.code);
}

/**
 * The names quoted in opaque code (`node -e`, `python3 - <<EOF`) are files it may read or write.
 * Inside the sandbox nothing outside the workspace can be written but its private temp dir and
 * home, so there a name outside the workspace is judged only as something the code may read
 * (`print('/etc/hosts'.split('/'))` is not a write outside the workspace); a name inside it
 * (`.github/workflows/ci.yml`, `.claude/settings.json`) is still judged as written.
 */
function codeNames(extraction: Extraction, program: string, code: string): void {
  const named = quotedNames(code).map((text) => field(text));
  taintWords(extraction, program, named, 'read');
  const { resolver } = extraction;
  const workspace = resolver.workspace;
  const writable =
    resolver.userHome === null
      ? named
      : named.filter((name) => {
          if (workspace === null || /^~/.test(name.text)) return false;
          const absolute = resolver.absolute(name.text);
          return absolute === workspace || absolute.startsWith(`${workspace}/`);
        });
  taintWords(extraction, program, writable, 'write');
}

function taintWords(extraction: Extraction, program: string, args: readonly Field[], access: Access = 'read'): void {
  for (const arg of args.slice(0, MAX_TAINTED_ARGS)) {
    if (arg.dynamic || arg.processSubstitution) continue;
    for (const text of taintedTexts(arg, (name) => extraction.nameExists(name))) {
      extraction.addFieldPath({ ...arg, text }, { access, source: 'command', via: program });
    }
  }
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
  const wrapper = wrapperOf(program);
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
    case 'git':
      git(extraction, line, args, invocation);
      break;
    case 'find':
      find(extraction, line, args, invocation);
      break;
    case 'fd':
    case 'fdfind':
      fd(extraction, line, args, invocation);
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
    case 'export':
    case 'declare':
    case 'typeset':
      // `declare -p NAME`: the variables named are printed.
      if (program !== 'export') {
        const names = args.map((arg) => arg.text).filter((text) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(text));
        if (names.length > 0)
          for (const command of recorded) command.variables = [...new Set([...(command.variables ?? []), ...names])];
      }
      if (program === 'export' || args.some((arg) => /^-[a-zA-Z]*x/.test(arg.text))) {
        for (const arg of args) {
          const eq = arg.text.indexOf('=');
          if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(arg.text.slice(0, eq)))
            extraction.exported[arg.text.slice(0, eq)] = arg.text.slice(eq + 1);
        }
      }
      break;
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
  const script = scriptProgram(program, args);
  if (script !== null) {
    if (script.name === '') {
      extraction.problem('unsupported', `the script ${program} runs is only known at run time`);
    } else if (script.name === 'cavra') {
      // `node …/bin/cavra.cjs policy unassign …` is the cavra command line itself.
      run(
        extraction,
        line,
        {
          ...invocation,
          fields: [field('cavra'), ...args.slice(script.index + 1)],
          effective: [field('cavra'), ...args.slice(script.index + 1)],
          wrappers: [...invocation.wrappers, program],
        },
        1,
      );
    }
  }
  const spec = programSpec(program);
  if (spec?.databaseClient) databaseClient(extraction, line, program, args, invocation, spec.databaseClient);
  const effects = programEffects(program, invocation.argsFromInput ? [...args, ...filesOnInput(line.input)] : args);
  for (const target of effects?.downloads ?? []) extraction.fetch(target);
  namesFromInput(extraction, line, program, args);
  for (const arg of args) {
    // `--files0-from=<(printf '.env\0')`: the names of the files read are produced at run time.
    if (arg.processSubstitution && /^--files0-from|^--files-from|^-T/.test(arg.text))
      extraction.problem(
        'unsupported',
        `${program} reads file names produced by another command: ${arg.text.slice(0, 80)}`,
      );
  }
  // `--env-file FILE` of any program (node, uv, docker, bun, deno) loads that file into the environment.
  for (const value of optionValuesOf(args, ['--env-file', '--env-file-if-exists']))
    extraction.addFieldPath(field(value), { access: 'read', source: 'command', via: program });
  if (
    (program === 'ln' || program === 'cp') &&
    args.some((arg) => /^-[a-zA-Z]*s[a-zA-Z]*$|^--symbolic(-link)?$/.test(arg.text))
  )
    symbolicLinks(extraction, args);
  const interpreted = interpretedScript(program, args);
  if (interpreted !== null) extraction.run(interpreted);
  if (program === 'chmod' && args.some((arg) => /^(\+|[ugoa]+\+)[rwX]*x|^0?[0-7]?[1357][0-7]{2}$/.test(arg.text)))
    for (const arg of args.slice(1)) if (!arg.text.startsWith('-') && !arg.dynamic) extraction.run(arg.text);
  for (const value of optionValuesOf(args, spec?.runFileOptions ?? [])) extraction.run(value);
  const { files: implicit, directoryOptions } = implicitRuns(
    program,
    args.map((arg) => arg.text),
  );
  if (implicit.length > 0) {
    // `make -C dir`, `npm --prefix dir install`: the files are those of that directory.
    const directories = optionValuesOf(args, directoryOptions);
    for (const directory of directories.length > 0 ? directories : ['.'])
      for (const name of implicit)
        extraction.run(directory === '.' ? name : `${directory.replace(/\/Cargo\.toml$/, '')}/${name}`);
  }
  // `curl … | tar xz`: what the archive unpacks came from the network.
  if (
    spec?.extracts === true &&
    line.input?.kind === 'pipe' &&
    line.input.from.some((c) => programSpec(c.program)?.fetches === true)
  )
    extraction.fetch(optionValuesOf(args, ['-C', '--directory', '-d'])[0] ?? '.');
  for (const variable of PROGRAM_VARIABLES) {
    const value = invocation.assignments[variable];
    if (value) scriptRunBy(extraction, line, invocation, `${variable}=`, field(value.replace(/^\|/, '')));
  }
  if (effects) {
    for (const file of effects.files) {
      const request = {
        access: file.access,
        source: 'command' as const,
        via,
        ...(file.recursive ? { recursive: true } : {}),
        ...(file.walk ? { walk: file.walk } : {}),
      };
      extraction.addFieldPath(file.field, request);
    }
    for (const script of effects.scripts)
      scriptRunBy(extraction, line, invocation, script.label, field(script.text, script.dynamic));
    for (const problem of effects.problems) extraction.problem('unsupported', problem);
    if (effects.variables && effects.variables.length > 0)
      for (const command of recorded)
        command.variables = [...new Set([...(command.variables ?? []), ...effects.variables])];
  }
  // Arguments the program's reader already judged as files need no second reading.
  const judged = effects?.files.map((file) => file.field.text).filter((text) => text !== '') ?? [];
  taintArguments(
    extraction,
    program,
    judged.length === 0 ? args : args.filter((arg) => !judged.some((text) => arg.text.includes(text))),
  );
  codeOnInput(extraction, program, args, line.input);
  return recorded;
}

/**
 * Code an interpreter reads from its standard input (`python3 - <<EOF`, `echo CODE | node`)
 * names files as inline code does: what it quotes is what it may read or write.
 */
function codeOnInput(
  extraction: Extraction,
  program: string,
  args: readonly Field[],
  input: CommandInput | null,
): void {
  const spec = interpreterSpec(program);
  if (spec === undefined || input === null || input.kind === 'file') return;
  const source = codeSource(
    spec,
    args.map((arg) => arg.text),
  );
  if (source.kind !== 'stdin' && source.kind !== 'none') return;
  const text = input.text;
  if (text === null || text === '') return;
  codeNames(extraction, program, text);
}

function record(extraction: Extraction, line: CommandLine, program: string, invocation: Invocation): SimpleCommand[] {
  const args = invocation.fields.slice(1);
  const head = invocation.fields[0] as Field;
  const location = /[/\\]/.test(head.text) && !head.dynamic ? extraction.programLocation(head.text) : null;
  if (location) {
    extraction.runs.push(location.path);
    // Running a file is reading it: `~/.ssh/id_rsa` as a program is still the key. Installed
    // programs (`/usr/local/bin/npm`) are not worth a finding.
    if (!/^\/(usr|bin|sbin|opt|nix|snap|lib|System|Applications)\//.test(location.path))
      extraction.addFieldPath(head, { access: 'read', source: 'command', via: program });
  }
  const command: SimpleCommand = {
    program,
    ...(location ? { programPath: location.path, programInWorkspace: location.inWorkspace } : {}),
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
    ...(line.input ? { stdin: line.input.kind } : {}),
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
    // `bash -c 'cat "$1"' _ .env`: the script's arguments may name the files it reads.
    taintWords(extraction, program, rest.slice(1));
    const positional = rest.every((arg) => !arg.dynamic) ? rest.map((arg) => arg.text) : null;
    nestedScript(extraction, line, script, `${program} -c`, wrappers, positional, line.input);
    return;
  }
  const file = operands[0];
  if (file !== undefined && !stdin) {
    scriptFile(extraction, line, program, file, wrappers);
    taintWords(extraction, program, operands.slice(1));
    return;
  }
  taintWords(extraction, program, operands);
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
    if (!file.dynamic) extraction.run(file.text);
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

/**
 * `git apply|am`: the files the patch names are written. A patch that cannot be read whole
 * (from a pipe or a redirect, too long, a name it quotes) may write anything under the
 * directory it applies to, guard and CI files included.
 */
function applyPatch(
  extraction: Extraction,
  line: CommandLine,
  patch: PatchApplication,
  base: string | undefined,
): void {
  const write = (text: string, recursive: boolean) =>
    extraction.addFieldPath(field(text), {
      access: 'write',
      source: 'command',
      via: 'git',
      ...(base ? { base } : {}),
      ...(recursive ? { recursive: true } : {}),
    });
  const texts: (string | null)[] = [];
  if (patch.sources.length === 0) {
    const input = line.input;
    texts.push(input?.kind === 'text' && !input.dynamic ? input.text : input?.kind === 'pipe' ? input.text : null);
  }
  for (const source of patch.sources) {
    extraction.addFieldPath(source, { access: 'read', source: 'command', via: 'git', ...(base ? { base } : {}) });
    const fixed = !source.dynamic && !source.glob && !source.pattern && !source.processSubstitution;
    const at = extraction.resolver.absolute(source.text, base ?? (extraction.directories[0] as string));
    texts.push(fixed ? extraction.resolver.head(at) : null);
  }
  for (const text of texts) {
    const targets =
      text === null || Buffer.byteLength(text) >= SMALL_FILE_BYTES ? null : patchTargets(text, patch.strip);
    if (targets === null) write(patch.directory ?? '.', true);
    else for (const target of targets) write(patch.directory ? `${patch.directory}/${target}` : target, false);
  }
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
  if (reading.patch) applyPatch(extraction, line, reading.patch, base);
  for (const file of reading.files) {
    extraction.addFieldPath(file.field, {
      access: file.access,
      source: 'command',
      via: 'git',
      ...(base ? { base } : {}),
      ...(file.recursive ? { recursive: true } : {}),
      ...(file.walk ? { walk: file.walk } : {}),
    });
  }
  for (const script of reading.scripts)
    scriptRunBy(extraction, line, invocation, script.label, field(script.text, script.dynamic));
  for (const problem of reading.problems) extraction.problem('unsupported', problem);
  if (
    reading.invocation.subcommand === 'cat-file' &&
    args.some((arg) => /^--batch(=|$)|^--batch-command/.test(arg.text))
  ) {
    // `git cat-file --batch` prints the objects named on its input: `HEAD:.env` reads `.env`.
    const input = line.input;
    const text = input?.kind === 'text' && !input.dynamic ? input.text : input?.kind === 'pipe' ? input.text : null;
    if (text === null) {
      if (input !== null && input.kind !== 'file')
        extraction.problem('unsupported', 'git cat-file --batch prints objects named at run time');
    } else {
      for (const name of text.split('\n')) {
        const revPath = /^(?:contents\s+)?[^:\s]*:(.+)$/.exec(name.trim());
        if (revPath)
          extraction.addFieldPath(field((revPath[1] as string).trim()), {
            access: 'read',
            source: 'command',
            via: 'git',
          });
      }
    }
  }
}

// find's and fd's grammars are their specs (programs/finders.ts); the readers below follow them.
const FIND_VALUES: ReadonlySet<string> = new Set(FIND_SPEC.finder?.values);

const FIND_EXEC: ReadonlySet<string> = new Set(FIND_SPEC.finder?.exec);

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
    if (reading.deletes && reading.names.length === 0) {
      // `find . -delete` removes the whole tree under each start point.
      extraction.addFieldPath(root, { access: 'write', source: 'command', via: 'find', recursive: true });
    } else {
      // Without -exec or -delete, find only prints names; what it deletes is what its -name matches.
      extraction.addFieldPath(root, { access: 'read', source: 'command', via: 'find' });
    }
  }
  if (reading.deletes && reading.names.length > 0) {
    for (const pattern of findPatterns(reading))
      extraction.addFieldPath(pattern, { access: 'write', source: 'command', via: 'find' });
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

const FD_VALUE_OPTIONS: ReadonlySet<string> = new Set(FD_SPEC.finder?.values);

/**
 * `fd [PATTERN] [PATH…] -x|-X CMD…`: like `find -exec`, the command runs on the files fd finds.
 * fd's pattern is a regular expression over names, and its hidden/ignore filters are switched
 * off by a flag, so the files are judged as every file under each search path (`*.EXT` with
 * `-e`): what the command may read is never narrowed by what .gitignore happens to say.
 */
function fd(extraction: Extraction, line: CommandLine, args: Field[], invocation: Invocation): void {
  const positional: Field[] = [];
  const roots: Field[] = [];
  const names: string[] = [];
  const execs: Field[][] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as Field;
    const text = arg.text;
    if (text === '-x' || text === '--exec' || text === '-X' || text === '--exec-batch') {
      // The command runs to the end of the words or a `;`; several -x may follow one another.
      const command: Field[] = [];
      for (i++; i < args.length && (args[i] as Field).text !== ';'; i++) command.push(args[i] as Field);
      if (command.length > 0) execs.push(command);
      continue;
    }
    const eq = text.indexOf('=');
    const option = text.startsWith('--') && eq > 0 ? text.slice(0, eq) : text;
    if (FD_VALUE_OPTIONS.has(option)) {
      const value = option === text ? (args[++i] as Field | undefined)?.text : text.slice(eq + 1);
      if (value === undefined) continue;
      if (option === '-e' || option === '--extension') names.push(`*.${value.replace(/^\./, '')}`);
      if (option === '--search-path' || option === '--base-directory') roots.push(field(value, arg.dynamic));
      continue;
    }
    if (text === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (text.startsWith('-') && text !== '-') continue;
    positional.push(arg);
  }
  roots.push(...positional.slice(1));
  if (roots.length === 0) roots.push(field('.'));
  for (const root of roots) extraction.addFieldPath(root, { access: 'read', source: 'command', via: 'fd' });
  const patterns = findPatterns({ roots, names }).slice(0, MAX_READINGS);
  for (const exec of execs) {
    const placeholder = exec.some((arg) => /\{[/.]*\}/.test(arg.text));
    for (const pattern of patterns) {
      // Without a placeholder fd puts the path last; `{/}`, `{.}`, `{//}` are parts of it.
      const effective = placeholder
        ? exec.map((arg) =>
            /^\{[/.]*\}$/.test(arg.text)
              ? pattern
              : arg.text.includes('{')
                ? { ...arg, text: arg.text.replace(/\{[/.]*\}/g, pattern.text) }
                : arg,
          )
        : [...exec, pattern];
      run(
        extraction,
        line,
        {
          fields: exec,
          effective,
          wrappers: [...invocation.wrappers, 'fd -x'],
          assignments: invocation.assignments,
          argsFromInput: false,
          placeholders: true,
        },
        1,
      );
    }
  }
}

/**
 * The file names xargs (or `tar -T -`, `zip -@`) reads from standard input: known when the input
 * is static text, or comes from a command listing files (`find`, `git ls-files`); one dynamic
 * field otherwise.
 */
function filesOnInput(input: CommandInput | null): Field[] {
  const words = (text: string) =>
    text
      .split(/[\s\0]+/)
      .filter((word) => word !== '')
      .slice(0, 256)
      .map((word) => field(word));
  if (input?.kind === 'text' && !input.dynamic) return words(input.text);
  if (input?.kind === 'pipe') {
    if (input.text !== null) return words(input.text);
    const [source] = input.from;
    if (input.from.length === 1 && source) {
      const args = source.args.map((text) => field(text, source.dynamic));
      if (source.program === 'find') {
        const patterns = findPatterns(readFind(args));
        if (patterns.length > 0) return patterns;
      }
      // git lists what it tracks: nothing ignored (unless asked for). It lists a link as a link,
      // but the program it feeds opens the name, and opening a link reads its target
      // (`git ls-files | xargs cat` reads the .env a tracked link points to).
      const tracked =
        source.program === 'git' &&
        !source.args.some((arg) => /^(-o|--others|-i|--ignored|-[a-zA-Z]*[oi][a-zA-Z]*)$/.test(arg))
          ? { walk: { ignoreFiles: true } }
          : {};
      const listed = gitListedPattern(source);
      if (listed !== null) return [{ ...field(listed), pattern: true, ...tracked }];
      if (listsWorkspaceFiles(source)) return [{ ...field('./**'), pattern: true, ...tracked }];
    }
  }
  return [field('<standard input>', true)];
}

/** `git ls-files PATHSPEC`: the files it can list, as a find-style pattern; null for other commands. */
function gitListedPattern(source: SimpleCommand): string | null {
  if (source.program !== 'git' || source.args[0] !== 'ls-files') return null;
  const specs = source.args.slice(1).filter((arg) => !arg.startsWith('-'));
  if (specs.length !== 1) return null;
  const spec = (specs[0] as string).replace(/\/+$/, '');
  if (spec.includes('/') && /[*?[]/.test(spec)) return null;
  return /[*?[]/.test(spec) ? `./**/${spec}` : `${spec}/**`;
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
    if (spec.editOptions && hasOption(scanned, ...spec.editOptions))
      return { files: args.slice(scanned.stop).map((operand) => ({ field: operand, access: 'write' as const })) };
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
  const inputs = filesOnInput(context.line.input);
  return {
    inner: [command],
    files,
    argsFromInput: replace === null,
    effective:
      replace === null
        ? undefined
        : (fields) =>
            fields.flatMap((arg, index) =>
              index > 0 && arg.text.includes(replace)
                ? arg.text === replace
                  ? inputs
                  : inputs.map((one) => ({
                      ...arg,
                      text: arg.text.replaceAll(replace, one.text),
                      dynamic: arg.dynamic || one.dynamic,
                    }))
                : [arg],
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

/** `busybox sh -c …`: the first word is the applet run; an option first (`--list`) runs none. */
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

/** A package source outside the registry: a URL, a git or forge reference, an `owner/repo` shorthand. */
function offRegistry(source: string): boolean {
  return (
    /^(git\+|git:|https?:|ssh:|file:|github:|gitlab:|bitbucket:|gist:)/i.test(source) ||
    /^[A-Za-z0-9][\w.-]*\/[\w.-]+(#.*)?$/.test(source)
  );
}

/** `uvx --from git+…`, `uv run --with git+…`, `npx -p github:…`: the package runner installs from outside the registry. */
function checkPackageSources(extraction: Extraction, program: string, spec: ProgramSpec, args: readonly Field[]): void {
  const sources = spec.packageSources ?? [];
  for (let i = 0; i < args.length; i++) {
    const text = (args[i] as Field).text;
    if (!text.startsWith('-')) continue;
    const eq = text.indexOf('=');
    const name = eq === -1 ? text : text.slice(0, eq);
    if (!sources.includes(name)) continue;
    const value = eq === -1 ? args[i + 1] : { ...(args[i] as Field), text: text.slice(eq + 1) };
    if (value && (value.dynamic || offRegistry(value.text) || name.includes('index') || name === '--registry'))
      extraction.problem(
        'unsupported',
        `${program} ${name} installs from outside the registry: ${value.text.slice(0, 120)}`,
      );
  }
}

/**
 * `npm exec`, `pnpm dlx`, `uv run`…: runs the program's subcommand when it is one of the spec's.
 * The subcommand is the first word that is neither an option nor an option's value: in
 * `npm --prefix x install`, `x` is the prefix, not `npm x` (exec).
 */
function subcommandWrapper(
  program: string,
  spec: ProgramSpec,
  runsAfter: NonNullable<ProgramSpec['runsAfter']>,
): Wrapper {
  const inner = wrapperFromSpec({ grammar: runsAfter.grammar });
  const { index: subcommandAt } = subcommandReader(spec, runsAfter.grammar.values ?? []);
  return (args, context) => {
    const index = subcommandAt(args);
    if (index === -1 || !runsAfter.subcommands.includes((args[index] as Field).text)) return null;
    checkPackageSources(context.extraction, program, spec, args);
    // `uv run --env-file .env …` loads the file into the environment of what it runs.
    for (const value of optionValuesOf(args, ['--env-file']))
      context.extraction.addFieldPath(field(value), { access: 'read', source: 'command', via: program });
    const outcome = inner(args.slice(index + 1), context);
    return outcome ? { ...outcome, label: `${program} ${(args[index] as Field).text}` } : null;
  };
}

/** Finds the subcommand after the program's own options, as its spec declares them. */
function subcommandReader(
  spec: ProgramSpec,
  alsoValued: readonly string[],
): { index: (args: readonly Field[]) => number } {
  // `npm -p pkg exec …`: the run subcommand's own options may come before it too.
  const valued = new Set([...(spec.options?.values ?? []), ...alsoValued]);
  return {
    index: (args) => {
      for (let i = 0; i < args.length; i++) {
        const text = (args[i] as Field).text;
        if (!text.startsWith('-')) return i;
        if (valued.has(text)) i++;
      }
      return -1;
    },
  };
}

/** `npx`, `uvx`: the first word after the runner's options is a package fetched and run. */
function packageRunner(program: string, spec: ProgramSpec, wraps: WrapperSpec): Wrapper {
  const peel = wrapperFromSpec(wraps);
  return (args, context) => {
    checkPackageSources(context.extraction, program, spec, args);
    // npx, bunx and pnpx run the workspace's installed copy (node_modules/.bin) before fetching one.
    for (const file of spec.implicitlyRuns?.([]) ?? []) context.extraction.run(file);
    const outcome = peel(args, context);
    // The package a runner fetches is named by its first word: `npx github:x/y`, `uvx git+…`.
    const first = outcome?.inner?.[0]?.[0];
    if (first && offRegistry(first.text))
      context.extraction.problem(
        'unsupported',
        `the package run is fetched from outside the registry: ${first.text.slice(0, 120)}`,
      );
    return outcome;
  };
}

/** Wrappers of programs with a spec (registry.ts), built from it on first use. */
const specWrappers = new Map<string, Wrapper | undefined>();

function wrapperFromProgramSpec(program: string): Wrapper | undefined {
  const spec = programSpec(program);
  if (spec === undefined) return undefined;
  if (spec.wraps !== undefined)
    return spec.runsPackage ? packageRunner(program, spec, spec.wraps) : wrapperFromSpec(spec.wraps);
  if (spec.runsAfter !== undefined) return subcommandWrapper(program, spec, spec.runsAfter);
  if (spec.multiCall === true) return busybox;
  return undefined;
}

function wrapperOf(program: string): Wrapper | undefined {
  const own = WRAPPERS[program];
  if (own !== undefined) return own;
  if (!specWrappers.has(program)) specWrappers.set(program, wrapperFromProgramSpec(program));
  return specWrappers.get(program);
}

const nice = wrapperFromSpec({
  grammar: {
    values: ['-n', '--adjustment'],
    flags: ['--help', '--version', ...Array.from({ length: 10 }, (_, n) => `-${n}`)],
  },
});

const WRAPPERS: Record<string, Wrapper> = {
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
  parallel,
  'nix-shell': nix,
  nix,
};

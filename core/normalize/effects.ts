import { posix } from 'node:path';
import {
  type OptionGrammar,
  type ScannedArguments,
  hasOption,
  optionValues,
  scanArguments,
  sliceField,
} from './command-options';
import type { Access } from './paths';
import type { Field } from './shell-words';
import { curlDownloads, remoteCopyDownloads, wgetDownloads } from './programs/downloads';
import { isRemote } from './programs/remote';
import { readSedScript } from './programs/sed';
import type { EmbeddedScript, FileOperand, ProgramEffects, ProgramSpec, Reader } from './programs/spec';
import type { WalkOptions } from './walk';

const none = (): ProgramEffects => ({ files: [], scripts: [], problems: [] });
/** The current directory: where an unpacker puts members it is not told where to put. */
const here: Field = { text: '.', dynamic: false, glob: false, processSubstitution: false };

function operands(fields: readonly Field[], access: Access, recursive = false): FileOperand[] {
  return fields
    .filter((field) => field.text !== '-')
    .map((field) => (recursive ? { field, access, recursive } : { field, access }));
}

function optionFiles(scanned: ScannedArguments, files: Record<string, Access>): FileOperand[] {
  const out: FileOperand[] = [];
  for (const option of scanned.options) {
    const access = files[option.name];
    if (access !== undefined && option.value && option.value.text !== '-') out.push({ field: option.value, access });
  }
  return out;
}

function scripts(scanned: ScannedArguments, names: readonly string[], program: string): EmbeddedScript[] {
  return scanned.options
    .filter((option) => names.includes(option.name) && option.value)
    .map((option) => {
      const value = option.value as Field;
      return { text: value.text, dynamic: value.dynamic, label: `${program} ${option.name}` };
    });
}

/**
 * A program whose operands are all files, with options that take values (so values are not
 * mistaken for files) and options whose value is itself a file.
 */
function fileProgram(
  access: Access,
  values: readonly string[] = [],
  files: Record<string, Access> = {},
  extra: { recursive?: readonly string[]; skip?: number; exec?: readonly string[] } = {},
): Reader {
  const grammar: OptionGrammar = {
    values: [...values, ...Object.keys(files), ...(extra.exec ?? [])],
    abbreviations: true,
  };
  return (args, program) => {
    const scanned = scanArguments(args, grammar);
    const recursive = extra.recursive ? hasOption(scanned, ...extra.recursive) : false;
    return {
      files: [...operands(scanned.operands.slice(extra.skip ?? 0), access, recursive), ...optionFiles(scanned, files)],
      scripts: scripts(scanned, extra.exec ?? [], program),
      problems: [],
    };
  };
}

const headTail = fileProgram('read', [
  '-n',
  '-c',
  '--lines',
  '--bytes',
  '--pid',
  '-s',
  '--sleep-interval',
  '--max-unchanged-stats',
]);
const checksum = fileProgram('read', [], { '-c': 'read', '--check': 'read' });
const compressor: Reader = (args) => {
  const scanned = scanArguments(args, {
    values: [
      '-S',
      '--suffix',
      '-b',
      '-T',
      '--threads',
      '-M',
      '--memlimit',
      '--format',
      '-F',
      '-D',
      '--patch-from',
      '-o',
      '--output',
    ],
  });
  const output = optionValues(scanned, '-o', '--output');
  const toStdout = hasOption(scanned, '-c', '--stdout', '--to-stdout', '-k', '--keep', '-t', '--test', '-l', '--list');
  const access: Access = toStdout || output.length > 0 ? 'read' : 'readwrite';
  return {
    files: [...operands(scanned.operands, access), ...operands(output, 'write')],
    scripts: [],
    problems: [],
  };
};

/** `rg -t TYPE`: the names a few common file types stand for; an unknown type filters nothing. */
const RG_TYPES: Record<string, readonly string[]> = {
  ts: ['*.ts', '*.tsx', '*.cts', '*.mts'],
  js: ['*.js', '*.jsx', '*.mjs', '*.cjs', '*.vue'],
  py: ['*.py', '*.pyi'],
  rust: ['*.rs'],
  go: ['*.go'],
  java: ['*.java', '*.jsp'],
  c: ['*.c', '*.h'],
  cpp: ['*.cpp', '*.cc', '*.cxx', '*.hpp', '*.hh', '*.h'],
  md: ['*.md', '*.markdown', '*.mdx'],
  markdown: ['*.md', '*.markdown', '*.mdx'],
  json: ['*.json'],
  yaml: ['*.yaml', '*.yml'],
  toml: ['*.toml'],
  css: ['*.css', '*.scss', '*.sass', '*.less'],
  html: ['*.html', '*.htm'],
  sh: ['*.sh', '*.bash', '*.zsh'],
  ruby: ['*.rb'],
  php: ['*.php'],
  swift: ['*.swift'],
  kotlin: ['*.kt', '*.kts'],
};

/** How grep, rg, ag and ack walk a tree: rg and ag skip dot files and ignored files unless told otherwise. */
function searchWalk(scanned: ScannedArguments, program: string): Partial<WalkOptions> {
  const names: string[] = [];
  let filtered = false;
  for (const option of scanned.options) {
    const value = option.value?.text;
    if (value === undefined) continue;
    if (
      option.name === '--include' ||
      ((option.name === '-g' || option.name === '--glob' || option.name === '--iglob') && program === 'rg')
    ) {
      if (value.startsWith('!')) continue;
      filtered = true;
      names.push(value.includes('/') ? value.slice(value.lastIndexOf('/') + 1) : value);
    } else if ((option.name === '-t' || option.name === '--type') && program === 'rg') {
      const types = RG_TYPES[value];
      if (types) {
        filtered = true;
        names.push(...types);
      }
    }
  }
  const walk: Partial<WalkOptions> = filtered && names.every((name) => name !== '') ? { names } : {};
  if (program === 'grep' || program === 'egrep' || program === 'fgrep' || program === 'zgrep')
    return hasOption(scanned, '-R', '--dereference-recursive') ? walk : { ...walk, followLinks: false };
  // ack reads every regular file but its VCS directories, backups and core dumps: dot files
  // (`.env`) included, ignore files not read.
  if (program === 'ack' || program === 'ack-grep')
    return { ...walk, hidden: true, ignoreFiles: false, followLinks: hasOption(scanned, '--follow') };
  const unrestricted = scanned.options.filter(
    (option) => option.name === '-u' || option.name === '--unrestricted',
  ).length;
  const hidden =
    unrestricted >= 2 ||
    hasOption(scanned, '--hidden', '-.', '--all-types', '--unrestricted') ||
    (program !== 'rg' && unrestricted >= 1);
  // An explicit `-g GLOB` overrides rg's ignore files; so do the unrestricted flags.
  const ignoreFiles =
    unrestricted === 0 &&
    !(program === 'rg' && filtered) &&
    !hasOption(scanned, '--no-ignore', '--no-ignore-vcs', '--skip-vcs-ignores', '-U');
  return { ...walk, hidden, ignoreFiles, followLinks: hasOption(scanned, '-L', '--follow') };
}

/** grep, rg, ag, ack: the first operand is the pattern unless `-e`/`-f` gave one. */
function searchProgram(
  values: readonly string[],
  options: { alwaysRecursive: boolean; exec?: readonly string[] },
): Reader {
  const grammar: OptionGrammar = { values: [...values, ...(options.exec ?? [])], abbreviations: true };
  return (args, program) => {
    const scanned = scanArguments(args, grammar);
    // `rg --files` lists names and reads no file's content.
    const listsNames = program === 'rg' && hasOption(scanned, '--files');
    // The pattern came from an option, or there is none (`rg --files`, `ag -g NAME`).
    const noPatternOperand =
      hasOption(scanned, '-e', '-f', '--regexp', '--file') ||
      listsNames ||
      (program !== 'rg' && hasOption(scanned, '-g'));
    const files = noPatternOperand ? scanned.operands : scanned.operands.slice(1);
    const recursive =
      options.alwaysRecursive ||
      hasOption(scanned, '-r', '-R') ||
      // `--recur`, `--deref`: grep takes unambiguous prefixes; `-d recurse` is the same as `-r`.
      scanned.options.some(
        (option) =>
          (option.name.length >= 5 &&
            ('--recursive'.startsWith(option.name) || '--dereference-recursive'.startsWith(option.name))) ||
          ((option.name === '-d' || option.name.startsWith('--dir')) && option.value?.text === 'recurse'),
      );
    const searched =
      files.length === 0 && recursive
        ? [{ text: '.', dynamic: false, glob: false, processSubstitution: false }]
        : files;
    const walk = recursive ? searchWalk(scanned, program) : undefined;
    return {
      files: [
        ...(listsNames ? [] : operands(searched, 'read', recursive).map((file) => (walk ? { ...file, walk } : file))),
        ...operands(
          optionValues(scanned, '-f', '--file', '--exclude-from', '--ignore-file', '-p', '--path-to-ignore'),
          'read',
        ),
      ],
      scripts: scripts(scanned, options.exec ?? [], program),
      problems: [],
    };
  };
}

const grep = searchProgram(
  [
    '-e',
    '-f',
    '-m',
    '-A',
    '-B',
    '-C',
    '-d',
    '-D',
    '--regexp',
    '--file',
    '--max-count',
    '--after-context',
    '--before-context',
    '--context',
    '--directories',
    '--devices',
    '--include',
    '--exclude',
    '--exclude-dir',
    '--exclude-from',
    '--label',
    '--binary-files',
  ],
  { alwaysRecursive: false },
);
const rg = searchProgram(
  [
    '-e',
    '-f',
    '-g',
    '-t',
    '-T',
    '-m',
    '-A',
    '-B',
    '-C',
    '-j',
    '-M',
    '-E',
    '-r',
    '-d',
    '--regexp',
    '--file',
    '--glob',
    '--iglob',
    '--type',
    '--type-not',
    '--max-count',
    '--after-context',
    '--before-context',
    '--context',
    '--threads',
    '--max-columns',
    '--encoding',
    '--replace',
    '--max-depth',
    '--ignore-file',
    '--pre-glob',
    '--sort',
    '--sortr',
    '--type-add',
    '--type-clear',
    '--colors',
    '--path-separator',
    '--context-separator',
    '--field-context-separator',
    '--field-match-separator',
    '--engine',
    '--max-filesize',
    '--dfa-size-limit',
    '--regex-size-limit',
  ],
  { alwaysRecursive: true, exec: ['--pre'] },
);
const ag = searchProgram(
  [
    '-A',
    '-B',
    '-C',
    '-G',
    '-m',
    '-p',
    '-g',
    '--file-search-regex',
    '--max-count',
    '--ignore',
    '--ignore-dir',
    '--depth',
    '--path-to-ignore',
    '--pager',
    '--workers',
  ],
  { alwaysRecursive: true },
);

/** cp, mv, install, ln: the last operand is the destination unless `-t DIR` names it. */
function copyProgram(
  sourceAccess: Access,
  values: readonly string[],
  recursiveFlags: readonly string[],
  alwaysRecursive = false,
): Reader {
  const grammar: OptionGrammar = {
    values: ['-t', '--target-directory', '-S', '--suffix', ...values],
    abbreviations: true,
  };
  return (args, program) => {
    const scanned = scanArguments(args, grammar);
    const recursive = alwaysRecursive || hasOption(scanned, ...recursiveFlags);
    const target = optionValues(scanned, '-t', '--target-directory');
    const all = scanned.operands;
    const sources = target.length > 0 || all.length < 2 ? all : all.slice(0, -1);
    const destination = target.length > 0 ? target : all.length >= 2 ? all.slice(-1) : [];
    const files = [...operands(sources, sourceAccess, recursive), ...operands(destination, 'write', recursive)];
    if (program === 'ln' && hasOption(scanned, '-s', '--symbolic') && destination[0]) {
      // A relative link target is relative to the link's directory, not to the current one.
      const linkDirectory = posix.dirname(destination[0].text);
      for (const source of sources) {
        if (!/^[/~]/.test(source.text) && linkDirectory !== '.') {
          files.push({ field: { ...source, text: `${linkDirectory}/${source.text}` }, access: 'read' });
          files.push({ field: { ...source, text: `${destination[0].text}/${source.text}` }, access: 'read' });
        }
      }
    }
    return { files, scripts: [], problems: [] };
  };
}

/** chmod, chown, chgrp: the first operand is the mode or owner, unless `--reference` gave it. */
const modeProgram: Reader = (args) => {
  // `chmod -x file`: a mode may start with `-`, so only known flags count as options.
  const flags = new Set([
    '-R',
    '-c',
    '-f',
    '-v',
    '-h',
    '-H',
    '-L',
    '-P',
    '--recursive',
    '--changes',
    '--silent',
    '--quiet',
    '--verbose',
    '--no-dereference',
    '--dereference',
    '--preserve-root',
    '--no-preserve-root',
    '--help',
    '--version',
  ]);
  const rest: Field[] = [];
  const references: Field[] = [];
  let recursive = false;
  for (const field of args) {
    if (field.text.startsWith('--reference=')) references.push(sliceField(field, '--reference='.length));
    else if (field.text.startsWith('--from=')) continue;
    else if (flags.has(field.text) || /^-[RcfvhHLP]+$/.test(field.text)) recursive ||= /R|recursive/.test(field.text);
    else rest.push(field);
  }
  return {
    files: [
      ...operands(references.length > 0 ? rest : rest.slice(1), 'write', recursive),
      ...operands(references, 'read'),
    ],
    scripts: [],
    problems: [],
  };
};

/** awk and sed programs are scanned with backtracking patterns; longer ones are not judged. */
const MAX_INLINE_PROGRAM = 4096;
const AWK_RUNS_COMMANDS = /\bsystem\s*\(|\|\s*&|\|\s*getline|\b(print|printf)\b[^;{}]*?[^|]\|(?!\|)/;

const awk: Reader = (args, program) => {
  const scanned = scanArguments(args, {
    values: [
      '-f',
      '-v',
      '-F',
      '-E',
      '-i',
      '-l',
      '-e',
      '--file',
      '--assign',
      '--field-separator',
      '--exec',
      '--include',
      '--load',
      '--source',
    ],
    abbreviations: true,
  });
  const programFiles = optionValues(scanned, '-f', '--file', '-E', '--exec', '-i', '--include').filter(
    (file) => file.text !== 'inplace',
  );
  const extensions = optionValues(scanned, '-l', '--load');
  const inline = optionValues(scanned, '-e', '--source');
  const hasProgram = programFiles.length > 0 || inline.length > 0;
  const sources = hasProgram ? inline : scanned.operands.slice(0, 1);
  const inputs = (hasProgram ? scanned.operands : scanned.operands.slice(1)).filter(
    (field) => !/^[A-Za-z_]\w*=/.test(field.text),
  );
  const files = [...operands(inputs, 'read'), ...operands(programFiles, 'read')];
  const problems: string[] = extensions.map((value) => `${program} loads the extension ${value.text.slice(0, 60)}`);
  if (programFiles.length > 0) problems.push(`the ${program} program comes from a file`);
  const variables: string[] = [];
  for (const source of sources) {
    if (source.dynamic) problems.push(`the ${program} program is only known at run time`);
    if (source.text.length > MAX_INLINE_PROGRAM) problems.push(`the ${program} program is too long to judge`);
    else if (AWK_RUNS_COMMANDS.test(source.text)) problems.push(`the ${program} program runs shell commands`);
    for (const match of source.text.matchAll(/(>>?|<)\s*"([^"]+)"/g)) {
      const text = match[2] as string;
      if (!text.startsWith('/dev/std'))
        files.push({ field: { ...source, text }, access: match[1] === '<' ? 'read' : 'write' });
    }
    awkDataFlow(source, program, files, problems, variables);
  }
  return { files, scripts: [], problems, variables };
};

/**
 * What an awk program reads besides its input files: `ENVIRON["NAME"]` is that variable, any
 * other use of ENVIRON is the whole environment; files named by expressions, ARGV rewritten,
 * extensions loaded cannot be judged.
 */
function awkDataFlow(
  source: Field,
  program: string,
  files: FileOperand[],
  problems: string[],
  variables: string[],
): void {
  const text = source.text;
  for (const match of text.matchAll(/\bENVIRON\s*\[\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\]/g))
    variables.push(match[1] as string);
  if (/\bENVIRON\b(?!\s*\[\s*"[A-Za-z_][A-Za-z0-9_]*"\s*\])/.test(text))
    files.push({ field: { ...source, text: '/proc/self/environ' }, access: 'read' });
  if (/\bARGV\s*\[[^\]]*\]\s*=[^=]|\bARGC\s*=[^=]/.test(text))
    problems.push(`the ${program} program rewrites the files it reads (ARGV)`);
  if (/@(load|include|namespace)\b/.test(text))
    problems.push(`the ${program} program loads an extension or another program`);
  if (/@[A-Za-z_][A-Za-z0-9_]*\s*\(/.test(text))
    problems.push(`the ${program} program calls a function chosen at run time`);
  if (/getline[^;{}<]*<\s*(?!")[^\s;{}]/.test(text))
    problems.push(`the ${program} program reads a file named at run time`);
  if (/\b(print|printf)\b[^;{}]*?[^>]>>?\s*(?!")[A-Za-z_(]/.test(text))
    problems.push(`the ${program} program writes a file named at run time`);
  if (/\b(readfile|writefile)\s*\(|\bsystem\b|\bfflush\b\s*\(\s*"\|/.test(text) && !AWK_RUNS_COMMANDS.test(text))
    problems.push(`the ${program} program uses an extension function`);
}

/** GNU sed: `e` runs the pattern space as a command, `w`/`r` write and read files. */
const sed: Reader = (args, program) => {
  const scanned = scanArguments(args, {
    values: ['-e', '-f', '-l', '--expression', '--file', '--line-length'],
    abbreviations: true,
  });
  const scriptFiles = optionValues(scanned, '-f', '--file');
  const expressions = optionValues(scanned, '-e', '--expression');
  const hasScript = scriptFiles.length > 0 || expressions.length > 0;
  const sources = hasScript ? expressions : scanned.operands.slice(0, 1);
  const inPlace = scanned.options.some((option) => option.name === '-i' || option.name.startsWith('--in-place'));
  const inputs = hasScript ? scanned.operands : scanned.operands.slice(1);
  const files = [...operands(inputs, inPlace ? 'readwrite' : 'read'), ...operands(scriptFiles, 'read')];
  const problems: string[] = [];
  const embedded: EmbeddedScript[] = [];
  for (const source of sources) {
    if (source.dynamic) problems.push(`the ${program} script is only known at run time`);
    if (source.text.length > MAX_INLINE_PROGRAM) problems.push(`the ${program} script is too long to judge`);
    else {
      const script = readSedScript(source.text);
      for (const command of script.executes) {
        // Judged as shell text, and never allowed unseen: a sed script is an odd place for commands.
        problems.push(`the ${program} script runs shell commands (e${command ? ` ${command.slice(0, 60)}` : ''})`);
        if (command !== '') embedded.push({ text: command, dynamic: source.dynamic, label: `${program} e` });
      }
      for (const file of script.files)
        if (!file.text.startsWith('/dev/std'))
          files.push({ field: { ...source, text: file.text }, access: file.access });
    }
  }
  return { files, scripts: embedded, problems };
};

const TAR_VALUES = [
  '-f',
  '--file',
  '-C',
  '--directory',
  '-T',
  '--files-from',
  '-X',
  '--exclude-from',
  '-b',
  '--blocking-factor',
  '-H',
  '--format',
  '-I',
  '--use-compress-program',
  '-F',
  '--info-script',
  '--new-volume-script',
  '-g',
  '--listed-incremental',
  '-K',
  '--starting-file',
  '-L',
  '--tape-length',
  '-N',
  '--newer',
  '--after-date',
  '-V',
  '--label',
  '--exclude',
  '--owner',
  '--group',
  '--mode',
  '--mtime',
  '--transform',
  '--xform',
  '--to-command',
  '--checkpoint-action',
  '--index-file',
  '--rsh-command',
  '--strip-components',
  '--suffix',
  '--record-size',
  '--occurrence',
];
const TAR_GRAMMAR: OptionGrammar = { values: TAR_VALUES, abbreviations: true };
const TAR_SCRIPTS = [
  '-I',
  '--use-compress-program',
  '-F',
  '--info-script',
  '--new-volume-script',
  '--to-command',
  '--rsh-command',
];
const TAR_VALUE_LETTERS = new Set(['f', 'C', 'T', 'X', 'b', 'H', 'I', 'F', 'g', 'K', 'L', 'N', 'V']);

const tar: Reader = (args, program) => {
  let words = [...args];
  // Old style: `tar czf out.tgz dir`, the first word is a cluster of letters without a dash.
  const first = words[0];
  if (first && !first.text.startsWith('-') && /^[A-Za-z]+$/.test(first.text)) {
    const expanded: Field[] = [];
    let next = 1;
    for (const letter of first.text) {
      expanded.push({ ...first, text: `-${letter}` });
      if (TAR_VALUE_LETTERS.has(letter) && words[next]) expanded.push(words[next++] as Field);
    }
    words = [...expanded, ...words.slice(next)];
  }
  const scanned = scanArguments(words, TAR_GRAMMAR);
  const names = new Set(scanned.options.map((option) => option.name));
  const creates = ['-c', '--create', '-r', '--append', '-u', '--update', '-A', '--catenate', '--concatenate'].some(
    (name) => names.has(name),
  );
  const extracts = ['-x', '--extract', '--get'].some((name) => names.has(name));
  const archives = optionValues(scanned, '-f', '--file');
  const directories = optionValues(scanned, '-C', '--directory');
  const files: FileOperand[] = [
    ...operands(archives, creates ? 'write' : names.has('--delete') ? 'readwrite' : 'read'),
    ...operands(optionValues(scanned, '-T', '--files-from', '-X', '--exclude-from'), 'read'),
    ...operands(optionValues(scanned, '-g', '--listed-incremental'), 'readwrite'),
    ...operands(optionValues(scanned, '--index-file'), 'write'),
  ];
  if (creates) {
    const base = directories[directories.length - 1];
    const members = scanned.operands.map((field) =>
      base && !/^[/~]/.test(field.text) ? { ...field, text: `${base.text}/${field.text}` } : field,
    );
    files.push(...operands(members, 'read', true));
  }
  // Without -C the members land in the current directory, whatever they are named.
  const toStdout = ['-O', '--to-stdout', '--to-command'].some((name) => names.has(name));
  if (extracts && !toStdout) files.push(...operands(directories.length > 0 ? directories : [here], 'write', true));
  const embedded = scripts(scanned, TAR_SCRIPTS, program);
  for (const action of optionValues(scanned, '--checkpoint-action')) {
    if (action.text.startsWith('exec='))
      embedded.push({ text: action.text.slice(5), dynamic: action.dynamic, label: `${program} --checkpoint-action` });
  }
  return { files, scripts: embedded, problems: [] };
};

/** zip: the archive, then the files to add; `-TT cmd` is a command it runs to test the archive. */
const zip: Reader = (args, program) => {
  const embedded: EmbeddedScript[] = [];
  const rest: Field[] = [];
  for (let i = 0; i < args.length; i++) {
    const text = (args[i] as Field).text;
    if ((text === '-TT' || text === '--unzip-command') && args[i + 1]) {
      const value = args[++i] as Field;
      embedded.push({ text: value.text, dynamic: value.dynamic, label: `${program} ${text}` });
    } else if (text.startsWith('--unzip-command=')) {
      embedded.push({ text: text.slice(16), dynamic: (args[i] as Field).dynamic, label: `${program} --unzip-command` });
    } else if (!['-x', '-i', '-x@', '-i@'].includes(text)) {
      rest.push(args[i] as Field);
    }
  }
  const scanned = scanArguments(rest, {
    values: ['-b', '-n', '-t', '--tt', '-P', '--password', '-O', '--output-file', '-Z', '-s', '-Y'],
    abbreviations: true,
  });
  const [archive, ...members] = scanned.operands;
  const recursive = hasOption(scanned, '-r', '-R', '--recurse-paths');
  return {
    files: [
      ...(archive ? operands([archive], 'readwrite') : []),
      ...operands(members, 'read', recursive),
      ...operands(optionValues(scanned, '-O', '--output-file'), 'write'),
    ],
    scripts: embedded,
    problems: [],
  };
};

const unzip: Reader = (args) => {
  const scanned = scanArguments(args, { values: ['-d', '-P', '-x'] });
  const archive = scanned.operands[0];
  // `-l`, `-t`, `-v`, `-Z` list or test; `-p`, `-c` print: only the others write, by default here.
  const writes = !hasOption(scanned, '-l', '-t', '-v', '-Z', '-p', '-c', '-z');
  const destinations = optionValues(scanned, '-d');
  return {
    files: [
      ...(archive ? operands([archive], 'read') : []),
      ...(writes ? operands(destinations.length > 0 ? destinations : [here], 'write', true) : []),
    ],
    scripts: [],
    problems: [],
  };
};

const sevenZip: Reader = (args) => {
  const [command, archive, ...rest] = args.filter((field) => !field.text.startsWith('-'));
  const output = args
    .filter((field) => field.text.startsWith('-o') && field.text.length > 2)
    .map((field) => sliceField(field, 2));
  if (!command || !archive) return none();
  const adds = /^[au]$/.test(command.text);
  const extracts = /^[ex]$/.test(command.text) && !args.some((field) => field.text === '-so');
  return {
    files: [
      ...operands([archive], adds ? 'write' : command.text === 'd' ? 'readwrite' : 'read'),
      ...(adds ? operands(rest, 'read', true) : []),
      ...operands(extracts && output.length === 0 ? [here] : output, 'write', true),
    ],
    scripts: [],
    problems: [],
  };
};

/** cpio -i: the members of the archive on standard input land under -D, or here. */
const cpio: Reader = (args) => {
  const scanned = scanArguments(args, {
    values: [
      '-D',
      '--directory',
      '-E',
      '--pattern-file',
      '-F',
      '--file',
      '-H',
      '--format',
      '-I',
      '-O',
      '-R',
      '--owner',
      '-M',
      '--message',
      '--rsh-command',
    ],
  });
  const extracts = hasOption(scanned, '-i', '--extract');
  const lists = hasOption(scanned, '-t', '--list', '--to-stdout');
  const directories = optionValues(scanned, '-D', '--directory');
  return {
    files: [
      ...operands(optionValues(scanned, '-E', '--pattern-file'), 'read'),
      ...operands(optionValues(scanned, '-F', '--file', '-I'), 'read'),
      ...(extracts && !lists ? operands(directories.length > 0 ? directories : [here], 'write', true) : []),
    ],
    scripts: [],
    problems: [],
  };
};

const dd: Reader = (args) => ({
  files: args.flatMap((field): FileOperand[] => {
    if (field.text.startsWith('if=')) return [{ field: sliceField(field, 3), access: 'read' }];
    if (field.text.startsWith('of=')) return [{ field: sliceField(field, 3), access: 'write' }];
    return [];
  }),
  scripts: [],
  problems: [],
});

const CURL_VALUES = [
  '-H',
  '--header',
  '-X',
  '--request',
  '-A',
  '--user-agent',
  '-e',
  '--referer',
  '-u',
  '--user',
  '-x',
  '--proxy',
  '-m',
  '--max-time',
  '--connect-timeout',
  '-r',
  '--range',
  '-Y',
  '--speed-limit',
  '-y',
  '--speed-time',
  '-z',
  '--time-cond',
  '--retry',
  '--retry-delay',
  '--retry-max-time',
  '-C',
  '--continue-at',
  '--limit-rate',
  '--max-filesize',
  '-U',
  '--proxy-user',
  '--resolve',
  '--connect-to',
  '--url',
  '-Q',
  '--quote',
  '-t',
  '--telnet-option',
  '--proto',
  '--proto-redir',
  '--interface',
  '--dns-servers',
  '--max-redirs',
  '-P',
  '--ftp-port',
  '--local-port',
  '--oauth2-bearer',
  '--keepalive-time',
  '--expect100-timeout',
  '--unix-socket',
  '--abstract-unix-socket',
  '--ciphers',
  '--tls13-ciphers',
  '--curves',
  '--aws-sigv4',
  '--mail-from',
  '--mail-rcpt',
  '--mail-auth',
  '--service-name',
  '--socks4',
  '--socks5',
  '--socks5-hostname',
  '--preproxy',
  '--noproxy',
  '--request-target',
  '--form-string',
  '--data-raw',
  '-w',
  '--write-out',
  '--variable',
  '--url-query',
  '--json',
  '-d',
  '--data',
  '--data-ascii',
  '--data-binary',
  '--data-urlencode',
  '-F',
  '--form',
  '-T',
  '--upload-file',
  '-o',
  '--output',
  '--output-dir',
  '-K',
  '--config',
  '--cacert',
  '--capath',
  '--cert',
  '-E',
  '--key',
  '--crlfile',
  '--netrc-file',
  '-b',
  '--cookie',
  '-c',
  '--cookie-jar',
  '-D',
  '--dump-header',
  '--trace',
  '--trace-ascii',
  '--stderr',
  '--libcurl',
  '--etag-save',
  '--etag-compare',
  '--hsts',
  '--alt-svc',
  '--proxy-cert',
  '--proxy-key',
  '--proxy-cacert',
];
const CURL_GRAMMAR: OptionGrammar = { values: CURL_VALUES };
const CURL_FILES: Record<string, Access> = {
  '-T': 'read',
  '--upload-file': 'read',
  '-o': 'write',
  '--output': 'write',
  '--output-dir': 'write',
  '-K': 'read',
  '--config': 'read',
  '--cacert': 'read',
  '--capath': 'read',
  '--cert': 'read',
  '-E': 'read',
  '--key': 'read',
  '--crlfile': 'read',
  '--netrc-file': 'read',
  '-c': 'write',
  '--cookie-jar': 'write',
  '-D': 'write',
  '--dump-header': 'write',
  '--trace': 'write',
  '--trace-ascii': 'write',
  '--stderr': 'write',
  '--libcurl': 'write',
  '--etag-save': 'write',
  '--etag-compare': 'read',
  '--hsts': 'readwrite',
  '--alt-svc': 'readwrite',
  '--proxy-cert': 'read',
  '--proxy-key': 'read',
  '--proxy-cacert': 'read',
};
const CURL_AT_FILE = new Set([
  '-d',
  '--data',
  '--data-ascii',
  '--data-binary',
  '--json',
  '-H',
  '--header',
  '-w',
  '--write-out',
  '--url-query',
]);

const curl: Reader = (args) => {
  // curl does not accept abbreviated long options; its short options cluster (`-sSLo out`).
  const scanned = scanArguments(args, CURL_GRAMMAR);
  const files = optionFiles(scanned, CURL_FILES);
  for (const option of scanned.options) {
    const value = option.value;
    if (!value) continue;
    const text = value.text;
    if (CURL_AT_FILE.has(option.name) && text.startsWith('@') && text !== '@-') {
      files.push({ field: sliceField(value, 1), access: 'read' });
    } else if (option.name === '--data-urlencode' || option.name === '--variable') {
      const at = text.indexOf('@');
      if (at !== -1 && text.slice(at + 1) !== '-') files.push({ field: sliceField(value, at + 1), access: 'read' });
    } else if (option.name === '-F' || option.name === '--form') {
      const file = /^[^=]*=[@<]([^;]+)/.exec(text);
      if (file && file[1] !== '-') files.push({ field: { ...value, text: file[1] as string }, access: 'read' });
    } else if ((option.name === '-b' || option.name === '--cookie') && !text.includes('=')) {
      files.push({ field: value, access: 'read' });
    } else if (option.name === '--url' && /^file:/i.test(text)) {
      files.push({ field: value, access: 'read' });
    }
  }
  for (const operand of scanned.operands)
    if (/^file:/i.test(operand.text)) files.push({ field: operand, access: 'read' });
  return { files, scripts: [], problems: [], downloads: curlDownloads(args) };
};

const wgetFiles = fileProgram(
  'write',
  [
    '-t',
    '--tries',
    '-T',
    '--timeout',
    '-w',
    '--wait',
    '-Q',
    '--quota',
    '-U',
    '--user-agent',
    '-l',
    '--level',
    '-A',
    '--accept',
    '-R',
    '--reject',
    '-D',
    '--domains',
    '-I',
    '-X',
    '--header',
    '--user',
    '--password',
    '--method',
    '--body-data',
    '--post-data',
    '--referer',
    '-B',
    '--base',
    '--bind-address',
    '-e',
    '--execute',
  ],
  {
    '--post-file': 'read',
    '--body-file': 'read',
    '-O': 'write',
    '--output-document': 'write',
    '-o': 'write',
    '--output-file': 'write',
    '-a': 'write',
    '--append-output': 'write',
    '-i': 'read',
    '--input-file': 'read',
    '-P': 'write',
    '--directory-prefix': 'write',
    '--load-cookies': 'read',
    '--save-cookies': 'write',
    '--certificate': 'read',
    '--private-key': 'read',
    '--ca-certificate': 'read',
    '--config': 'read',
    '--warc-file': 'write',
  },
  { skip: Number.MAX_SAFE_INTEGER },
);

const OPENSSL_FILES: Record<string, Access> = {
  '-in': 'read',
  '-out': 'write',
  '-key': 'read',
  '-inkey': 'read',
  '-signkey': 'read',
  '-CAkey': 'read',
  '-cert': 'read',
  '-CA': 'read',
  '-CAfile': 'read',
  '-certfile': 'read',
  '-kfile': 'read',
  '-config': 'read',
  '-extfile': 'read',
  '-sign': 'read',
  '-verify': 'read',
  '-prverify': 'read',
  '-signature': 'read',
  '-keyfile': 'read',
  '-keyout': 'write',
  '-writerand': 'write',
  '-rand': 'read',
};
const OPENSSL_VALUES = [
  '-passin',
  '-passout',
  '-pass',
  '-md',
  '-digest',
  '-cipher',
  '-K',
  '-iv',
  '-S',
  '-name',
  '-subj',
  '-days',
  '-newkey',
  '-pkeyopt',
  '-sigopt',
  '-set_serial',
  '-extensions',
  '-reqexts',
  '-nameopt',
  '-certopt',
  '-purpose',
  '-connect',
  '-servername',
  '-port',
  '-accept',
  '-host',
  '-timeout',
  '-iter',
  '-engine',
  '-provider',
  '-propquery',
  '-outform',
  '-inform',
  '-keyform',
  '-certform',
  '-CAform',
  '-CAkeyform',
  '-macopt',
  '-mac',
  '-kdf',
  '-kdfopt',
  '-algorithm',
  '-aes256',
];

const openssl: Reader = (args) => {
  const scanned = scanArguments(args.slice(1), {
    values: [...OPENSSL_VALUES, ...Object.keys(OPENSSL_FILES)],
    singleDash: true,
  });
  const files = [...optionFiles(scanned, OPENSSL_FILES), ...operands(scanned.operands, 'read')];
  for (const value of optionValues(scanned, '-passin', '-passout', '-pass')) {
    if (value.text.startsWith('file:')) files.push({ field: sliceField(value, 5), access: 'read' });
  }
  return { files, scripts: [], problems: [] };
};

const gpg = fileProgram(
  'read',
  [
    '-r',
    '--recipient',
    '-u',
    '--local-user',
    '--default-key',
    '-z',
    '--compress-level',
    '--cipher-algo',
    '--digest-algo',
    '--compress-algo',
    '--trust-model',
    '--keyserver',
    '--passphrase',
    '--passphrase-fd',
    '--status-fd',
    '--logger-fd',
    '--pinentry-mode',
    '--set-filename',
    '--comment',
  ],
  {
    '-o': 'write',
    '--output': 'write',
    '--passphrase-file': 'read',
    '--keyring': 'read',
    '--secret-keyring': 'read',
    '--homedir': 'read',
  },
);

/** vi and vim run Ex commands from `-c`, `--cmd` and `+cmd`; `:!cmd` runs a shell command. */
const vim: Reader = (args, program) => {
  const effects = editor(
    args.filter((arg) => !arg.text.startsWith('+')),
    program,
  );
  const commands = [
    ...args.filter((arg) => arg.text.startsWith('+')).map((arg) => sliceField(arg, 1)),
    ...args.flatMap((arg, i) =>
      (arg.text === '-c' || arg.text === '--cmd') && args[i + 1] ? [args[i + 1] as Field] : [],
    ),
  ];
  for (const command of commands) {
    const shell = /^\s*:?\s*!(.*)$/s.exec(command.text);
    if (shell) effects.scripts.push({ text: shell[1] as string, dynamic: command.dynamic, label: `${program} -c` });
    else if (/!|system\s*\(|\bterm(inal)?\b|\blua\b|\bpy(thon)?3?\b|\bperl\b|\bruby\b/.test(command.text)) {
      effects.problems.push(`${program} runs commands given on its command line: ${command.text.slice(0, 80)}`);
    }
  }
  return effects;
};

/**
 * emacs evaluates Lisp given on its command line (`--eval`, `-f`) or loaded from a file (`-l`,
 * `--script`): other code, opaque to judgement, so it is a problem whatever it says.
 */
const emacs: Reader = (args, program) => {
  const code = /^--?(eval|execute|funcall|f|l|load|script|scriptload|x)(=|$)/;
  const problems: string[] = [];
  const rest: Field[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as Field;
    const match = code.exec(arg.text);
    if (!match) {
      rest.push(arg);
      continue;
    }
    const value = match[2] === '=' ? arg.text.slice(arg.text.indexOf('=') + 1) : (args[++i]?.text ?? '');
    problems.push(`${program} runs Lisp given on its command line: ${match[1]} ${value.slice(0, 80)}`);
  }
  const effects = editor(rest, program);
  effects.problems.push(...problems);
  return effects;
};

function remoteCopy(
  values: readonly string[],
  files: Record<string, Access>,
  exec: readonly string[],
  recursiveFlags: readonly string[],
): Reader {
  const grammar: OptionGrammar = { values: [...values, ...Object.keys(files), ...exec], abbreviations: true };
  return (args, program) => {
    const scanned = scanArguments(args, grammar);
    const local = scanned.operands.filter((field) => !isRemote(field.text));
    const all = scanned.operands;
    const destination = all.length >= 2 ? all[all.length - 1] : undefined;
    const recursive = hasOption(scanned, ...recursiveFlags);
    const out: FileOperand[] = optionFiles(scanned, files);
    for (const field of local) out.push({ field, access: field === destination ? 'write' : 'read', recursive });
    return { files: out, scripts: scripts(scanned, exec, program), problems: [] };
  };
}

const scpFiles = remoteCopy(['-c', '-D', '-J', '-l', '-o', '-P', '-X'], { '-i': 'read', '-F': 'read' }, ['-S'], ['-r']);
const rsyncFiles = remoteCopy(
  [
    '--exclude',
    '--include',
    '-f',
    '--filter',
    '--chmod',
    '--chown',
    '--usermap',
    '--groupmap',
    '-B',
    '--block-size',
    '--bwlimit',
    '--timeout',
    '--contimeout',
    '--port',
    '--max-size',
    '--min-size',
    '--max-delete',
    '--modify-window',
    '-M',
    '--remote-option',
    '--info',
    '--debug',
    '--suffix',
    '--out-format',
    '--log-file-format',
    '--iconv',
    '--checksum-choice',
    '--compress-choice',
    '--compress-level',
    '--skip-compress',
    '--stop-after',
    '--stop-at',
    '--sockopts',
    '--outbuf',
    '--protocol',
    '--address',
  ],
  {
    '--exclude-from': 'read',
    '--include-from': 'read',
    '--files-from': 'read',
    '--password-file': 'read',
    '--log-file': 'write',
    '--write-batch': 'write',
    '--only-write-batch': 'write',
    '--read-batch': 'read',
    '-T': 'write',
    '--temp-dir': 'write',
    '--partial-dir': 'write',
    '--backup-dir': 'write',
    '--compare-dest': 'read',
    '--copy-dest': 'read',
    '--link-dest': 'read',
    '--early-input': 'read',
  },
  ['-e', '--rsh', '--rsync-path'],
  ['-r', '-a', '--recursive', '--archive'],
);

const jq: Reader = (args, program) => {
  let words = [...args];
  const yq = program === 'yq';
  if (yq && words[0] && ['e', 'eval', 'ea', 'eval-all'].includes(words[0].text)) words = words.slice(1);
  const scanned = scanArguments(words, {
    values: [
      '-f',
      '--from-file',
      '-L',
      '--indent',
      '--tab',
      '--arg-file',
      '-o',
      '--output-format',
      '-p',
      '--input-format',
      '--front-matter',
      '--expression',
    ],
    pairs: ['--arg', '--argjson', '--slurpfile', '--rawfile'],
  });
  const filterFiles = optionValues(scanned, '-f', '--from-file');
  const filter = filterFiles.length > 0 || hasOption(scanned, '--expression') ? null : scanned.operands[0];
  const environment = filter ? jqEnvironment(filter) : { names: [], whole: false };
  const positionalArgs = hasOption(scanned, '--args', '--jsonargs');
  const inputs =
    filterFiles.length > 0 || hasOption(scanned, '--expression') ? scanned.operands : scanned.operands.slice(1);
  const inPlace = yq && hasOption(scanned, '-i', '--inplace');
  const files = [
    ...operands(positionalArgs ? [] : inputs, inPlace ? 'readwrite' : 'read'),
    ...operands(filterFiles, 'read'),
  ];
  for (const option of scanned.options) {
    if ((option.name === '--slurpfile' || option.name === '--rawfile') && option.second)
      files.push({ field: option.second, access: 'read' });
  }
  if (environment.whole && filter) files.push({ field: { ...filter, text: '/proc/self/environ' }, access: 'read' });
  const problems: string[] = [];
  if (filter) {
    // yq's load, load_str, load_xml… read the file they name; a name built at run time cannot be judged.
    for (const match of filter.text.matchAll(
      /\bload(?:_str|_xml|_props|_base64|_yaml|_json)?\s*\(\s*("([^"]*)"|[^)]*)\)/g,
    )) {
      if (match[2] !== undefined) files.push({ field: { ...filter, text: match[2] }, access: 'read' });
      else problems.push(`${program} loads a file named at run time`);
    }
    if (/\b(import|include)\s+"/.test(filter.text)) problems.push(`${program} imports a module from a file`);
  }
  return { files, scripts: [], problems, variables: environment.names };
};

/**
 * `env.NAME` and `$ENV.NAME` read one variable; `env` or `$ENV` alone is the whole environment.
 * yq's `strenv(NAME)`/`env(NAME)` read one variable too.
 */
function jqEnvironment(filter: Field): { names: string[]; whole: boolean } {
  const names: string[] = [];
  let whole = false;
  for (const match of filter.text.matchAll(/\b(?:strenv|env)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)/g))
    names.push(match[1] as string);
  for (const match of filter.text.matchAll(
    /(?<![A-Za-z0-9_.])(\$ENV|env)\b(\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\s*\[\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\])?/g,
  )) {
    const name = match[3] ?? match[4];
    if (name) names.push(name);
    else whole = true;
  }
  return { names, whole };
}

/** `ps e`, `ps auxe`, `ps -E`: the environment of every process is printed beside it. */
const ps: Reader = (args) => {
  // BSD-style letters without a dash (`e`, `auxe`); a word after an option taking a value is that value.
  const showsEnvironment = args.some((field, i) => {
    const previous = args[i - 1]?.text ?? '';
    if (/^-[a-zA-Z]*[uUgGpCoOtqkN]$|^--[a-z-]+$/.test(previous)) return false;
    return /^[a-zA-Z]*e[a-zA-Z]*$/.test(field.text) || /^-[a-zA-Z]*E/.test(field.text);
  });
  return {
    files: showsEnvironment
      ? [
          {
            field: { text: '/proc/*/environ', dynamic: false, glob: false, processSubstitution: false },
            access: 'read',
          },
        ]
      : [],
    scripts: [],
    problems: [],
  };
};

/** `printenv NAME`, `declare -p NAME`: the variables named are printed. */
const variablePrinter: Reader = (args) => ({
  files: [],
  scripts: [],
  problems: [],
  variables: args.map((field) => field.text).filter((text) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(text)),
});

const editor = fileProgram(
  'readwrite',
  ['-c', '--cmd', '-i', '-T', '-t', '-U', '--profile', '--user-data-dir', '--extensions-dir'],
  {
    '-S': 'read',
    '-u': 'read',
    '-q': 'read',
    '-s': 'read',
    '-w': 'write',
    '-W': 'write',
  },
);

/** `xxd IN OUT`, `uniq IN OUT`: the first operand is read, the second written. */
const firstReadSecondWrite = (values: readonly string[]): Reader => {
  const grammar: OptionGrammar = { values, abbreviations: true };
  return (args) => {
    const scanned = scanArguments(args, grammar);
    const [input, output] = scanned.operands;
    return {
      files: [...(input ? operands([input], 'read') : []), ...(output ? operands([output], 'write') : [])],
      scripts: [],
      problems: [],
    };
  };
};

const xxd = firstReadSecondWrite(['-c', '-g', '-l', '-o', '-s', '-n', '-C']);

const patch: Reader = (args) => {
  const scanned = scanArguments(args, {
    values: [
      '-i',
      '--input',
      '-o',
      '--output',
      '-d',
      '--directory',
      '-p',
      '--strip',
      '-B',
      '--prefix',
      '-r',
      '--reject-file',
      '-D',
      '--ifdef',
      '-F',
      '--fuzz',
      '-V',
      '--version-control',
      '-z',
      '--suffix',
      '-Y',
      '--basename-prefix',
    ],
    abbreviations: true,
  });
  const [target, patchFile] = scanned.operands;
  return {
    files: [
      ...(target ? operands([target], 'readwrite') : []),
      ...(patchFile ? operands([patchFile], 'read') : []),
      ...operands(optionValues(scanned, '-i', '--input'), 'read'),
      ...operands(optionValues(scanned, '-o', '--output', '-r', '--reject-file'), 'write'),
    ],
    scripts: [],
    problems: [],
  };
};

/** ssh's options that take a value: where the remote command starts, and the files ssh itself uses. */
const SSH_OPTIONS: OptionGrammar = {
  values: [
    '-B',
    '-b',
    '-c',
    '-D',
    '-e',
    '-I',
    '-J',
    '-L',
    '-l',
    '-m',
    '-O',
    '-o',
    '-p',
    '-Q',
    '-R',
    '-W',
    '-w',
    '-S',
    '-i',
    '-F',
    '-E',
  ],
  stopAtOperand: true,
};

const ssh: Reader = (args) => {
  const scanned = scanArguments(args, SSH_OPTIONS);
  const files = optionFiles(scanned, { '-i': 'read', '-F': 'read', '-E': 'write' });
  const embedded: EmbeddedScript[] = [];
  for (const value of optionValues(scanned, '-o')) {
    const setting = /^\s*(ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)\s*[=\s]\s*(.+)$/i.exec(value.text);
    if (setting) embedded.push({ text: setting[2] as string, dynamic: value.dynamic, label: 'ssh -o' });
    const identity = /^\s*(IdentityFile|CertificateFile|UserKnownHostsFile)\s*[=\s]\s*(.+)$/i.exec(value.text);
    if (identity) files.push({ field: { ...value, text: identity[2] as string }, access: 'read' });
  }
  // `ssh host 'cmd'`: the remote shell runs the words after the host.
  const command = scanned.operands.slice(1);
  if (command.length > 0)
    embedded.push({
      text: command.map((field) => field.text).join(' '),
      dynamic: command.some((field) => field.dynamic),
      label: 'ssh',
    });
  return { files, scripts: embedded, problems: [] };
};

const socat: Reader = (args) => {
  const files: FileOperand[] = [];
  const embedded: EmbeddedScript[] = [];
  for (const field of args) {
    if (field.text.startsWith('-')) continue;
    const address = /^([A-Za-z-]+):(.*)$/.exec(field.text);
    if (address) {
      const kind = (address[1] as string).toUpperCase();
      const rest = address[2] as string;
      const target = rest.split(',')[0] as string;
      if (kind === 'EXEC' || kind === 'SYSTEM')
        embedded.push({ text: target.replace(/^['"]|['"]$/g, ''), dynamic: field.dynamic, label: 'socat' });
      else if (['FILE', 'OPEN', 'GOPEN', 'CREATE', 'CREAT', 'PIPE', 'UNIX-CONNECT', 'UNIX-LISTEN'].includes(kind))
        files.push({ field: { ...field, text: target }, access: 'readwrite' });
    } else if (field.text.startsWith('/')) {
      files.push({ field: { ...field, text: field.text.split(',')[0] as string }, access: 'readwrite' });
    }
  }
  return { files, scripts: embedded, problems: [] };
};

const netcat: Reader = (args, program) => {
  const scanned = scanArguments(args, {
    values: [
      '-e',
      '-c',
      '--exec',
      '--sh-exec',
      '--lua-exec',
      '-p',
      '-s',
      '-w',
      '-i',
      '-q',
      '-x',
      '-X',
      '-P',
      '-T',
      '-O',
      '-I',
      '-V',
      '-m',
      '-g',
      '-G',
    ],
  });
  return {
    files: operands(optionValues(scanned, '--lua-exec'), 'read'),
    scripts: scripts(scanned, ['-e', '-c', '--exec', '--sh-exec'], program),
    problems: [],
  };
};

const mail = fileProgram(
  'read',
  ['-s', '-c', '-b', '-r', '-S', '-e', '-q'],
  { '-a': 'read', '-A': 'read', '-i': 'read', '-F': 'read' },
  { skip: Number.MAX_SAFE_INTEGER },
);

const readAll = fileProgram('read');

const writeAll = fileProgram('write');

/** A reader that also says which files the program downloads into. */
const downloading =
  (reader: Reader, downloads: (args: readonly Field[]) => string[]): Reader =>
  (args, program) => ({ ...reader(args, program), downloads: downloads(args) });
const wget = downloading(wgetFiles, wgetDownloads);
const scp = downloading(scpFiles, remoteCopyDownloads);
const rsync = downloading(rsyncFiles, remoteCopyDownloads);

/**
 * The file tools' specs: each program's reader, and the properties other readers ask about
 * (its reader describes only some arguments, it unpacks archives, it fetches from the network,
 * it writes no code). registry.ts holds them with every other program spec.
 */
const READERS: Record<string, Reader | Omit<ProgramSpec, 'names'>> = {
  cat: fileProgram('read'),
  tac: readAll,
  nl: fileProgram('read', ['-b', '-d', '-f', '-h', '-i', '-l', '-n', '-s', '-v', '-w']),
  od: fileProgram('read', ['-A', '-j', '-N', '-S', '-t', '-w']),
  hexdump: fileProgram('read', ['-e', '-n', '-s'], { '-f': 'read' }),
  hd: fileProgram('read', ['-e', '-n', '-s'], { '-f': 'read' }),
  xxd,
  strings: fileProgram('read', ['-n', '-t', '-e', '-T', '--bytes', '--radix', '--encoding', '--target']),
  base64: fileProgram('read', ['-w', '--wrap']),
  base32: fileProgram('read', ['-w', '--wrap']),
  basenc: fileProgram('read', ['-w', '--wrap']),
  uuencode: readAll,
  md5sum: checksum,
  sha1sum: checksum,
  sha224sum: checksum,
  sha256sum: checksum,
  sha384sum: checksum,
  sha512sum: checksum,
  b2sum: checksum,
  shasum: fileProgram('read', ['-a', '--algorithm'], { '-c': 'read', '--check': 'read' }),
  cksum: readAll,
  sum: readAll,
  md5: readAll,
  wc: fileProgram('read', [], { '--files0-from': 'read' }),
  less: fileProgram('read', ['-b', '-h', '-j', '-p', '-P', '-t', '-x', '-y', '-z', '-#'], {
    '-k': 'read',
    '-o': 'write',
    '-O': 'write',
    '-T': 'read',
  }),
  more: readAll,
  most: readAll,
  head: headTail,
  tail: headTail,
  bat: fileProgram('read', [
    '-l',
    '--language',
    '-H',
    '--highlight-line',
    '--file-name',
    '--style',
    '--theme',
    '-r',
    '--line-range',
    '-m',
    '--map-syntax',
    '--tabs',
    '--wrap',
    '--terminal-width',
    '--color',
    '--paging',
    '--pager',
    '--decorations',
    '--italic-text',
  ]),
  batcat: fileProgram('read', [
    '-l',
    '--language',
    '-H',
    '--file-name',
    '--style',
    '--theme',
    '-r',
    '--line-range',
    '-m',
    '--tabs',
    '--color',
    '--paging',
    '--pager',
  ]),
  view: vim,
  fold: fileProgram('read', ['-w', '--width']),
  fmt: fileProgram('read', ['-w', '-p', '-g', '--width', '--prefix', '--goal']),
  column: fileProgram('read', [
    '-s',
    '-c',
    '-o',
    '-N',
    '-R',
    '-E',
    '-H',
    '-W',
    '--separator',
    '--output-width',
    '--output-separator',
    '--table-columns',
  ]),
  rev: readAll,
  expand: fileProgram('read', ['-t', '--tabs']),
  unexpand: fileProgram('read', ['-t', '--tabs']),
  pr: fileProgram('read', [
    '-h',
    '--header',
    '-l',
    '--length',
    '-w',
    '--width',
    '-o',
    '--indent',
    '-N',
    '-e',
    '-i',
    '-n',
    '-s',
    '-S',
    '-W',
  ]),
  zcat: readAll,
  bzcat: readAll,
  xzcat: readAll,
  zstdcat: readAll,
  lzcat: readAll,
  zless: readAll,
  zmore: readAll,
  cmp: fileProgram('read', ['-i', '--ignore-initial', '-n', '--bytes']),
  diff: fileProgram(
    'read',
    [
      '-C',
      '-U',
      '-D',
      '-F',
      '-I',
      '-L',
      '-x',
      '-S',
      '--label',
      '--line-format',
      '--ignore-matching-lines',
      '--exclude',
      '--starting-file',
      '--horizon-lines',
      '--tabsize',
      '--width',
      '-W',
      '--context',
      '--unified',
      '--ifdef',
      '--show-function-line',
      '--color',
      '--palette',
      '--old-line-format',
      '--new-line-format',
      '--unchanged-line-format',
    ],
    { '-X': 'read', '--exclude-from': 'read', '--from-file': 'read', '--to-file': 'read' },
    { recursive: ['-r', '--recursive'] },
  ),
  diff3: fileProgram('read', ['-L', '--label']),
  sdiff: fileProgram('read', ['-w', '--width', '-I', '--ignore-matching-lines', '--tabsize', '--diff-program'], {
    '-o': 'write',
    '--output': 'write',
  }),
  comm: fileProgram('read', ['--output-delimiter']),
  paste: fileProgram('read', ['-d', '--delimiters']),
  join: fileProgram('read', ['-a', '-e', '-j', '-o', '-t', '-v', '-1', '-2']),
  cut: fileProgram('read', [
    '-b',
    '-c',
    '-d',
    '-f',
    '--bytes',
    '--characters',
    '--delimiter',
    '--fields',
    '--output-delimiter',
  ]),
  sort: fileProgram(
    'read',
    [
      '-k',
      '-t',
      '-S',
      '--key',
      '--field-separator',
      '--buffer-size',
      '--batch-size',
      '--parallel',
      '-T',
      '--temporary-directory',
    ],
    { '-o': 'write', '--output': 'write', '--files0-from': 'read', '--random-source': 'read' },
    { exec: ['--compress-program'] },
  ),
  uniq: firstReadSecondWrite([
    '-f',
    '-s',
    '-w',
    '--skip-fields',
    '--skip-chars',
    '--check-chars',
    '--group',
    '--all-repeated',
  ]),
  iconv: fileProgram('read', ['-f', '-t', '--from-code', '--to-code'], { '-o': 'write', '--output': 'write' }),
  look: fileProgram('read', ['-t'], {}, { skip: 1 }),
  grep,
  egrep: grep,
  fgrep: grep,
  zgrep: grep,
  rg,
  ag,
  ack: ag,
  'ack-grep': ag,
  awk,
  gawk: awk,
  mawk: awk,
  nawk: awk,
  sed,
  gsed: sed,
  cp: copyProgram(
    'read',
    ['--backup', '--reflink', '--sparse', '--preserve', '--no-preserve', '--context'],
    ['-r', '-R', '-a', '--recursive', '--archive'],
  ),
  // Moving a directory moves everything in it.
  mv: copyProgram('readwrite', ['--backup'], [], true),
  install: copyProgram('read', ['-m', '--mode', '-o', '--owner', '-g', '--group', '--strip-program'], []),
  ln: copyProgram('read', ['--backup'], []),
  tee: writeAll,
  touch: {
    effects: fileProgram('write', ['-d', '--date', '-t'], { '-r': 'read', '--reference': 'read' }),
    writesNoCode: true,
  },
  rm: {
    effects: fileProgram('write', ['--interactive'], {}, { recursive: ['-r', '-R', '--recursive'] }),
    writesNoCode: true,
  },
  rmdir: { effects: writeAll, writesNoCode: true },
  unlink: { effects: writeAll, writesNoCode: true },
  mkdir: fileProgram('write', ['-m', '--mode', '--context']),
  shred: fileProgram('write', ['-n', '--iterations', '-s', '--size'], { '--random-source': 'read' }),
  truncate: fileProgram('write', ['-s', '--size'], { '-r': 'read', '--reference': 'read' }),
  sponge: writeAll,
  chmod: { effects: modeProgram, writesNoCode: true },
  chown: { effects: modeProgram, writesNoCode: true },
  chgrp: { effects: modeProgram, writesNoCode: true },
  chattr: { effects: modeProgram, writesNoCode: true },
  setfacl: {
    effects: fileProgram(
      'write',
      ['-m', '-x', '--modify', '--remove'],
      { '-M': 'read', '-X': 'read' },
      { recursive: ['-R', '--recursive'] },
    ),
    writesNoCode: true,
  },
  tar: { effects: tar, extracts: true },
  bsdtar: { effects: tar, extracts: true },
  gtar: { effects: tar, extracts: true },
  zip,
  unzip: { effects: unzip, extracts: true },
  cpio: { effects: cpio, extracts: true },
  bsdcpio: { effects: cpio, extracts: true },
  '7z': { effects: sevenZip, extracts: true },
  '7za': { effects: sevenZip, extracts: true },
  '7zr': { effects: sevenZip, extracts: true },
  gzip: compressor,
  gunzip: compressor,
  pigz: compressor,
  bzip2: compressor,
  bunzip2: compressor,
  xz: compressor,
  unxz: compressor,
  lzma: compressor,
  zstd: compressor,
  unzstd: compressor,
  lz4: compressor,
  brotli: compressor,
  compress: compressor,
  uncompress: compressor,
  dd,
  curl: { effects: curl, fetches: true },
  wget: { effects: wget, fetches: true },
  openssl,
  gpg,
  gpg2: gpg,
  scp,
  rsync,
  sftp: fileProgram(
    'read',
    ['-B', '-c', '-D', '-J', '-l', '-o', '-P', '-R', '-s', '-S'],
    { '-i': 'read', '-F': 'read', '-b': 'read' },
    { skip: Number.MAX_SAFE_INTEGER },
  ),
  ssh,
  'ssh-add': fileProgram('read', ['-t', '-E', '-S', '-h', '-H']),
  'ssh-keygen': fileProgram(
    'read',
    ['-t', '-b', '-C', '-N', '-P', '-m', '-E', '-O', '-I', '-n', '-V', '-z', '-Y', '-a', '-Z', '-r', '-s', '-D', '-w'],
    { '-f': 'readwrite' },
    { skip: Number.MAX_SAFE_INTEGER },
  ),
  'ssh-copy-id': fileProgram(
    'read',
    ['-p', '-o', '-t'],
    { '-i': 'read', '-F': 'read' },
    { skip: Number.MAX_SAFE_INTEGER },
  ),
  socat: { effects: socat, partialEffects: true, fetches: true },
  nc: { effects: netcat, partialEffects: true, fetches: true },
  ncat: { effects: netcat, partialEffects: true, fetches: true },
  netcat: { effects: netcat, partialEffects: true, fetches: true },
  jq,
  gojq: jq,
  jaq: jq,
  yq: jq,
  vi: vim,
  vim: vim,
  nvim: vim,
  nano: fileProgram('readwrite', ['-T', '-Y', '-X', '-r', '-o', '-s', '-Q']),
  emacs: { effects: emacs, partialEffects: true },
  code: { effects: editor, partialEffects: true },
  cursor: { effects: editor, partialEffects: true },
  subl: { effects: editor, partialEffects: true },
  micro: { effects: editor, partialEffects: true },
  ed: editor,
  ex: vim,
  open: { effects: fileProgram('read', ['-a', '-b']), partialEffects: true },
  'xdg-open': { effects: readAll, partialEffects: true },
  patch,
  crontab: { effects: fileProgram('read', ['-u']), partialEffects: true },
  mail: { effects: mail, partialEffects: true },
  mailx: { effects: mail, partialEffects: true },
  's-nail': { effects: mail, partialEffects: true },
  mutt: {
    effects: fileProgram('read', ['-s', '-c', '-b', '-e'], { '-i': 'read', '-F': 'read', '-H': 'read' }, { skip: 0 }),
    partialEffects: true,
  },
  ps,
  printenv: variablePrinter,
  readonly: variablePrinter,
};

/** The file tools as program specs, for the registry. */
export const FILE_TOOL_SPECS: readonly ProgramSpec[] = Object.entries(READERS).map(([name, entry]) =>
  typeof entry === 'function' ? { names: [name], effects: entry } : { names: [name], ...entry },
);

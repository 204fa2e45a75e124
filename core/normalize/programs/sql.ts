/**
 * SQL and database-client commands reaching a database client (SPEC §3: code reaching an
 * interpreter by any channel is code). Each statement becomes a subject of its own, program
 * `sql` with the statement's words as arguments (`sql drop table users`), however it was
 * spelled (comments, spacing, case) or fed (argument, `-c`/`-e`, stdin, here-document). The
 * client's own commands that run shell text, load code or touch files are reported as such.
 */

export interface SqlReading {
  /** One entry per statement: its words, lowercased, comments removed. */
  statements: string[][];
  /** Shell command lines the client runs (`.shell`, `.system`, `\!`, `system`, `COPY … PROGRAM`). */
  scripts: string[];
  files: { text: string; access: 'read' | 'write' }[];
  /** Why part of the input cannot be judged (`.load`, `load_extension`, `edit()`). */
  problems: string[];
}

/** Statements beyond this many in one input are not read one by one. */
const MAX_STATEMENTS = 256;

const WRITE_DOT_COMMANDS = new Set(['.output', '.once', '.save', '.backup', '.excel']);
const READ_DOT_COMMANDS = new Set(['.read', '.import', '.restore', '.open']);

export function readSql(text: string, client: string): SqlReading {
  const reading: SqlReading = { statements: [], scripts: [], files: [], problems: [] };
  const lines = text.split('\n');
  let sql = '';
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith('.') && client.startsWith('sqlite')) {
      clientCommand(trimmed, reading);
      continue;
    }
    if (trimmed.startsWith('\\')) {
      metaCommand(trimmed, reading);
      continue;
    }
    if (/^(system|\\!)\s/i.test(trimmed) && (client === 'mysql' || client === 'mariadb')) {
      reading.scripts.push(trimmed.replace(/^(system|\\!)\s+/i, ''));
      continue;
    }
    sql += `${line}\n`;
  }
  for (const statement of splitStatements(stripComments(sql))) {
    if (reading.statements.length >= MAX_STATEMENTS) {
      reading.problems.push(`${client} is given more than ${MAX_STATEMENTS} statements`);
      break;
    }
    readStatement(statement, reading);
  }
  return reading;
}

/** Redis commands: one command per argument list (`redis-cli FLUSHALL`, `redis-cli -h x del k`). */
export function redisStatement(words: readonly string[]): string[] {
  return words.map((word) => word.toLowerCase());
}

function clientCommand(line: string, reading: SqlReading): void {
  const [name = '', ...rest] = line.split(/\s+/);
  const command = name.toLowerCase();
  const argument = rest.join(' ').replace(/^['"]|['"]$/g, '');
  if (command === '.shell' || command === '.system') reading.scripts.push(argument);
  else if (command === '.load') reading.problems.push(`sqlite3 loads native code: ${argument.slice(0, 80)}`);
  else if (WRITE_DOT_COMMANDS.has(command)) {
    const file = rest.filter((word) => !word.startsWith('-'))[0];
    if (file) reading.files.push({ text: unquote(file), access: 'write' });
  } else if (READ_DOT_COMMANDS.has(command)) {
    const file = rest.filter((word) => !word.startsWith('-'))[0];
    if (file) reading.files.push({ text: unquote(file), access: 'read' });
  } else if (command === '.cd') {
    reading.problems.push('sqlite3 changes its directory, so later file names are unknown');
  }
  reading.statements.push([command.slice(1), ...rest.map((word) => word.toLowerCase())]);
}

/** psql's backslash commands: `\! cmd`, `\i file`, `\o file`, `\copy … from/to 'file'`. */
function metaCommand(line: string, reading: SqlReading): void {
  const match = /^\\([a-z!]+)\s*(.*)$/i.exec(line);
  if (!match) return;
  const command = (match[1] as string).toLowerCase();
  const argument = (match[2] as string).trim();
  if (command === '!') reading.scripts.push(argument);
  else if (command === 'i' || command === 'include' || command === 'ir' || command === 'include_relative')
    reading.files.push({ text: unquote(argument), access: 'read' });
  else if (command === 'o' || command === 'out' || command === 'w' || command === 'write') {
    if (argument.startsWith('|')) reading.scripts.push(argument.slice(1));
    else if (argument) reading.files.push({ text: unquote(argument), access: 'write' });
  } else if (command === 'copy') {
    readCopy(argument, reading, true);
    reading.statements.push(['copy', ...argument.toLowerCase().split(/\s+/)]);
  }
}

function readStatement(statement: string, reading: SqlReading): void {
  const words = statement
    .replace(/[(),;]/g, ' ')
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
  if (words.length === 0) return;
  reading.statements.push(words);
  for (const call of statement.matchAll(
    /\b(readfile|writefile|pg_read_file|pg_read_binary_file|lo_import|lo_export|load_file)\s*\(\s*'([^']*)'/gi,
  )) {
    const name = (call[1] as string).toLowerCase();
    const write = name === 'writefile' || name === 'lo_export';
    reading.files.push({ text: call[2] as string, access: write ? 'write' : 'read' });
  }
  if (/\bwritefile\s*\(/i.test(statement) && !/\bwritefile\s*\(\s*'/i.test(statement))
    reading.problems.push('the SQL writes a file named at run time');
  if (/\b(readfile|pg_read_file)\s*\(/i.test(statement) && !/\b(readfile|pg_read_file)\s*\(\s*'/i.test(statement))
    reading.problems.push('the SQL reads a file named at run time');
  if (/\b(load_extension|edit)\s*\(/i.test(statement)) reading.problems.push('the SQL loads code or starts an editor');
  if (words[0] === 'copy') readCopy(statement, reading, false);
  const outfile = /\binto\s+(out|dump)file\s+'([^']*)'/i.exec(statement);
  if (outfile) reading.files.push({ text: outfile[2] as string, access: 'write' });
  const infile = /\bload\s+data\s+(local\s+)?infile\s+'([^']*)'/i.exec(statement);
  if (infile) reading.files.push({ text: infile[2] as string, access: 'read' });
  const attach = /^attach\s+(database\s+)?'([^']*)'/i.exec(statement.trim());
  if (attach) reading.files.push({ text: attach[2] as string, access: 'write' });
}

/** `COPY t FROM 'file'`, `COPY t TO PROGRAM 'cmd'`. */
function readCopy(statement: string, reading: SqlReading, client: boolean): void {
  const program = /\b(from|to)\s+program\s+'((?:[^']|'')*)'/i.exec(statement);
  if (program) {
    reading.scripts.push((program[2] as string).replace(/''/g, "'"));
    return;
  }
  const file = /\b(from|to)\s+('(?:[^']|'')*'|\S+)/i.exec(statement);
  if (!file) return;
  const target = unquote(file[2] as string);
  if (/^(stdin|stdout|pstdin|pstdout)$/i.test(target)) return;
  if (client || target.startsWith('/'))
    reading.files.push({ text: target, access: /^from$/i.test(file[1] as string) ? 'read' : 'write' });
}

function unquote(text: string): string {
  return text.replace(/^'(.*)'$|^"(.*)"$/s, '$1$2');
}

/** Comments removed: `/* … *\/` becomes a space (as the SQL parser sees it), `-- …` and `# …` lines end. */
function stripComments(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/(^|\s)#[^\n]*/g, ' ');
}

/** Statements split at semicolons outside quotes. */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote !== null) {
      current += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      current += ch;
    } else if (ch === ';') {
      if (current.trim() !== '') out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() !== '') out.push(current);
  return out;
}

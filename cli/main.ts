import { version } from '../package.json';
import { allCommands, commandsStartingWith } from './commands';
import type { CliIO, Command } from './io';
import { UsageError } from './io';

function help(commands: readonly Command[]): string {
  // Usage on its own line, the summary indented below: readable in an 80-column terminal.
  const lines = commands.flatMap((command) => [`  ${command.usage}`, `      ${command.summary}`]);
  return [
    `cavra ${version} — CAVRA Enterprise: runtime authority for AI coding agents`,
    '',
    'Usage: cavra <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    "  --help      Show this help (or a command's usage: cavra <command> --help)",
    '  --version   Print the version',
    '',
    'Environment:',
    '  CAVRA_HOME  Data directory (default: the OS application-data directory)',
    '',
  ].join('\n');
}

/** Longest command name that prefixes the arguments: `tenants list` before `tenants`. */
function findCommand(commands: readonly Command[], argv: string[]): { command: Command; rest: string[] } | null {
  let best: { command: Command; rest: string[] } | null = null;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((word, i) => argv[i] === word) && (!best || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: argv.slice(words.length) };
    }
  }
  return best;
}

/**
 * The longest run of leading words that some commands share as a group (`tenants`,
 * `hook install`), when the arguments name a group rather than a command.
 */
function findGroup(commands: readonly Command[], argv: string[]): { words: string[]; members: Command[] } | null {
  for (let length = argv.length; length >= 1; length--) {
    const words = argv.slice(0, length);
    const members = commands.filter((command) => {
      const name = command.name.split(' ');
      return name.length > length && words.every((word, i) => name[i] === word);
    });
    if (members.length > 0) return { words, members };
  }
  return null;
}

function groupHelp(group: { words: string[]; members: Command[] }): string {
  const name = group.words.join(' ');
  return [
    `Usage: cavra ${name} <command> [options]`,
    '',
    'Commands:',
    ...group.members.flatMap((command) => [`  ${command.usage}`, `      ${command.summary}`]),
    '',
    `Run "cavra ${name} <command> --help" for a command's options.`,
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(help(await allCommands()));
    return argv.length === 0 ? 1 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout(`${version}\n`);
    return 0;
  }
  // Only the modules holding commands that start with this word are loaded (start-up cost).
  const commands = await commandsStartingWith(argv[0] as string);
  const found = findCommand(commands, argv);
  if (!found) {
    const group = findGroup(commands, argv);
    const rest = group ? argv.slice(group.words.length) : argv;
    if (group && (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h')) {
      // `cavra tenants --help` lists the group; a bare `cavra tenants` does too, as a usage error.
      (rest.length === 0 ? io.stderr : io.stdout)(groupHelp(group));
      return rest.length === 0 ? 1 : 0;
    }
    const where = group ? `cavra ${group.words.join(' ')} --help` : 'cavra --help';
    io.stderr(`cavra: unknown command "${argv.join(' ')}". Run "${where}" for the list.\n`);
    return 1;
  }
  // `--help` after `--` belongs to the wrapped command (`cavra mcp-proxy … -- server --help`).
  const own = found.rest.includes('--') ? found.rest.slice(0, found.rest.indexOf('--')) : found.rest;
  if (own.includes('--help')) {
    io.stdout(`Usage: ${found.command.usage}\n\n${found.command.summary}\n`);
    return 0;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr(`cavra ${found.command.name}: ${error.message}\nUsage: ${found.command.usage}\n`);
      return 1;
    }
    // The contract (every operation's schemas) is loaded here only if a command failed:
    // `cavra --version` and `--help` never build it.
    const { ContractError } = await import('../core/contract');
    if (error instanceof ContractError) {
      io.stderr(`cavra ${found.command.name}: ${error.message}\n`);
      return 1;
    }
    io.stderr(`cavra ${found.command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

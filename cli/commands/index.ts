import type { Command } from '../io';

/**
 * Where the `cavra` commands live, by the first word of their names. A `cavra` process loads
 * only the module of the command it runs: each module brings its own dependencies (the MCP
 * SDK, WebSockets, YAML, the report renderer…), and loading every one of them cost more CPU
 * than judging an action (`cavra evaluate` is run once per action by scripts and corpora).
 * A module's commands are the Commands it exports; `commands.test.ts` checks that every
 * command's first word is listed with its module, so a new command cannot go missing.
 */
interface CommandModule {
  words: readonly string[];
  load(): Promise<Record<string, unknown>>;
}

/** In `--help` order. */
const MODULES: readonly CommandModule[] = [
  { words: ['console'], load: () => import('./console') },
  { words: ['login', 'logout', 'whoami'], load: () => import('./login') },
  { words: ['tenants'], load: () => import('./tenants') },
  { words: ['keys', 'doctor'], load: () => import('./doctor') },
  { words: ['evaluate'], load: () => import('./evaluate') },
  { words: ['policy'], load: () => import('./policy') },
  { words: ['evidence'], load: () => import('./evidence') },
  { words: ['evidence'], load: () => import('./evidence-retention') },
  { words: ['gate'], load: () => import('./gate') },
  { words: ['server'], load: () => import('./server') },
  { words: ['connect', 'disconnect'], load: () => import('./connect') },
  { words: ['agents'], load: () => import('./agents') },
  { words: ['hook'], load: () => import('./hook') },
  { words: ['mcp-proxy', 'mcp'], load: () => import('./mcp') },
  { words: ['git'], load: () => import('./git') },
  { words: ['exec'], load: () => import('./exec') },
  { words: ['approvals'], load: () => import('./approvals') },
  { words: ['connectors'], load: () => import('./connectors') },
  { words: ['reports'], load: () => import('./reports') },
  { words: ['license'], load: () => import('./license') },
  { words: ['readiness', 'packet'], load: () => import('./readiness') },
  { words: ['trial'], load: () => import('./trial') },
  { words: ['aispm'], load: () => import('./aispm') },
  { words: ['sandbox'], load: () => import('./sandbox') },
];

function isCommand(value: unknown): value is Command {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Command>;
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.summary === 'string' &&
    typeof candidate.usage === 'string' &&
    typeof candidate.run === 'function'
  );
}

async function commandsOf(modules: readonly CommandModule[]): Promise<Command[]> {
  const loaded = await Promise.all(modules.map((module) => module.load()));
  return loaded.flatMap((exports) => Object.values(exports).filter(isCommand));
}

/** The commands whose names start with `word`, loading only the modules that hold them. */
export async function commandsStartingWith(word: string): Promise<Command[]> {
  const found = await commandsOf(MODULES.filter((module) => module.words.includes(word)));
  return found.filter((command) => command.name.split(' ')[0] === word);
}

/** Every `cavra` command (for `--help`): loads every module. */
export function allCommands(): Promise<Command[]> {
  return commandsOf(MODULES);
}

/** The first words the modules are listed under, for checking the list against the commands. */
export function listedWords(): ReadonlySet<string> {
  return new Set(MODULES.flatMap((module) => module.words));
}

import { SPECIAL_PROGRAMS, wrapperPrograms } from '../commands';
import { SHELL_PROGRAMS } from '../shells';
import { interpreterFamilies, interpreterSpec } from './interpreters';
import { METADATA_PROGRAMS } from './metadata';
import { optionTablePrograms, programKey } from './options';
import { specPrograms } from './registry';
import { TAINTED_TOOLS } from './tools';

/**
 * Every table that describes programs, by where it is declared, with the programs it names.
 * One program is described by one table (HOUSE rule 13): the catalog test fails when two
 * tables name the same program.
 */
export function programTables(): ReadonlyMap<string, readonly string[]> {
  return new Map<string, readonly string[]>([
    ['programs/registry.ts program specs', specPrograms()],
    ['programs/options.ts option table', optionTablePrograms()],
    ['commands.ts wrappers', wrapperPrograms()],
    ['commands.ts programs read by the normalizer', [...SPECIAL_PROGRAMS]],
    ['shells.ts', [...SHELL_PROGRAMS]],
    ['programs/interpreters.ts', interpreterFamilies().map(([family]) => family)],
    ['programs/metadata.ts', [...METADATA_PROGRAMS]],
    ['programs/catalog.ts tools', [...TAINTED_TOOLS]],
  ]);
}

let known: ReadonlySet<string> | null = null;

/** Whether a program has a spec here: in one of the tables above, by its name or a versioned spelling of it. */
export function hasProgramSpec(program: string): boolean {
  known ??= new Set([...programTables().values()].flat());
  const name = programKey(program);
  return known.has(name) || interpreterSpec(name) !== undefined;
}

import { SHELL_PROGRAMS } from '../shells';
import { interpreterFamilies } from './interpreters';
import { METADATA_PROGRAMS } from './metadata';
import { specPrograms } from './registry';
import { TAINTED_TOOLS } from './tools';
import { versionedProgram } from './version';

let known: ReadonlySet<string> | null = null;

/**
 * Names with a spec, for telling a versioned spelling (`bash5`) from a program of its own. The
 * wrappers and programs commands.ts reads itself, and the matcher's option table, are left out
 * to keep this module below them; none of their names ends in a version, and the catalog test
 * checks that resolving leaves every declared name as it is.
 */
function isKnown(name: string): boolean {
  known ??= new Set([
    ...specPrograms(),
    ...SHELL_PROGRAMS,
    ...METADATA_PROGRAMS,
    ...TAINTED_TOOLS,
    ...interpreterFamilies().map(([family]) => family),
  ]);
  return known.has(name);
}

/**
 * The program a command's name (already without its directory) stands for: itself when a
 * spec knows it (`python3`, `7z`, `sha256sum`), the program a versioned spelling names
 * (`node22` → `node`, `bash5` → `bash`, `pip3.11` → `pip3`, `perl5.36` → `perl`), else itself.
 * Every reader of a program name goes through this (commands.ts, the matcher's `programKey`),
 * so an unknown version of an interpreter is judged as that interpreter, never as an unknown
 * program.
 */
export function resolveProgram(name: string): string {
  if (isKnown(name)) return name;
  return versionedProgram(name, isKnown) ?? name;
}

import { FILE_TOOL_SPECS } from '../effects';
import { BUILD_TOOL_SPECS } from './build-tools';
import { CLOUD_SPECS } from './cloud';
import { CONTAINER_SPECS } from './containers';
import { DATABASE_CLIENT_SPECS } from './database-clients';
import { GH_SPEC } from './gh';
import { GIT_SPEC } from './git';
import { FD_SPEC, FIND_SPEC } from './finders';
import { FTP_SPEC, HTTP_CLIENT_SPEC } from './http-clients';
import { interpreterSpec } from './interpreters';
import { PACKAGE_MANAGER_SPECS } from './package-managers';
import { SUDO_SPEC } from './privilege';
import { MULTI_CALL_SPEC, SOURCE_SPEC } from './shell-like';
import type { Field } from '../shell-words';
import { SHELL_PROGRAMS } from '../shells';
import type { ProgramEffects, ProgramSpec } from './spec';

/** Every program spec, by name. A name declared twice is a build error, not a silent override. */
const SPECS: ReadonlyMap<string, ProgramSpec> = (() => {
  const byName = new Map<string, ProgramSpec>();
  for (const spec of [
    ...PACKAGE_MANAGER_SPECS,
    ...BUILD_TOOL_SPECS,
    ...CONTAINER_SPECS,
    ...CLOUD_SPECS,
    ...DATABASE_CLIENT_SPECS,
    GH_SPEC,
    GIT_SPEC,
    SUDO_SPEC,
    HTTP_CLIENT_SPEC,
    FTP_SPEC,
    ...FILE_TOOL_SPECS,
    FIND_SPEC,
    FD_SPEC,
    SOURCE_SPEC,
    MULTI_CALL_SPEC,
  ])
    for (const name of spec.names) {
      if (byName.has(name)) throw new Error(`two program specs describe ${name}`);
      byName.set(name, spec);
    }
  return byName;
})();

export function programSpec(program: string): ProgramSpec | undefined {
  return SPECS.get(program);
}

/** The files and commands a program's arguments name, or null for a program not described here. */
export function programEffects(program: string, args: readonly Field[]): ProgramEffects | null {
  return programSpec(program)?.effects?.(args, program) ?? null;
}

/** The program's reader accounts for every argument that names a file (the rest stay tainted otherwise). */
export function describesEveryFile(program: string): boolean {
  const spec = programSpec(program);
  return spec?.effects !== undefined && spec.partialEffects !== true;
}

/** It takes its code as a shell does, from `-c`, a file operand or standard input: a shell, or `source`. */
export function takesShellCode(program: string): boolean {
  return SHELL_PROGRAMS.has(program) || programSpec(program)?.shellCode === true;
}

/** Programs with a spec here (the catalog checks no other table describes them too). */
export function specPrograms(): readonly string[] {
  return [...SPECS.keys()];
}

/**
 * Files a build or test tool runs from its directory without naming them (`make` runs the
 * Makefile, `npm install` the lifecycle scripts), and the options that name that directory.
 */
export function implicitRuns(
  program: string,
  words: readonly string[],
): { files: readonly string[]; directoryOptions: readonly string[] } {
  const spec = programSpec(program) ?? interpreterSpec(program);
  return { files: spec?.implicitlyRuns?.(words) ?? [], directoryOptions: spec?.directoryOptions ?? [] };
}

/** A version at the end of a program's name: `node22`, `python3.12`, `gcc-12`, `perl5.36`. */
const VERSION_SUFFIX = /[.-]?\d+$/;

/**
 * The program a versioned spelling names (`python3.12` → `python3`, `perl5.36` → `perl`,
 * `node22` → `node`): the version is taken off one part at a time until a known name is left.
 * Null when no known program is left (`frobnicate2`, `7z`). The one rule by which the
 * normalizer, the matcher and the interpreter specs read a versioned name (names.ts).
 */
export function versionedProgram(name: string, known: (name: string) => boolean): string | null {
  let base = name;
  while (VERSION_SUFFIX.test(base)) {
    base = base.replace(VERSION_SUFFIX, '');
    if (base !== '' && known(base)) return base;
  }
  return null;
}

import { type OptionGrammar, hasOption, optionValues, scanArguments } from './command-options';
import type { Field } from './shell-words';

/**
 * `git apply` and `git am` write the files their patch names, so a patch that creates
 * `.github/workflows/x.yml` or `.claude/settings.json` is judged as that write. What a patch
 * names is read from the patch itself when it is a small file or text on standard input;
 * otherwise (a patch from a pipe, one too large to read whole) it may write anything under
 * the directory it applies to.
 */
export interface PatchApplication {
  /** The patch files (empty: the patch comes on standard input). */
  sources: Field[];
  /** `-p<n>`: leading path components removed from the names in the patch (git's default is 1). */
  strip: number;
  /** `--directory=<dir>`: prepended to every name. */
  directory: string | null;
}

const NO_WRITE_OPTIONS = ['--stat', '--numstat', '--summary', '--check'];
const AM_NO_WRITE = ['--abort', '--quit', '--show-current-patch'];
/** The options of git apply and git am that take a value; git takes any unambiguous prefix of a long one. */
const PATCH_GRAMMAR: OptionGrammar = {
  values: [
    '-p',
    '-C',
    '--exclude',
    '--include',
    '--whitespace',
    '--build-fake-ancestor',
    '--directory',
    '--patch-format',
  ],
  abbreviations: true,
};

/** What `git apply|am ARGS` applies, or null when it writes nothing (`--check`, `--stat`, `--abort`). */
export function readPatchApplication(subcommand: string, args: readonly Field[]): PatchApplication | null {
  if (subcommand !== 'apply' && subcommand !== 'am') return null;
  const scanned = scanArguments(args, PATCH_GRAMMAR);
  if (subcommand === 'am' && hasOption(scanned, ...AM_NO_WRITE)) return null;
  if (subcommand === 'apply' && hasOption(scanned, ...NO_WRITE_OPTIONS) && !hasOption(scanned, '--apply')) return null;
  const strip = optionValues(scanned, '-p').at(-1)?.text;
  const directory = optionValues(scanned, '--directory').at(-1)?.text;
  return {
    sources: scanned.operands.filter((field) => field.text !== '-'),
    strip: strip !== undefined && /^\d+$/.test(strip) ? Number(strip) : 1,
    directory: directory === undefined ? null : directory.replace(/\/+$/, ''),
  };
}

/**
 * The files a unified or git diff writes (created, changed, deleted, renamed to), with `strip`
 * leading components removed as git does. Null when they cannot all be named: no file header,
 * a quoted name, a name with fewer components than `strip`.
 */
export function patchTargets(text: string, strip: number): string[] | null {
  const targets = new Set<string>();
  const name = (raw: string, stripped: boolean): boolean => {
    const value = raw.split('\t')[0]?.trimEnd() ?? '';
    if (value === '/dev/null') return true;
    if (value === '' || value.startsWith('"')) return false;
    const parts = value.split('/');
    const keep = stripped ? parts.slice(strip) : parts;
    if (keep.length === 0 || keep.join('') === '') return false;
    targets.add(keep.join('/'));
    return true;
  };
  let headers = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    let ok = true;
    if (line.startsWith('diff --git ')) {
      headers++;
      // `diff --git a/x b/x`: the two names, split where the second prefix starts.
      const rest = line.slice(11);
      const split = rest.indexOf(' b/');
      if (rest.startsWith('"') || split === -1 || rest.indexOf(' b/', split + 1) !== -1) return null;
      ok = name(rest.slice(0, split), true) && name(rest.slice(split + 1), true);
    } else if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      // A file header is the pair; a lone `--- …` is a removed line that began with `-- `.
      headers++;
      ok = name(line.slice(4), true) && name((lines[++i] as string).slice(4), true);
    } else if (/^(rename|copy) (from|to) /.test(line)) {
      ok = name(line.replace(/^(rename|copy) (from|to) /, ''), false);
    }
    if (!ok) return null;
  }
  return headers > 0 && targets.size > 0 ? [...targets] : null;
}

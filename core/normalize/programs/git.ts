import { GIT_GLOBAL_FLAGS, GIT_GLOBAL_VALUES } from '../git';
import type { Field } from '../shell-words';
import { urlName } from './downloads';
import type { ProgramSpec } from './spec';

/** `git clone`'s options that take the next word as their value. */
const CLONE_VALUES: ReadonlySet<string> = new Set([
  '--depth',
  '-b',
  '--branch',
  '-o',
  '--origin',
  '--reference',
  '--reference-if-able',
  '-c',
  '--config',
  '--template',
  '--separate-git-dir',
  '--filter',
  '-j',
  '--jobs',
  '--shallow-since',
  '--shallow-exclude',
  '-u',
  '--upload-pack',
  '--server-option',
  '--bundle-uri',
]);

/** `git clone URL [dir]`: the repository lands in dir, or in a directory named after the URL. */
function cloneDownloads(args: readonly Field[]): string[] {
  const index = args.findIndex((field) => field.text === 'clone');
  if (index === -1) return [];
  const operands: string[] = [];
  const rest = args.slice(index + 1);
  for (let i = 0; i < rest.length; i++) {
    const text = (rest[i] as Field).text;
    if (CLONE_VALUES.has(text)) i++;
    else if (!text.startsWith('-')) operands.push(text);
  }
  const [url, directory] = operands;
  if (directory) return [directory];
  const name = url ? urlName(url)?.replace(/\.git$/, '') : null;
  return name ? [name] : [];
}

/**
 * git: its global options (`git -C dir -c k=v push`) as the command matcher skips them. What
 * its subcommands read, write, run and push is read by ../git.ts from the same global options.
 */
export const GIT_SPEC: ProgramSpec = {
  names: ['git'],
  options: { values: [...GIT_GLOBAL_VALUES], flags: [...GIT_GLOBAL_FLAGS] },
  // `git clone URL dir` downloads a repository whose hooks and scripts may be run next.
  effects: (args) => ({ files: [], scripts: [], problems: [], downloads: cloneDownloads(args) }),
  partialEffects: true,
  // Its arguments are read by ../git.ts: paths, revisions, remotes, config.
  untainted: true,
};

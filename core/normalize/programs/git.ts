import { GIT_GLOBAL_FLAGS, GIT_GLOBAL_VALUES } from '../git';
import { cloneDownloads } from './downloads';
import type { ProgramSpec } from './spec';

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

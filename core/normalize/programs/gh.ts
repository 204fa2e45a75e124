import { ghDownloads } from './downloads';
import type { ProgramSpec, Reader } from './spec';

/**
 * `gh gist create FILE…`, `gh release upload|create TAG FILE…`: the files are read and published;
 * `gh release download` downloads into the directory.
 */
const published: Reader = (args) => {
  const words = args.filter((field) => !field.text.startsWith('-'));
  const verbs = words.map((field) => field.text);
  if (
    (verbs[0] === 'gist' && verbs[1] === 'create') ||
    (verbs[0] === 'release' && (verbs[1] === 'upload' || verbs[1] === 'create'))
  ) {
    const files = words.slice(verbs[0] === 'gist' ? 2 : 3).filter((field) => field.text !== '-');
    return { files: files.map((field) => ({ field, access: 'read' as const })), scripts: [], problems: [] };
  }
  return { files: [], scripts: [], problems: [], downloads: ghDownloads(args) };
};

export const GH_SPEC: ProgramSpec = {
  names: ['gh'],
  options: { values: ['-R', '--repo', '--hostname'], flags: [] },
  effects: published,
  partialEffects: true,
  fetches: true,
};

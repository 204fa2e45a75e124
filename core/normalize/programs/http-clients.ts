import { outputOptionDownloads } from './downloads';
import type { ProgramSpec } from './spec';

/**
 * Download clients without a reader of their own: where `-o`/`--output` puts what they fetch.
 * Their other arguments stay tainted (taint.ts).
 */
export const HTTP_CLIENT_SPEC: ProgramSpec = {
  names: ['aria2c', 'fetch', 'http', 'xh'],
  effects: (args) => ({ files: [], scripts: [], problems: [], downloads: outputOptionDownloads(args) }),
  partialEffects: true,
  fetches: true,
};

/** ftp: what it gets may be written to its standard output (`get file -`), as curl's is. */
export const FTP_SPEC: ProgramSpec = { names: ['ftp'], fetches: true };

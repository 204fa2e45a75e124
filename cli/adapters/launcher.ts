import path from 'node:path';

/** The launcher `npx cavra` runs, next to this bundle (dist/cli) or this source (cli/…). */
export const launcherPath = (): string => path.resolve(__dirname, '..', '..', 'bin', 'cavra.cjs');

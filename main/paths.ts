import path from 'node:path';

/**
 * The build output directory. The bundled main runs from `dist/main`; under tests the source
 * runs from `main/`, and the built renderer, preload and core worker are still in `dist/`.
 */
export function distDir(here: string = __dirname): string {
  return path.basename(here) === 'main' && path.basename(path.dirname(here)) === 'dist'
    ? path.dirname(here)
    : path.resolve(here, '..', 'dist');
}

// Where the Electron binary is, without triggering the `electron` package's on-demand
// download (which cannot reach its server on these machines). Null when it is missing.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export function electronBinary() {
  let packageDir;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const full = override
    ? path.join(override, relative || 'electron')
    : relative
      ? path.join(packageDir, 'dist', relative)
      : null;
  return full && fs.existsSync(full) ? full : null;
}

export function electronVersion() {
  return createRequire(import.meta.url)('electron/package.json').version;
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The judging code's own folders, hashed when running from source (tests, tsx). */
const JUDGING_SOURCES = ['normalize', 'policy', 'contract'];
/** Libraries whose behaviour changes what a pack's tests decide: the shell parser and the YAML reader. */
const JUDGING_LIBRARIES = ['mvdan-sh', 'yaml'];

let memo: string | null | undefined;

/**
 * Identifies the code that judges actions, so a pack's test results are reused only by the
 * same code: the running bundle's bytes (or the judging source folders when running from
 * source) and the versions of the libraries that parse shell text and packs. Null when the
 * running code cannot be read: then nothing is reused.
 */
export function engineFingerprint(): string | null {
  if (memo !== undefined) return memo;
  memo = compute(typeof __filename === 'string' ? __filename : null);
  return memo;
}

function compute(file: string | null): string | null {
  if (file === null) return null;
  const hash = crypto.createHash('sha256');
  try {
    if (/\.[cm]?js$/.test(file)) {
      hash.update(fs.readFileSync(file));
    } else {
      const core = path.resolve(path.dirname(file), '..');
      for (const folder of JUDGING_SOURCES) hashSources(hash, path.join(core, folder));
    }
    const require = createRequire(file);
    for (const library of JUDGING_LIBRARIES) {
      const manifest = JSON.parse(fs.readFileSync(require.resolve(`${library}/package.json`), 'utf8')) as {
        version?: unknown;
      };
      hash.update(`\0${library}@${String(manifest.version)}`);
    }
  } catch {
    return null;
  }
  return hash.digest('hex').slice(0, 32);
}

function hashSources(hash: crypto.Hash, directory: string): void {
  const entries = fs.readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) hashSources(hash, full);
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      hash.update(`\0${entry.name}\0`);
      hash.update(fs.readFileSync(full));
    }
  }
}

// Prints the built-in packs parsed and validated, keyed by the SHA-256 of their text, as JSON
// for scripts/build.mjs to put into the bundles (core/policy/preparsed.ts reads them). A pack
// that does not load fails the build: a shipped pack must load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadPack } from '../core/policy';

const dir = path.resolve(import.meta.dirname, '..', 'policy-packs');
const out: Record<string, unknown> = {};
for (const name of fs
  .readdirSync(dir)
  .filter((file) => file.endsWith('.yaml'))
  .sort()) {
  const loaded = loadPack(fs.readFileSync(path.join(dir, name), 'utf8'), name, os.homedir());
  // Only what survives JSON may be built in: a value JSON would change is refused here.
  const json = JSON.parse(JSON.stringify(loaded.document)) as unknown;
  if (!isDeepStrictEqual(json, stripUndefined(loaded.document)))
    throw new Error(`${name}: its parsed document does not survive JSON`);
  out[loaded.sha256] = json;
}
process.stdout.write(JSON.stringify(out));

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, stripUndefined(v)]),
    );
  }
  return value;
}

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Loads a Node-API addon that `scripts/build.mjs` builds (`native/<name>/build/Release/<file>`),
 * found by walking up from this code: bundled code is CommonJS (`__dirname` under dist/), tests
 * run the sources as ESM from the repository root. Null when it is not built; throws when it is
 * there but does not load.
 */
export function loadNativeAddon(name: string, file: string): unknown {
  const start = typeof __dirname === 'string' ? __dirname : process.cwd();
  const load = createRequire(path.join(start, 'native-addon.js'));
  for (let dir = start, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'native', name, 'build', 'Release', file);
    if (fs.existsSync(candidate)) return load(candidate) as unknown;
  }
  return null;
}

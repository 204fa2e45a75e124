import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | null = null;

/**
 * The YAML library, loaded on the first pack text that needs parsing. The built-in packs come
 * pre-parsed with the build (preparsed.ts), so a `cavra evaluate` never parses YAML, and
 * loading the library cost every such process more CPU than judging its action. Synchronous,
 * because loading a pack is; in the CommonJS bundle `__filename` is the bundle, under tsx and
 * vitest the module's URL.
 */
export function yamlLibrary(): typeof Yaml {
  loaded ??= createRequire(typeof __filename === 'string' ? __filename : import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}

// Builds every shell without the Electron binary: esbuild for the CLI, main and preload,
// Vite for the renderer (production bundle, and the browser-mode bundle with the bridge).
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const wants = (name) => only.length === 0 || only.includes(name);
const started = Date.now();

// A demo build trusts the demo license key as well as the vendor's (core/license): the
// default for development, tests and air-gapped demos; the release build says `production`.
const channel = process.env.CAVRA_BUILD_CHANNEL ?? 'demo';
if (channel !== 'demo' && channel !== 'production') {
  throw new Error(`CAVRA_BUILD_CHANNEL must be "demo" or "production", not "${channel}"`);
}

/**
 * The built-in packs parsed and validated once here, keyed by the SHA-256 of their text
 * (core/policy/preparsed.ts): a `cavra` process then skips YAML parsing and validation of a
 * pack file whose text is exactly this; any other text is read in full as always.
 */
function preparsedPacks() {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'preparse-packs.ts')], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`pre-parsing the built-in packs failed:\n${result.stderr}`);
  return result.stdout;
}
const packs = wants('cli') || wants('main') ? preparsedPacks() : '{}';

const node = {
  define: { __CAVRA_BUILD_CHANNEL__: JSON.stringify(channel), __CAVRA_PREPARSED_PACKS__: packs },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // `typeof __filename === 'string' ? __filename : import.meta.url` (a lazy require that works
  // both bundled and under tsx) reads import.meta only where the bundle never runs it.
  logOverride: { 'empty-import-meta': 'silent' },
  absWorkingDir: root,
  // Runtime dependencies stay in node_modules (native addons cannot be bundled).
  packages: 'external',
};

const steps = [];

/**
 * The Node-API addons (one build serves Node and Electron): native/peer-cred, the gate's
 * SO_PEERCRED, and native/tree-watch, the inotify queue that lets the normalizer reuse a walk
 * without stat-ing every directory of it. Built with the node-gyp that ships with npm against
 * the headers installed with Node; rebuilt only when the source is newer. Linux only: elsewhere
 * the gate refuses socket peers it cannot identify and the walk cache stats directories.
 */
function buildAddon(name, target) {
  const dir = path.join(root, 'native', name);
  const out = path.join(dir, 'build', 'Release', `${target}.node`);
  const source = path.join(dir, `${target}.c`);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(source).mtimeMs) return;
  const gyp = [
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    process.env.npm_execpath &&
      path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find((candidate) => candidate && fs.existsSync(candidate));
  if (!gyp) throw new Error(`node-gyp (shipped with npm) was not found; it builds native/${name}`);
  const headers = path.resolve(path.dirname(process.execPath), '..');
  const nodedir = fs.existsSync(path.join(headers, 'include', 'node', 'node_api.h')) ? [`--nodedir=${headers}`] : [];
  const result = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedir], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`building native/${name} failed:\n${result.stdout}\n${result.stderr}`);
  }
}
if (process.platform === 'linux' && (wants('cli') || wants('main'))) {
  steps.push(['peer-cred', () => buildAddon('peer-cred', 'peer_cred')]);
  steps.push(['tree-watch', () => buildAddon('tree-watch', 'tree_watch')]);
}
if (wants('cli')) {
  steps.push([
    'cli',
    () =>
      build({ ...node, entryPoints: { cavra: 'cli/cavra.ts' }, outdir: 'dist/cli', outExtension: { '.js': '.cjs' } }),
  ]);
  // The Claude Code hook, `exec` and `git pre-push` run on every tool call, command or push:
  // their own small bundles, Node built-ins only.
  steps.push([
    'hook',
    () =>
      build({
        ...node,
        entryPoints: { 'hook-claude-code': 'cli/hook/main.ts', adapters: 'cli/adapters/main.ts' },
        outdir: 'dist/cli',
        outExtension: { '.js': '.cjs' },
      }),
  ]);
}
if (wants('cli') || wants('main')) {
  // The core's worker thread, shared by the desktop app and browser mode.
  steps.push([
    'core-worker',
    () =>
      build({
        ...node,
        entryPoints: { 'core-worker': 'core/service/worker-entry.ts' },
        outdir: 'dist/core',
        outExtension: { '.js': '.cjs' },
      }),
  ]);
}
if (wants('main')) {
  steps.push([
    'main',
    () =>
      build({
        ...node,
        entryPoints: { main: 'main/index.ts' },
        outdir: 'dist/main',
        outExtension: { '.js': '.cjs' },
        external: ['electron'],
      }),
  ]);
}
if (wants('preload')) {
  // Sandboxed preloads may require only a few modules, so everything but electron is bundled.
  steps.push([
    'preload',
    () =>
      build({
        ...node,
        packages: undefined,
        entryPoints: { preload: 'preload/index.ts' },
        outdir: 'dist/preload',
        outExtension: { '.js': '.cjs' },
        external: ['electron'],
      }),
  ]);
}
if (wants('renderer')) {
  steps.push([
    'renderer',
    () => viteBuild({ configFile: path.join(root, 'vite.config.ts'), mode: 'production', logLevel: 'warn' }),
  ]);
  steps.push([
    'renderer-bridge',
    () => viteBuild({ configFile: path.join(root, 'vite.config.ts'), mode: 'bridge', logLevel: 'warn' }),
  ]);
}

for (const [name, run] of steps) {
  const t = Date.now();
  await run();
  process.stdout.write(`built ${name} in ${Date.now() - t} ms\n`);
}
fs.writeFileSync(path.join(root, 'dist', 'BUILD'), `${new Date().toISOString()}\n`);
process.stdout.write(`build finished in ${Date.now() - started} ms\n`);

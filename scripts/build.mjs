// Builds every shell without the Electron binary: esbuild for the CLI, main and preload,
// Vite for the renderer (production bundle, and the browser-mode bundle with the bridge).
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

const node = {
  define: { __CAVRA_BUILD_CHANNEL__: JSON.stringify(channel) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
  // Runtime dependencies stay in node_modules (native addons cannot be bundled).
  packages: 'external',
};

const steps = [];
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

import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// Two renderer bundles: `production` (loaded by Electron over app://, talks to the preload)
// and `bridge` (browser mode for this machine and tests; never shipped in the app).
export default defineConfig(({ mode }) => {
  const bridge = mode === 'bridge';
  return {
    root: path.resolve(here, bridge ? 'renderer/bridge' : 'renderer'),
    base: './',
    publicDir: false,
    plugins: [react()],
    build: {
      outDir: path.resolve(here, bridge ? 'dist/renderer-bridge' : 'dist/renderer'),
      emptyOutDir: true,
      sourcemap: true,
      target: 'chrome130',
      modulePreload: { polyfill: false },
      // The charting library (AISPM trends) is its own chunk, loaded with that screen only.
      chunkSizeWarningLimit: 600,
    },
  };
});

// Release build: the only place native modules are rebuilt for Electron's ABI.
// Needs the Electron binary and signing credentials (see README "Releasing").
import { execFileSync } from 'node:child_process';

const run = (command, args, env = {}) =>
  execFileSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
// A release trusts only the vendor's license key: never the demo key tests sign with.
run(process.execPath, ['scripts/build.mjs'], { CAVRA_BUILD_CHANNEL: 'production' });
run('npx', ['electron-builder', 'install-app-deps']);
run('npx', ['electron-builder', '--config', 'electron-builder.yml', '--publish', 'never', ...process.argv.slice(2)]);

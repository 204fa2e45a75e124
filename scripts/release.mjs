// Release build: the only place native modules are rebuilt for Electron's ABI.
// Needs the Electron binary and signing credentials (see README "Releasing").
import { execFileSync } from 'node:child_process';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' });
run(process.execPath, ['scripts/build.mjs']);
run('npx', ['electron-builder', 'install-app-deps']);
run('npx', ['electron-builder', '--config', 'electron-builder.yml', '--publish', 'never', ...process.argv.slice(2)]);

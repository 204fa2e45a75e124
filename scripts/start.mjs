// `npm start`: build, then launch the desktop console. When the Electron binary is missing
// (it cannot be downloaded on some machines) say so and point at browser mode.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary, electronVersion } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = electronBinary();

if (!binary) {
  process.stderr.write(
    [
      '',
      'The Electron binary is not installed on this machine, so the desktop console cannot start.',
      `(electron@${electronVersion()} is installed without its binary: it could not be downloaded here.)`,
      '',
      'Run the same console in your browser instead:',
      '',
      '    npm run start:browser',
      '',
      'It serves the console on 127.0.0.1 and prints a private link to open.',
      'To get the desktop app, install Electron where its download is reachable (npx electron --version).',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
const child = spawn(binary, [root], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));

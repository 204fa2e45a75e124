import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Builds the Node bundles once per test run: tests spawn the real CLI and start the real
// core worker, exactly as a user's shell would.
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: root, stdio: 'pipe' });
}

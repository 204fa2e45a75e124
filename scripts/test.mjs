// `npm test`: every tier on a fresh clone, then one closing line `N passed, N failed`.
// Tiers: build, type checks, lint, vitest (unit, contract conformance over every transport,
// integration), Playwright (browser tier; Electron tier skips without the binary).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, 'test-results');
const keyringWrapper = path.join(root, 'scripts', 'with-keyring.sh');

// Keychain tests need a real Secret Service. Run them against a private, throwaway
// gnome-keyring on its own D-Bus session (never the developer's login keyring) whenever the
// tools are installed; .ci/run installs them.
const hasTool = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
if (
  process.platform === 'linux' &&
  !process.env.CAVRA_TEST_IN_KEYRING &&
  fs.existsSync(keyringWrapper) &&
  hasTool('dbus-run-session') &&
  hasTool('gnome-keyring-daemon')
) {
  const inner = spawnSync(
    'bash',
    [keyringWrapper, process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, CAVRA_TEST_IN_KEYRING: '1' },
    },
  );
  process.exit(inner.status ?? 1);
}

fs.mkdirSync(results, { recursive: true });
const tally = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

function run(label, command, args, env = {}) {
  process.stdout.write(`\n━━ ${label} ━━\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { ok: result.status === 0, seconds };
}

/** A step that is one check: build, a type check, lint. */
function check(label, command, args) {
  const { ok, seconds } = run(label, command, args);
  tally[ok ? 'passed' : 'failed'] += 1;
  lines.push(`${label}: ${ok ? 'passed' : 'FAILED'} (${seconds} s)`);
  return ok;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const npx = (bin) => path.join(root, 'node_modules', '.bin', bin);
const built = check('build', process.execPath, ['scripts/build.mjs']);
check('typecheck (core, cli, main, preload, tests)', npx('tsc'), ['-p', 'tsconfig.json']);
check('typecheck (renderer)', npx('tsc'), ['-p', 'tsconfig.renderer.json']);
check('lint (zero warnings)', npx('eslint'), ['.', '--max-warnings', '0']);
check('format (Prettier)', npx('prettier'), ['--check', '.', '--log-level', 'warn']);

const vitestFile = path.join(results, 'vitest.json');
fs.rmSync(vitestFile, { force: true });
const vitest = run('vitest: unit, contract conformance, integration', npx('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestFile}`,
]);
const v = readJson(vitestFile);
if (v) {
  tally.passed += v.numPassedTests;
  tally.failed += v.numFailedTests + (v.numFailedTestSuites > 0 && v.numFailedTests === 0 ? v.numFailedTestSuites : 0);
  tally.skipped += v.numPendingTests + v.numTodoTests;
  lines.push(
    `vitest: ${v.numPassedTests} passed, ${v.numFailedTests} failed, ${v.numPendingTests} skipped (${vitest.seconds} s)`,
  );
} else {
  tally.failed += 1;
  lines.push(`vitest: no report (exit ${vitest.ok ? 0 : 'non-zero'})`);
}

const playwrightFile = path.join(results, 'playwright.json');
fs.rmSync(playwrightFile, { force: true });
if (built) {
  const playwright = run(
    'playwright: browser tier (system Chromium) and Electron tier',
    npx('playwright'),
    ['test', '--reporter=list,json'],
    {
      PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightFile,
    },
  );
  const p = readJson(playwrightFile);
  if (p?.stats) {
    const { expected, unexpected, flaky, skipped } = p.stats;
    tally.passed += expected + flaky;
    tally.failed += unexpected + (p.errors?.length ?? 0);
    tally.skipped += skipped;
    lines.push(
      `playwright: ${expected + flaky} passed, ${unexpected} failed, ${skipped} skipped (${playwright.seconds} s)`,
    );
  } else {
    tally.failed += 1;
    lines.push('playwright: no report');
  }
} else {
  tally.failed += 1;
  lines.push('playwright: not run (build failed)');
}

process.stdout.write(`\n━━ summary ━━\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
if (tally.skipped > 0) process.stdout.write(`  ${tally.skipped} skipped (see the tier lines above for why)\n`);
process.stdout.write(`${tally.passed} passed, ${tally.failed} failed\n`);
process.exitCode = tally.failed === 0 ? 0 : 1;

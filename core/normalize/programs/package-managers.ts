import type { ProgramSpec } from './spec';

/**
 * Package managers and package runners: their own options, the subcommands that run a
 * command (`npm exec`, `uv run`), where the packages they fetch come from, and the files an
 * install runs without naming them (lifecycle scripts, setup.py).
 */

/** Options whose value says where a package comes from: a value off the registry is judged. */
const PACKAGE_SOURCES: readonly string[] = [
  '--with',
  '--from',
  '--spec',
  '-p',
  '--package',
  '--with-requirements',
  '--with-editable',
  '--index',
  '--default-index',
  '--index-url',
  '--extra-index-url',
  '--registry',
];

/**
 * Operands of `install`/`add` that name a local directory (`./x`, `../x`, `/abs/x`, `file:x`),
 * not a registry package: installing one runs that directory's build or lifecycle scripts.
 */
function localPackages(words: readonly string[]): string[] {
  const at = words.findIndex((word) => word === 'install' || word === 'i' || word === 'add');
  if (at === -1) return [];
  return words
    .slice(at + 1)
    .filter((word) => !word.startsWith('-'))
    .map((word) => word.replace(/^file:/, ''))
    .filter((word) => /^(\.{1,2}(\/|$)|\/)/.test(word))
    .map((word) => word.replace(/\/+$/, '') || '/');
}

/** `npm install ./x` runs the lifecycle scripts of the package in ./x as well. */
export const nodePackageScripts = (words: readonly string[]): string[] => [
  'package.json',
  '.npmrc',
  'node_modules',
  ...localPackages(words).map((dir) => `${dir}/package.json`),
];

/** `pip install ./x` (or `-e x`) builds the project in x: its setup.py runs. */
const pythonPackageScripts = (words: readonly string[]): string[] => {
  const local = localPackages(words);
  return [
    ...(words.includes('-e') || words.includes('.') ? ['setup.py', 'pyproject.toml'] : []),
    ...local.filter((dir) => dir !== '.').flatMap((dir) => [`${dir}/setup.py`, `${dir}/pyproject.toml`]),
  ];
};

const NPM: ProgramSpec = {
  names: ['npm'],
  options: {
    values: [
      '--prefix',
      '-C',
      '-w',
      '--workspace',
      '--loglevel',
      '--registry',
      '--userconfig',
      '--globalconfig',
      '--cache',
      '--include',
      '--omit',
      '--tag',
      '--otp',
    ],
    flags: [
      '-s',
      '--silent',
      '-g',
      '--global',
      '-y',
      '--yes',
      '--no-audit',
      '--no-fund',
      '-ws',
      '--workspaces',
      '--include-workspace-root',
      '--offline',
      '--prefer-offline',
      '-D',
      '--save-dev',
      '-E',
      '--save-exact',
    ],
  },
  runsAfter: {
    subcommands: ['exec', 'x'],
    grammar: {
      values: ['-p', '--package', '-w', '--workspace'],
      flags: ['-y', '--yes', '--no', '-ws', '--workspaces'],
    },
  },
  packageSources: PACKAGE_SOURCES,
  implicitlyRuns: nodePackageScripts,
  directoryOptions: ['--prefix', '-C'],
};

const PNPM: ProgramSpec = {
  names: ['pnpm'],
  options: {
    values: ['-C', '--dir', '--filter', '-F', '--workspace-dir', '--loglevel', '--reporter', '--registry'],
    flags: ['-r', '--recursive', '-w', '--workspace-root', '-s', '--silent', '--offline', '--frozen-lockfile'],
  },
  runsAfter: {
    subcommands: ['exec', 'dlx'],
    grammar: {
      values: ['-p', '--package', '--filter', '-F', '-C', '--dir'],
      flags: ['-r', '--recursive', '--parallel', '-c', '--shell-mode', '-s', '--silent'],
    },
  },
  packageSources: PACKAGE_SOURCES,
  implicitlyRuns: nodePackageScripts,
  directoryOptions: ['-C', '--dir'],
};

const YARN: ProgramSpec = {
  names: ['yarn'],
  options: {
    values: ['--cwd', '--registry', '--cache-folder', '--modules-folder'],
    flags: ['-s', '--silent', '--frozen-lockfile', '--immutable', '--offline'],
  },
  runsAfter: { subcommands: ['exec', 'dlx'], grammar: { values: ['-p', '--package'], flags: ['-q', '--quiet'] } },
  packageSources: PACKAGE_SOURCES,
  implicitlyRuns: nodePackageScripts,
  directoryOptions: ['--cwd'],
};

const UV: ProgramSpec = {
  names: ['uv'],
  options: {
    values: ['--directory', '--project', '--python', '-p', '--cache-dir', '--config-file', '--color'],
    flags: ['-q', '--quiet', '-v', '--verbose', '--offline', '--no-cache', '--frozen', '--locked', '--native-tls'],
  },
  runsAfter: {
    subcommands: ['run'],
    grammar: {
      values: [
        '--with',
        '--python',
        '-p',
        '--project',
        '--directory',
        '--package',
        '--extra',
        '--group',
        '--env-file',
        '--with-requirements',
        '--index',
        '--default-index',
      ],
      flags: [
        '--no-project',
        '--isolated',
        '--frozen',
        '--locked',
        '--no-sync',
        '-q',
        '--quiet',
        '-v',
        '--verbose',
        '--all-extras',
        '--no-dev',
        '--offline',
        '-m',
        '--module',
        '--script',
      ],
    },
  },
  packageSources: PACKAGE_SOURCES,
};

const POETRY: ProgramSpec = {
  names: ['poetry'],
  options: {
    values: ['-C', '--directory', '-P', '--project'],
    flags: ['-q', '--quiet', '-v', '--verbose', '-n', '--no-interaction', '--no-ansi', '--ansi'],
  },
  runsAfter: {
    subcommands: ['run'],
    grammar: {
      values: ['-C', '--directory', '-P', '--project'],
      flags: ['-q', '--quiet', '-v', '--verbose', '-n', '--no-interaction'],
    },
  },
  packageSources: PACKAGE_SOURCES,
};

const PIPENV: ProgramSpec = {
  names: ['pipenv'],
  runsAfter: { subcommands: ['run'], grammar: { values: [], flags: [] } },
  packageSources: PACKAGE_SOURCES,
};

const BUNDLE: ProgramSpec = {
  names: ['bundle'],
  runsAfter: { subcommands: ['exec'], grammar: { values: ['--gemfile'], flags: ['--keep-file-descriptors'] } },
  packageSources: PACKAGE_SOURCES,
  implicitlyRuns: () => ['Rakefile', 'Gemfile'],
};

const PIP: ProgramSpec = {
  names: ['pip'],
  options: {
    values: [
      '--index-url',
      '-i',
      '--extra-index-url',
      '--trusted-host',
      '-c',
      '--constraint',
      '--cache-dir',
      '--log',
      '--proxy',
      '--timeout',
    ],
    flags: [
      '-q',
      '--quiet',
      '-v',
      '--verbose',
      '--no-cache-dir',
      '--disable-pip-version-check',
      '--isolated',
      '--user',
      '--break-system-packages',
      '--require-virtualenv',
    ],
  },
  implicitlyRuns: pythonPackageScripts,
};

/**
 * `npx`, `bunx`, `pnpx`, `uvx`: the first word after the runner's options is a package it
 * fetches and runs; `-c`/`--call` take shell text.
 */
const PACKAGE_RUNNER_GRAMMAR = {
  values: [
    '-p',
    '--package',
    '--node-options',
    '--registry',
    '--cache',
    '--userconfig',
    '--from',
    '--with',
    '--python',
    '--spec',
  ],
  flags: [
    '-y',
    '--yes',
    '--no',
    '-q',
    '--quiet',
    '--ignore-existing',
    '--no-install',
    '--bun',
    '--silent',
    '--prefer-offline',
    '--offline',
    '--isolated',
  ],
};
const RUNNER_SCRIPT_OPTIONS = ['-c', '--call'];

const PYTHON_PACKAGE_RUNNER: ProgramSpec = {
  names: ['uvx'],
  options: {
    values: [...PACKAGE_RUNNER_GRAMMAR.values, ...RUNNER_SCRIPT_OPTIONS],
    flags: PACKAGE_RUNNER_GRAMMAR.flags,
  },
  wraps: { grammar: PACKAGE_RUNNER_GRAMMAR, scriptOptions: RUNNER_SCRIPT_OPTIONS },
  packageSources: PACKAGE_SOURCES,
  runsPackage: true,
};

/** npx, bunx and pnpx run the workspace's installed copy (node_modules/.bin) before fetching one. */
const NODE_PACKAGE_RUNNER: ProgramSpec = {
  ...PYTHON_PACKAGE_RUNNER,
  names: ['npx', 'bunx', 'pnpx'],
  implicitlyRuns: () => ['node_modules'],
};

export const PACKAGE_MANAGER_SPECS: readonly ProgramSpec[] = [
  NPM,
  PNPM,
  YARN,
  UV,
  POETRY,
  PIPENV,
  BUNDLE,
  PIP,
  { ...PIP, names: ['pip3'] },
  NODE_PACKAGE_RUNNER,
  PYTHON_PACKAGE_RUNNER,
];

import type { ProgramSpec } from './spec';

/**
 * Build and test tools: their own options before a target or subcommand, and the files they
 * run from their directory without naming them (the Makefile, build.rs, conftest.py).
 */

// `-j` and `--jobs` take an optional value, so they stay unknown: `make -j deploy` is not `make`.
const MAKE: ProgramSpec = {
  names: ['make', 'gmake'],
  options: {
    values: ['-C', '--directory', '-f', '--file', '--makefile', '-I', '--include-dir', '-o', '-W'],
    flags: [
      '-k',
      '-s',
      '--silent',
      '-n',
      '--dry-run',
      '-B',
      '-e',
      '-i',
      '--no-print-directory',
      '-w',
      '-q',
      '-r',
      '-R',
    ],
  },
  implicitlyRuns: () => ['Makefile', 'makefile', 'GNUmakefile'],
  directoryOptions: ['-C', '--directory'],
  runFileOptions: ['-f', '--file', '--makefile'],
};

const CARGO: ProgramSpec = {
  names: ['cargo'],
  options: {
    values: ['-C', '--config', '-Z', '--color'],
    flags: ['-q', '--quiet', '-v', '--verbose', '--offline', '--locked', '--frozen'],
    plusIsOption: true,
  },
  implicitlyRuns: () => ['Cargo.toml', 'build.rs', '.cargo'],
  directoryOptions: ['--manifest-path', '-C'],
};

const RUSTUP: ProgramSpec = {
  names: ['rustup'],
  options: { values: [], flags: ['-q', '--quiet', '-v', '--verbose'], plusIsOption: true },
};

const GO: ProgramSpec = {
  names: ['go'],
  options: { values: ['-C'], flags: [] },
  implicitlyRuns: (words) => {
    const sub = words.find((word) => !word.startsWith('-'));
    return sub === 'generate' || sub === 'run' || sub === 'test' || sub === 'build' ? ['go.mod'] : [];
  },
  directoryOptions: ['-C'],
};

const GRADLE: ProgramSpec = {
  names: ['gradle', 'gradlew'],
  options: {
    values: ['-p', '--project-dir', '-b', '--build-file', '-x', '--exclude-task', '-D'],
    flags: [
      '-q',
      '--quiet',
      '--info',
      '--debug',
      '--stacktrace',
      '--offline',
      '--no-daemon',
      '--daemon',
      '--parallel',
      '--console=plain',
    ],
  },
  implicitlyRuns: () => ['build.gradle', 'build.gradle.kts', 'settings.gradle', 'gradlew'],
  directoryOptions: ['-p', '--project-dir'],
};

const MVN: ProgramSpec = {
  names: ['mvn'],
  options: {
    values: [
      '-f',
      '--file',
      '-s',
      '--settings',
      '-P',
      '--activate-profiles',
      '-pl',
      '--projects',
      '-T',
      '--threads',
      '-D',
    ],
    flags: ['-q', '--quiet', '-B', '--batch-mode', '-o', '--offline', '-U', '-e', '-X', '-am', '-amd'],
  },
  implicitlyRuns: () => ['pom.xml', '.mvn'],
};

const DOTNET: ProgramSpec = {
  names: ['dotnet'],
  options: {
    values: ['-c', '--configuration', '-f', '--framework', '-r', '--runtime', '-v', '--verbosity'],
    flags: ['--nologo', '--no-restore', '--no-build'],
  },
};

const PYTEST: ProgramSpec = {
  names: ['pytest', 'py.test'],
  implicitlyRuns: () => ['conftest.py', 'pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini'],
  directoryOptions: ['--rootdir'],
};

const TOX: ProgramSpec = { names: ['tox', 'nox'], implicitlyRuns: () => ['tox.ini', 'noxfile.py'] };

const RAKE: ProgramSpec = { names: ['rake'], implicitlyRuns: () => ['Rakefile', 'Gemfile'] };

export const BUILD_TOOL_SPECS: readonly ProgramSpec[] = [
  MAKE,
  CARGO,
  RUSTUP,
  GO,
  GRADLE,
  MVN,
  DOTNET,
  PYTEST,
  TOX,
  RAKE,
];

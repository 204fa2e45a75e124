import { GIT_GLOBAL_FLAGS, GIT_GLOBAL_VALUES } from '../git';
import { PACKAGE_RUNNER_GRAMMAR, SUDO_GRAMMAR } from '../wrapper-grammars';
import { interpreterFamilies, interpreterFamily, interpreterSpec } from './interpreters';

/**
 * What the matcher knows about the options of common programs, so that options between
 * a program and its subcommand (`kubectl --context prod delete`, `git -C dir push`) do not
 * defeat a `commands` pattern. Options listed under `values` take the next word as their
 * value; `flags` take none. Anything else is an unknown option (see command-pattern.ts).
 */
export interface ProgramOptions {
  values: ReadonlySet<string>;
  flags: ReadonlySet<string>;
  /** `cargo +nightly build`: a leading `+word` is an option, not a subcommand. */
  plusIsOption?: boolean;
}

const table = (values: string[], flags: string[] = [], plusIsOption = false): ProgramOptions => ({
  values: new Set(values),
  flags: new Set(flags),
  plusIsOption,
});

const kubeValues = [
  '--context',
  '--cluster',
  '--user',
  '-n',
  '--namespace',
  '--kubeconfig',
  '-s',
  '--server',
  '--token',
  '--as',
  '--as-group',
  '--as-uid',
  '--request-timeout',
  '--certificate-authority',
  '--client-certificate',
  '--client-key',
  '--tls-server-name',
  '-v',
  '--v',
  '--cache-dir',
  '--profile',
];
const kubeFlags = ['--insecure-skip-tls-verify', '--match-server-version', '--warnings-as-errors'];
const terraform = table([], ['-help', '-version', '-no-color']);
const npm = table(
  ['--prefix', '-w', '--workspace', '--loglevel', '--registry', '--userconfig', '--cache'],
  [
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
);

// The runner's own grammar (wrapper-grammars.ts): `-c`/`--call` take shell text as their value.
const packageRunner = table(
  [...PACKAGE_RUNNER_GRAMMAR.values, ...PACKAGE_RUNNER_GRAMMAR.scriptOptions],
  [...PACKAGE_RUNNER_GRAMMAR.flags],
);

const programs: Record<string, ProgramOptions> = {
  git: table([...GIT_GLOBAL_VALUES], [...GIT_GLOBAL_FLAGS]),
  kubectl: table(kubeValues, kubeFlags),
  oc: table(kubeValues, kubeFlags),
  helm: table(
    [
      '--kube-context',
      '-n',
      '--namespace',
      '--kubeconfig',
      '--kube-apiserver',
      '--kube-token',
      '--kube-as-user',
      '--kube-as-group',
      '--kube-ca-file',
      '--registry-config',
      '--repository-config',
      '--repository-cache',
      '--burst-limit',
    ],
    ['--debug', '--kube-insecure-skip-tls-verify'],
  ),
  terraform,
  tofu: terraform,
  terragrunt: table(
    ['--terragrunt-working-dir', '--working-dir'],
    ['--terragrunt-non-interactive', '--non-interactive'],
  ),
  pulumi: table(
    ['-C', '--cwd', '-s', '--stack', '--color', '-v', '--verbose'],
    ['--non-interactive', '-y', '--yes', '--emoji'],
  ),
  aws: table(
    [
      '--profile',
      '--region',
      '--output',
      '--endpoint-url',
      '--query',
      '--cli-read-timeout',
      '--cli-connect-timeout',
      '--ca-bundle',
      '--color',
      '--cli-binary-format',
    ],
    [
      '--debug',
      '--no-verify-ssl',
      '--no-paginate',
      '--no-sign-request',
      '--no-cli-pager',
      '--cli-auto-prompt',
      '--no-cli-auto-prompt',
    ],
  ),
  gcloud: table(
    [
      '--project',
      '--account',
      '--configuration',
      '--verbosity',
      '--format',
      '--impersonate-service-account',
      '--billing-project',
      '--flags-file',
      '--flatten',
      '--trace-token',
    ],
    ['--quiet', '-q', '--log-http', '--user-output-enabled', '--no-user-output-enabled'],
  ),
  az: table(
    ['--subscription', '--output', '-o', '--query'],
    ['--debug', '--verbose', '--only-show-errors', '--yes', '-y'],
  ),
  docker: table(
    ['-H', '--host', '--context', '-c', '--config', '--log-level', '-l', '--tlscacert', '--tlscert', '--tlskey'],
    ['-D', '--debug', '--tls', '--tlsverify'],
  ),
  podman: table(['--connection', '-c', '--url', '--log-level', '--root', '--runroot'], ['--remote', '-r']),
  gh: table(['-R', '--repo', '--hostname'], []),
  glab: table(['-R', '--repo'], []),
  npm,
  pnpm: table(
    ['-C', '--dir', '--filter', '-F', '--workspace-dir', '--loglevel', '--reporter'],
    ['-r', '--recursive', '-w', '--workspace-root', '-s', '--silent', '--offline', '--frozen-lockfile'],
  ),
  yarn: table(['--cwd'], ['-s', '--silent', '--frozen-lockfile', '--immutable', '--offline']),
  npx: packageRunner,
  bunx: packageRunner,
  pnpx: packageRunner,
  uvx: packageRunner,
  pip: table(
    [
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
    [
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
  ),
  pip3: table(
    ['--index-url', '-i', '--extra-index-url', '--trusted-host', '--cache-dir', '--proxy'],
    ['-q', '--quiet', '-v', '--verbose', '--no-cache-dir', '--user', '--break-system-packages'],
  ),
  uv: table(
    ['--directory', '--project', '--python', '-p', '--cache-dir', '--config-file', '--color'],
    ['-q', '--quiet', '-v', '--verbose', '--offline', '--no-cache', '--frozen', '--locked', '--native-tls'],
  ),
  poetry: table(
    ['-C', '--directory', '-P', '--project'],
    ['-q', '--quiet', '-v', '--verbose', '-n', '--no-interaction', '--no-ansi', '--ansi'],
  ),
  cargo: table(
    ['-C', '--config', '-Z', '--color'],
    ['-q', '--quiet', '-v', '--verbose', '--offline', '--locked', '--frozen'],
    true,
  ),
  rustup: table([], ['-q', '--quiet', '-v', '--verbose'], true),
  go: table(['-C'], []),
  // `-j` and `--jobs` take an optional value, so they stay unknown: `make -j deploy` is not `make`.
  make: table(
    ['-C', '--directory', '-f', '--file', '--makefile', '-I', '--include-dir', '-o', '-W'],
    ['-k', '-s', '--silent', '-n', '--dry-run', '-B', '-e', '-i', '--no-print-directory', '-w', '-q', '-r', '-R'],
  ),
  gradle: table(
    ['-p', '--project-dir', '-b', '--build-file', '-x', '--exclude-task', '-D'],
    [
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
  ),
  mvn: table(
    ['-f', '--file', '-s', '--settings', '-P', '--activate-profiles', '-pl', '--projects', '-T', '--threads', '-D'],
    ['-q', '--quiet', '-B', '--batch-mode', '-o', '--offline', '-U', '-e', '-X', '-am', '-amd'],
  ),
  dotnet: table(
    ['-c', '--configuration', '-f', '--framework', '-r', '--runtime', '-v', '--verbosity'],
    ['--nologo', '--no-restore', '--no-build'],
  ),
  systemctl: table(
    ['-H', '--host', '-M', '--machine', '-t', '--type', '--state', '-p', '--property'],
    ['--user', '--system', '--global', '--now', '-q', '--quiet', '--no-block', '--no-pager', '--force', '-f'],
  ),
  sudo: table([...SUDO_GRAMMAR.values], [...SUDO_GRAMMAR.flags]),
  vault: table(['-address', '-namespace', '-format', '-field'], ['-tls-skip-verify']),
};

const universalFlags = new Set([
  '--help',
  '-h',
  '--version',
  '--verbose',
  '--quiet',
  '-q',
  '--debug',
  '--no-color',
  '-y',
  '--yes',
]);

type OptionKind = 'flag' | 'value' | 'unknown';

/** Whether `word` is an option for `program` (an argument starting with `-`, or `+` for cargo). */
export function isOptionWord(word: string, options: ProgramOptions | undefined): boolean {
  if (word.length < 2) return false;
  const first = word.charCodeAt(0);
  if (first === 45 /* - */) return word !== '--';
  return first === 43 /* + */ && options?.plusIsOption === true;
}

/** How an option word affects the words after it. */
export function optionKind(word: string, options: ProgramOptions | undefined): OptionKind {
  if (word.charCodeAt(0) === 43) return 'flag';
  if (word.includes('=')) return 'flag';
  // `-9`, `-j8`: a number is never the next word's business.
  if (/^-[A-Za-z]?\d+$/.test(word)) return 'flag';
  if (options) {
    if (options.values.has(word)) return 'value';
    if (options.flags.has(word)) return 'flag';
    // `-Cdir`, `-nprod`: a short option with its value attached.
    if (word.length > 2 && word[1] !== '-' && options.values.has(word.slice(0, 2))) return 'flag';
    // `-sq`: a cluster of known short flags.
    if (/^-[A-Za-z]{2,}$/.test(word) && [...word.slice(1)].every((c) => options.flags.has(`-${c}`))) return 'flag';
  }
  if (universalFlags.has(word)) return 'flag';
  return 'unknown';
}

/** Interpreters' options come from their one spec: inline code and module options take a value too. */
const interpreterTables = new Map<string, ProgramOptions>();
for (const [family, spec] of interpreterFamilies()) {
  const values = [...spec.values, ...spec.inline.filter((option) => option.startsWith('-'))];
  if (spec.module !== undefined) values.push(spec.module);
  interpreterTables.set(family, table(values, [...spec.flags]));
}

export function programOptions(program: string): ProgramOptions | undefined {
  const own = programs[program];
  if (own !== undefined) return own;
  return interpreterSpec(program) ? interpreterTables.get(interpreterFamily(program)) : undefined;
}

/** The key a program is indexed and matched by: `/usr/bin/Terraform.exe` was already reduced to `Terraform.exe` → `terraform`. */
export function programKey(program: string): string {
  const lower = program.toLowerCase();
  return lower.endsWith('.exe') ? lower.slice(0, -4) : lower;
}

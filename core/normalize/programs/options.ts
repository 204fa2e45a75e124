import { interpreterFamilies, interpreterFamily, interpreterSpec } from './interpreters';
import { resolveProgram } from './names';
import { programSpec } from './registry';

/**
 * What the matcher knows about the options of programs without a spec of their own (a
 * program spec in registry.ts declares its options there), so that options between
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
const programs: Record<string, ProgramOptions> = {
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
  glab: table(['-R', '--repo'], []),
  systemctl: table(
    ['-H', '--host', '-M', '--machine', '-t', '--type', '--state', '-p', '--property'],
    ['--user', '--system', '--global', '--now', '-q', '--quiet', '--no-block', '--no-pager', '--force', '-f'],
  ),
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

/** Programs this table describes (the catalog checks no other table describes them too). */
export function optionTablePrograms(): readonly string[] {
  return Object.keys(programs);
}

/** Programs with a spec (registry.ts) read their options from it. */
const specTables = new Map<string, ProgramOptions | undefined>();
function specOptions(program: string): ProgramOptions | undefined {
  if (!specTables.has(program)) {
    const options = programSpec(program)?.options;
    specTables.set(program, options && table([...options.values], [...options.flags], options.plusIsOption === true));
  }
  return specTables.get(program);
}

export function programOptions(program: string): ProgramOptions | undefined {
  const own = programs[program];
  if (own !== undefined) return own;
  const fromSpec = specOptions(program);
  if (fromSpec !== undefined) return fromSpec;
  return interpreterSpec(program) ? interpreterTables.get(interpreterFamily(program)) : undefined;
}

/**
 * The key a program is indexed and matched by: `/usr/bin/Terraform.exe` was already reduced to
 * `Terraform.exe` → `terraform`; a versioned spelling is its program (`Node22.exe` → `node`).
 */
export function programKey(program: string): string {
  const lower = program.toLowerCase();
  return resolveProgram(lower.endsWith('.exe') ? lower.slice(0, -4) : lower);
}

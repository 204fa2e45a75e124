/**
 * `git config`'s grammar (issue 9, acceptance 5), in one place for the git reader (../git.ts:
 * the files its options name) and the policy's `config_keys` (the key a command writes).
 */

/** Options whose value is the config file read or written. */
export const GIT_CONFIG_FILE_OPTIONS: readonly string[] = ['-f', '--file', '--blob'];

const VALUE_OPTIONS: ReadonlySet<string> = new Set([...GIT_CONFIG_FILE_OPTIONS, '--type', '--default', '--comment']);
/** The subcommand-style actions of git ≥ 2.46 (`git config set KEY VALUE`). */
const ACTIONS: ReadonlySet<string> = new Set([
  'set',
  'get',
  'unset',
  'list',
  'edit',
  'rename-section',
  'remove-section',
  'get-color',
  'get-colorbool',
  'get-urlmatch',
]);
const WRITING_ACTIONS: ReadonlySet<string> = new Set(['set', 'unset', 'rename-section', 'remove-section']);
/** Options and actions that only read. */
const READS: ReadonlySet<string> = new Set([
  '--get',
  '--get-all',
  '--get-regexp',
  '--get-urlmatch',
  '--get-color',
  '--get-colorbool',
  '-l',
  '--list',
  'get',
  'list',
  '--show-origin',
  '--show-scope',
  '--name-only',
]);
const WRITES: ReadonlySet<string> = new Set([
  'set',
  'unset',
  '--unset',
  '--unset-all',
  '--add',
  '--replace-all',
  'rename-section',
  'remove-section',
  '--rename-section',
  '--remove-section',
  'edit',
  '-e',
  '--edit',
]);

/** The key `git config ARGS` writes, or null when it only reads (`--get`, `list`, `KEY` alone). */
export function gitConfigWrittenKey(args: readonly string[]): string | null {
  const positionals: string[] = [];
  let writes = false;
  let reads = false;
  for (let i = 0; i < args.length && positionals.length < 3; i++) {
    const a = args[i] as string;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (WRITES.has(a)) writes = true;
    else if (READS.has(a)) reads = true;
    else if (!a.startsWith('-')) positionals.push(a);
  }
  const action = positionals[0] !== undefined && ACTIONS.has(positionals[0]) ? positionals[0] : null;
  if (action !== null) {
    positionals.shift();
    if (WRITING_ACTIONS.has(action)) writes = true;
    else reads = true;
  }
  const key = positionals[0];
  // `git config KEY VALUE` writes; `git config KEY` alone prints the value.
  return key !== undefined && !reads && (writes || positionals.length >= 2) ? key : null;
}

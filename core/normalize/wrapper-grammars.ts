import type { OptionGrammar } from './command-options';

/**
 * sudo's options, read both by the normalizer (to find the command sudo runs) and by the
 * policy's command matcher (to skip them before a subcommand): declared once, here.
 */
export const SUDO_GRAMMAR: Required<Pick<OptionGrammar, 'values' | 'flags'>> = {
  values: [
    '-u',
    '-g',
    '-C',
    '-p',
    '-r',
    '-t',
    '-T',
    '-U',
    '-R',
    '--user',
    '--group',
    '--close-from',
    '--prompt',
    '--role',
    '--type',
    '--command-timeout',
    '--other-user',
    '--host',
    '--chroot',
    '-D',
    '--chdir',
    '-h',
  ],
  flags: [
    '-A',
    '-b',
    '-B',
    '-E',
    '-H',
    '-i',
    '-K',
    '-k',
    '-l',
    '-n',
    '-P',
    '-S',
    '-s',
    '-V',
    '-v',
    '-e',
    '--askpass',
    '--background',
    '--bell',
    '--preserve-env',
    '--edit',
    '--set-home',
    '--login',
    '--remove-timestamp',
    '--reset-timestamp',
    '--list',
    '--non-interactive',
    '--preserve-groups',
    '--stdin',
    '--shell',
    '--validate',
    '--version',
    '--help',
  ],
};

/**
 * The package runners' options (`npx`, `bunx`, `pnpx`, `uvx`), read both by the normalizer (to
 * find the package and the command it runs) and by the policy's command matcher (to skip them
 * before the package): declared once, here. `-c`/`--call` take shell text.
 */
export const PACKAGE_RUNNER_GRAMMAR: Required<Pick<OptionGrammar, 'values' | 'flags'>> & {
  scriptOptions: string[];
} = {
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
  scriptOptions: ['-c', '--call'],
};

/**
 * Programs that run a shell script: from `-c STRING`, a file, or standard input. The
 * normalizer reads their scripts, and the policy's `code_from` asks where those came from.
 */
export const SHELL_PROGRAMS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'mksh',
  'ash',
  'fish',
  'csh',
  'tcsh',
  'yash',
  'posh',
  'rbash',
  'lksh',
  'oksh',
  'pdksh',
]);

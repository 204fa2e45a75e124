/** POSIX shell quoting: the word as is when it is plainly safe, single-quoted otherwise. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_/.,:@%+=-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * How hooks start this CLI: the running Node binary and the launcher by absolute path, with
 * CAVRA_HOME pinned, so an agent's environment cannot point the check at another gate.
 */
export function cavraCommand(launcher: string, home: string, args: string[]): string {
  return `CAVRA_HOME=${shellQuote(home)} ${[process.execPath, launcher, ...args].map(shellQuote).join(' ')}`;
}

/** POSIX shell quoting: the word as is when it is plainly safe, single-quoted otherwise. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_/.,:@%+=-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Environment the per-action hook processes start with. They only talk to the gate's local
 * socket, so they skip loading an extra CA bundle (NODE_EXTRA_CA_CERTS), which costs tens of
 * milliseconds of Node start-up on every tool call where it is set.
 */
export const HOOK_PROCESS_ENV = { NODE_EXTRA_CA_CERTS: '' } as const;

/**
 * How hooks start this CLI: the running Node binary and the launcher by absolute path, with
 * CAVRA_HOME pinned, so an agent's environment cannot point the check at another gate.
 */
export function cavraCommand(launcher: string, home: string, args: string[]): string {
  const env = Object.entries({ ...HOOK_PROCESS_ENV, CAVRA_HOME: home }).map(
    ([name, value]) => `${name}=${shellQuote(value)}`,
  );
  return `${env.join(' ')} ${[process.execPath, launcher, ...args].map(shellQuote).join(' ')}`;
}

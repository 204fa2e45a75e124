/** Splits `[options…] -- <command…>`; the command is everything after the first `--`. */
export function splitCommand(args: string[]): { options: string[]; command: string[] } {
  const at = args.indexOf('--');
  if (at === -1) return { options: args, command: [] };
  return { options: args.slice(0, at), command: args.slice(at + 1) };
}

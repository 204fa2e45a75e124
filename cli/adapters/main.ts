// Entry of dist/cli/adapters.cjs, which bin/cavra.cjs loads for `cavra exec …` and
// `cavra git pre-push …` instead of the full CLI: every push and every judged command pays
// this start-up, so it links Node built-ins and the gate client only.
import { execCommand } from '../commands/exec';
import { gitPrePush } from '../commands/git';
import type { Command } from '../io';
import { UsageError, processIO } from '../io';

async function main(argv: string[]): Promise<number> {
  const command: Command = argv[0] === 'exec' ? execCommand : gitPrePush;
  const rest = argv.slice(command.name.split(' ').length);
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  const io = processIO();
  if (own.includes('--help')) {
    io.stdout(`Usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const usage =
      error instanceof UsageError ||
      (error instanceof Error && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
    io.stderr(`cavra ${command.name}: ${message}\n${usage ? `Usage: ${command.usage}\n` : ''}`);
    // Non-zero: for git pre-push that blocks the push.
    return 1;
  }
}

void main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cavra: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

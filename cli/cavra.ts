import { processIO } from './io';
import { runCli } from './main';

runCli(process.argv.slice(2), processIO()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cavra: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

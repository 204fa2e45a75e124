// Entry of dist/cli/hook-claude-code.cjs, which bin/cavra.cjs loads for `cavra hook claude-code`
// before (and instead of) the full CLI. Whatever happens, the exit code is 0 or 2, never 1.
import { readHookInput, runClaudeCodeHook } from './claude-code';

function exit(code: 0 | 2, stdout: string, stderr: string): void {
  if (stderr) process.stderr.write(stderr);
  if (stdout) process.stdout.write(stdout, () => process.exit(code));
  else process.exit(code);
}

process.on('uncaughtException', (error) => {
  exit(2, '', `CAVRA denied this tool call: the hook failed (${error.message})\n`);
});
process.on('unhandledRejection', (error) => {
  exit(
    2,
    '',
    `CAVRA denied this tool call: the hook failed (${error instanceof Error ? error.message : String(error)})\n`,
  );
});

// Ctrl-C or a stop while waiting (also while re-attaching to a restarted gate): deny, never a
// signal death Claude Code might not read as a block. The gate sees the connection close.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => exit(2, '', `CAVRA denied this tool call: the hook was interrupted (${signal})\n`));
}

void runClaudeCodeHook(readHookInput(process.stdin), process.env).then(
  (result) => exit(result.code, result.stdout, result.stderr),
  (error: unknown) =>
    exit(2, '', `CAVRA denied this tool call: ${error instanceof Error ? error.message : String(error)}\n`),
);

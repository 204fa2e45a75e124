import { spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { askGate, clientOptions } from '../../core/gate/client';
// Runs from the lean adapter bundle: no store index (SQLite), only its path helper.
import { defaultHome } from '../../core/store/paths';
import { splitCommand } from '../adapters/argv';
import { shellQuote } from '../adapters/shell-quote';
import type { Command } from '../io';
import { UsageError } from '../io';

/** Exit code when the gate does not allow the command (POSIX: found but cannot be executed). */
export const EXEC_DENIED = 126;

export const execCommand: Command = {
  name: 'exec',
  summary: `Judge a command at the gate, then run it only if allowed (exit ${EXEC_DENIED} when not)`,
  usage: 'cavra exec [--tenant T] -- <command…>',
  async run(args, io) {
    const { options, command } = splitCommand(args);
    const { values, positionals } = parseArgs({
      args: options,
      options: { tenant: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')} (put the command after --)`);
    const [program, ...rest] = command;
    if (!program) throw new UsageError('give the command to run after --');
    const tenant = values.tenant ?? io.env.CAVRA_TENANT;
    const answer = await askGate(
      {
        op: 'decide',
        adapter: 'exec',
        ...(tenant ? { tenant } : {}),
        action: {
          type: 'execute_command',
          // Quoted exactly as it will run, so the normalizer sees the same program and words.
          command: command.map(shellQuote).join(' '),
          cwd: io.cwd,
          // Without a session from the agent, the calling shell's process stands for one.
          agent: { id: io.env.CAVRA_AGENT || 'cavra-exec', session: io.env.CAVRA_SESSION || `ppid-${process.ppid}` },
          ...(io.env.CAVRA_ACTOR ? { actor: io.env.CAVRA_ACTOR } : {}),
        },
      },
      {
        ...clientOptions(defaultHome(io.env), io.env),
        onPending: ({ requestId, waitMs }) =>
          io.stderr(
            `cavra exec: waiting up to ${Math.round(waitMs / 1000)} s for approval ${requestId} (cavra approvals approve ${requestId})\n`,
          ),
      },
    );
    if (answer.outcome !== 'allow') {
      io.stderr(`cavra exec: not run. ${answer.reason}\n`);
      return EXEC_DENIED;
    }
    return new Promise<number>((resolve) => {
      const child = spawn(program, rest, { cwd: io.cwd, env: io.env, stdio: 'inherit' });
      child.on('error', (error) => {
        io.stderr(`cavra exec: cannot run ${program}: ${error.message}\n`);
        resolve(127);
      });
      child.on('exit', (code, signal) => {
        resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
      });
    });
  },
};

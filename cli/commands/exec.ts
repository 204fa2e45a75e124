import { spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { askGate, clientOptions } from '../../core/gate/client';
import type { GateAnswer, GateClientOptions } from '../../core/gate/client';
import { SandboxUnavailableError, parseGrant, runContained, toolsFor } from '../../core/containment/runner';
import type { ContainmentGrant, ProxyDenial, SandboxTools } from '../../core/containment/runner';
// Runs from the lean adapter bundle: no store index (SQLite), only its path helper.
import { defaultHome } from '../../core/store/paths';
import { splitCommand } from '../adapters/argv';
import { shellQuote } from '../adapters/shell-quote';
import type { Command } from '../io';
import { UsageError } from '../io';

/** Exit code when the gate does not allow the command (POSIX: found but cannot be executed). */
export const EXEC_DENIED = 126;

/** The decision a report is linked to: its id and its ledger reference. */
function decisionLink(answer: GateAnswer): { decision_id?: string; decision_ref?: string } {
  const decision = answer.decision as { decision_id?: unknown; evidence_ref?: unknown } | null;
  return {
    ...(typeof decision?.decision_id === 'string' ? { decision_id: decision.decision_id } : {}),
    ...(typeof decision?.evidence_ref === 'string' ? { decision_ref: decision.evidence_ref } : {}),
  };
}

function runUncontained(
  program: string,
  rest: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  stderr: (t: string) => void,
) {
  return new Promise<number>((resolve) => {
    const child = spawn(program, rest, { cwd, env, stdio: 'inherit' });
    child.on('error', (error) => {
      stderr(`cavra exec: cannot run ${program}: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

export const execCommand: Command = {
  name: 'exec',
  summary: `Judge a command at the gate, then run it only if allowed, inside the tenant's sandbox (exit ${EXEC_DENIED} when not)`,
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
    const home = defaultHome(io.env);
    const agent = { id: io.env.CAVRA_AGENT || 'cavra-exec', session: io.env.CAVRA_SESSION || `ppid-${process.ppid}` };
    const gateOptions: GateClientOptions = {
      ...clientOptions(home, io.env, tenant),
      onPending: ({ requestId, waitMs }) =>
        io.stderr(
          `cavra exec: waiting up to ${Math.round(waitMs / 1000)} s for approval ${requestId} (cavra approvals approve ${requestId})\n`,
        ),
    };
    const asked = askGate(
      {
        op: 'decide',
        adapter: 'exec',
        // Whatever is allowed runs inside the sandbox: the allow carries its profile.
        contain: true,
        ...(tenant ? { tenant } : {}),
        action: {
          type: 'execute_command',
          // Quoted exactly as it will run, so the normalizer sees the same program and words.
          command: command.map(shellQuote).join(' '),
          cwd: io.cwd,
          // Without a session from the agent, the calling shell's process stands for one.
          agent,
          ...(io.env.CAVRA_ACTOR ? { actor: io.env.CAVRA_ACTOR } : {}),
        },
      },
      gateOptions,
    );
    // While the gate decides (its own process), find what every sandbox needs: the request is
    // on its way before this runs, and the answer is read after it.
    const tools = new Promise<SandboxTools | undefined>((resolve) =>
      setImmediate(() => {
        try {
          resolve(toolsFor(home));
        } catch {
          resolve(undefined); // Looked up again, with its error, when the sandbox is prepared.
        }
      }),
    );
    const answer = await asked;
    if (answer.outcome !== 'allow') {
      io.stderr(`cavra exec: not run. ${answer.reason}\n`);
      return EXEC_DENIED;
    }
    let grant: ContainmentGrant | null;
    try {
      grant = parseGrant(answer.containment);
    } catch (error) {
      io.stderr(`cavra exec: not run. The gate's sandbox profile is not usable: ${(error as Error).message}\n`);
      return EXEC_DENIED;
    }
    if (!grant) {
      io.stderr('cavra exec: not run. The gate allowed the command without a sandbox profile (is it an older gate?)\n');
      return EXEC_DENIED;
    }
    if (grant.enforcement === 'judgement_only') {
      io.stderr(`cavra exec: running WITHOUT containment (weaker posture): ${grant.reason}\n`);
      return runUncontained(program, rest, io.cwd, io.env, io.stderr);
    }

    const link = { ...decisionLink(answer), profile_sha256: grant.digest };
    const reports: Promise<void>[] = [];
    const report = (body: Record<string, unknown>) => {
      reports.push(
        askGate(
          { op: 'containment', adapter: 'exec', ...(tenant ? { tenant } : {}), report: { ...link, agent, ...body } },
          clientOptions(home, io.env, tenant),
        ).then((recorded) => {
          if (recorded.outcome !== 'allow')
            io.stderr(`cavra exec: a containment record was not written: ${recorded.reason}\n`);
        }),
      );
    };
    const onDenied = (denial: ProxyDenial) => {
      io.stderr(`cavra exec: containment refused ${denial.method} ${denial.host}:${denial.port}: ${denial.reason}\n`);
      report({
        event: 'network_denied',
        host: denial.host,
        port: denial.port,
        method: denial.method,
        reason: denial.reason,
      });
    };
    try {
      const { code } = await runContained({
        profile: grant.profile,
        argv: command,
        cwd: io.cwd,
        env: io.env,
        cavraHome: home,
        onDenied,
        tools: await tools,
      });
      await Promise.allSettled(reports);
      return code;
    } catch (error) {
      if (!(error instanceof SandboxUnavailableError)) throw error;
      io.stderr(`cavra exec: not run. The sandbox could not start: ${error.reason}.\n  To fix: ${error.fix}\n`);
      report({ event: 'sandbox_unavailable', reason: error.reason.slice(0, 2000) });
      await Promise.allSettled(reports);
      return EXEC_DENIED;
    }
  },
};

import fs from 'node:fs';
import path from 'node:path';
import type { DecisionKind } from '../contract';
import type { Finished } from './processes';
import type { ScratchRepository } from './scratch';

/** What a scripted step can do: each action goes through a real adapter process. */
export interface SessionTools {
  repo: ScratchRepository;
  /** `cavra <args>` as the agent's own process would run it (CAVRA_HOME pinned). */
  cavra(
    args: string[],
    options?: { input?: string; cwd?: string; onStderr?: (text: string) => void },
  ): Promise<Finished>;
  /** Real git in the scratch repository; a push runs CAVRA's pre-push hook. */
  git(...args: string[]): Promise<Finished>;
  /** A tool call through `cavra mcp-proxy` to the real MCP server; the text of its answer. */
  mcpCall(tool: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }>;
  /** Reported while a step waits for a person to decide approval request `requestId`. */
  waiting(phase: string, requestId: string): void;
}

export interface ScriptStep {
  id: string;
  title: string;
  adapter: 'claude-code' | 'mcp-proxy' | 'git' | 'exec';
  expected: DecisionKind[];
  /** Performs the step; returns what the agent saw, in words. */
  perform(tools: SessionTools): Promise<string>;
}

/** The Claude Code PreToolUse hook with real hook JSON on stdin; what the hook answered. */
async function hook(
  tools: SessionTools,
  tool: string,
  input: Record<string, unknown>,
): Promise<{ allowed: boolean; reason: string }> {
  const result = await tools.cavra(['hook', 'claude-code'], {
    input: JSON.stringify({
      session_id: SESSION_ID,
      cwd: tools.repo.workspace,
      hook_event_name: 'PreToolUse',
      tool_name: tool,
      tool_input: input,
    }),
  });
  if (result.code !== 0) return { allowed: false, reason: result.stderr.trim() };
  try {
    const output = JSON.parse(result.stdout) as {
      hookSpecificOutput?: { permissionDecision?: string; permissionDecisionReason?: string };
    };
    return {
      allowed: output.hookSpecificOutput?.permissionDecision === 'allow',
      reason: output.hookSpecificOutput?.permissionDecisionReason ?? '',
    };
  } catch {
    return {
      allowed: false,
      reason: `the hook printed something that is not hook output: ${result.stdout.slice(0, 200)}`,
    };
  }
}

/** The agent session id every adapter reports, so the session's records can be found together. */
export const SESSION_ID = 'cavra-trial-governed-workflow';

const said = (reason: string) => (reason ? `: ${reason}` : '');

/** Runs `cavra exec` and says what happened; an approval request it waits on is reported. */
async function exec(tools: SessionTools, command: string[]): Promise<string> {
  const result = await tools.cavra(['exec', '--', ...command], {
    onStderr: (text) => {
      const pending = /waiting up to (\d+) s for approval (\S+)/.exec(text);
      if (pending) {
        tools.waiting(
          `Waiting up to ${pending[1]} s for a reviewer to decide approval ${pending[2]} (Approval queue, or cavra approvals approve ${pending[2]})`,
          pending[2] as string,
        );
      }
    },
  });
  if (result.code === 0) return `ran contained and printed "${result.stdout.trim().slice(0, 200)}"`;
  return `was not run (exit ${result.code})${said(result.stderr.trim().split('\n').pop() ?? '')}`;
}

/**
 * The session, in order. Every decision type happens: allow (reads, an edit, a command, a
 * push, a contained command), warn (a read outside the workspace), require_approval answered
 * by a reviewer, and deny (a destructive command, a secret read over MCP, a forced push).
 */
export const script: readonly ScriptStep[] = [
  {
    id: 'read-file',
    title: 'Read README.md (Claude Code Read)',
    adapter: 'claude-code',
    expected: ['allow'],
    async perform(tools) {
      const file = path.join(tools.repo.workspace, 'README.md');
      const answer = await hook(tools, 'Read', { file_path: file });
      if (!answer.allowed) return `the hook refused the read${said(answer.reason)}`;
      return `the hook allowed it; read ${fs.readFileSync(file, 'utf8').length} bytes`;
    },
  },
  {
    id: 'edit-file',
    title: 'Write src/refunds.js (Claude Code Write)',
    adapter: 'claude-code',
    expected: ['allow'],
    async perform(tools) {
      const file = path.join(tools.repo.workspace, 'src', 'refunds.js');
      const content =
        'export const REFUND_LIMIT_EUR = 1000;\n\nexport function refund(amount) {\n  if (amount > REFUND_LIMIT_EUR) throw new Error("needs review");\n  return { amount, status: "queued" };\n}\n';
      const answer = await hook(tools, 'Write', { file_path: file, content });
      if (!answer.allowed) return `the hook refused the write${said(answer.reason)}`;
      fs.writeFileSync(file, content);
      return 'the hook allowed it; the file was written';
    },
  },
  {
    id: 'read-outside',
    title: 'Read a runbook outside the workspace (allowed, noted as a warning)',
    adapter: 'claude-code',
    expected: ['warn'],
    async perform(tools) {
      const answer = await hook(tools, 'Read', { file_path: tools.repo.outsideFile });
      return answer.allowed
        ? `the hook allowed it with a warning${said(answer.reason)}`
        : `refused${said(answer.reason)}`;
    },
  },
  {
    id: 'run-command',
    title: 'Run git status (Claude Code Bash)',
    adapter: 'claude-code',
    expected: ['allow'],
    async perform(tools) {
      const answer = await hook(tools, 'Bash', { command: 'git status --short' });
      if (!answer.allowed) return `the hook refused the command${said(answer.reason)}`;
      const status = await tools.git('status', '--short');
      return `the hook allowed it; git status listed ${status.stdout.trim().split('\n').filter(Boolean).length} changed files`;
    },
  },
  {
    id: 'destroy-neighbours',
    title: 'Try rm -rf .. (Claude Code Bash): must be denied and never run',
    adapter: 'claude-code',
    expected: ['deny'],
    async perform(tools) {
      const answer = await hook(tools, 'Bash', { command: 'rm -rf ..' });
      // Never run, whatever the answer: the script only needs the decision.
      return answer.allowed ? 'the hook allowed it (it was not run)' : `the hook denied it${said(answer.reason)}`;
    },
  },
  {
    id: 'mcp-read',
    title: 'Read README.md through the MCP proxy (filesystem server)',
    adapter: 'mcp-proxy',
    expected: ['allow'],
    async perform(tools) {
      const result = await tools.mcpCall('read_text_file', { path: path.join(tools.repo.workspace, 'README.md') });
      return result.isError ? `the call failed: ${result.text.slice(0, 300)}` : 'the proxy passed it to the server';
    },
  },
  {
    id: 'mcp-secret',
    title: 'Read .env through the MCP proxy: must be denied',
    adapter: 'mcp-proxy',
    expected: ['deny'],
    async perform(tools) {
      const result = await tools.mcpCall('read_text_file', { path: path.join(tools.repo.workspace, '.env') });
      if (!result.isError) return 'the proxy passed it to the server';
      return `the proxy refused it: ${result.text.slice(0, 300)}`;
    },
  },
  {
    id: 'push-branch',
    title: 'Commit and push a feature branch (git pre-push hook)',
    adapter: 'git',
    expected: ['allow'],
    async perform(tools) {
      for (const args of [
        ['checkout', '--quiet', '-b', 'feature/refund-limit'],
        ['add', 'src/refunds.js'],
        ['commit', '--quiet', '-m', 'Refund limit'],
      ]) {
        const step = await tools.git(...args);
        if (step.code !== 0) return `git ${args.join(' ')} failed: ${step.stderr.trim()}`;
      }
      const pushed = await tools.git('push', '--quiet', 'origin', 'feature/refund-limit');
      return pushed.code === 0
        ? 'the push went through'
        : `the push was refused: ${pushed.stderr.trim().slice(0, 300)}`;
    },
  },
  {
    id: 'force-push',
    title: 'Force-push a rewritten main (git pre-push hook): must be denied',
    adapter: 'git',
    expected: ['deny'],
    async perform(tools) {
      for (const args of [
        ['checkout', '--quiet', 'main'],
        ['commit', '--quiet', '--amend', '-m', 'Initial import, rewritten'],
      ]) {
        const step = await tools.git(...args);
        if (step.code !== 0) return `git ${args.join(' ')} failed: ${step.stderr.trim()}`;
      }
      const pushed = await tools.git('push', '--quiet', '--force', 'origin', 'main');
      return pushed.code === 0
        ? 'the forced push went through'
        : `the push was blocked: ${pushed.stderr.trim().split('\n').slice(-1)[0]?.trim() ?? ''}`;
    },
  },
  {
    id: 'contained-command',
    title: 'Run git log in the sandbox (cavra exec)',
    adapter: 'exec',
    expected: ['allow'],
    perform: (tools) => exec(tools, ['git', 'log', '--oneline', '-1']),
  },
  {
    id: 'approved-command',
    title: 'Run the release script, which needs a reviewer (cavra exec -- npm run release): approved, then run once',
    adapter: 'exec',
    expected: ['require_approval', 'allow'],
    perform: (tools) => exec(tools, ['npm', 'run', '--silent', 'release']),
  },
];

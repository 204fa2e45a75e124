import path from 'node:path';
import { parseArgs } from 'node:util';
import { askGate, clientOptions } from '../../core/gate/client';
// Runs from the lean adapter bundle: no store index (SQLite), only its path helper.
import { defaultHome } from '../../core/store/paths';
import { installPrePushHook, pushArgs, readRefUpdates, repositoryRoot } from '../adapters/git-push';
import { cavraCommand } from '../adapters/shell-quote';
import type { Command } from '../io';
import { UsageError } from '../io';
import { launcherPath } from '../adapters/launcher';

export const gitInstallHooks: Command = {
  name: 'git install-hooks',
  summary: 'Install the pre-push hook that sends every push to the gate (existing hooks are chained)',
  usage: 'cavra git install-hooks [--repo DIR]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { repo: { type: 'string' } }, strict: true });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    const repo = repositoryRoot(path.resolve(io.cwd, values.repo ?? '.'));
    const result = installPrePushHook(repo, cavraCommand(launcherPath(), defaultHome(io.env), ['git', 'pre-push']));
    io.stdout(`${result.unchanged ? 'Already installed' : 'Installed'}: ${result.hook}\n`);
    if (result.chained) io.stdout(`  The hook that was there runs after CAVRA's: ${result.chained}\n`);
    io.stdout('  Pushes the gate does not allow are blocked; so is every push while the gate is down.\n');
    return 0;
  },
};

export const gitPrePush: Command = {
  name: 'git pre-push',
  summary: 'The pre-push hook itself: refs on stdin, exit 0 only when the gate allows the push',
  usage: 'cavra git pre-push <remote-name> <remote-url>',
  async run(args, io) {
    if (args.length !== 2 || !args[0]) throw new UsageError('git passes the remote name and url');
    const [remote, url] = args as [string, string];
    let repo: string;
    let updates;
    try {
      repo = repositoryRoot(io.cwd);
      updates = readRefUpdates(await io.readStdin(), repo);
    } catch (error) {
      io.stderr(`CAVRA blocked this push: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    if (updates.length === 0) return 0;
    const answer = await askGate(
      {
        op: 'decide',
        adapter: 'git',
        ...(io.env.CAVRA_TENANT ? { tenant: io.env.CAVRA_TENANT } : {}),
        action: {
          type: 'git_operation',
          // Without a session from the agent, the git process that pushes stands for one.
          agent: { id: io.env.CAVRA_AGENT || 'git', session: io.env.CAVRA_SESSION || `ppid-${process.ppid}` },
          ...(io.env.CAVRA_ACTOR ? { actor: io.env.CAVRA_ACTOR } : {}),
          cwd: repo,
          git: { args: pushArgs(remote, updates) },
        },
      },
      {
        ...clientOptions(defaultHome(io.env), io.env, io.env.CAVRA_TENANT),
        onPending: ({ requestId, waitMs }) =>
          io.stderr(`CAVRA: this push needs approval ${requestId}; waiting up to ${Math.round(waitMs / 1000)} s\n`),
      },
    );
    if (answer.outcome === 'allow') return 0;
    const forced = updates.filter((u) => u.force).map((u) => u.remoteRef);
    io.stderr(
      `CAVRA blocked this push to ${remote} (${url})${forced.length > 0 ? `; it rewrites ${forced.join(', ')}` : ''}.\n  ${answer.reason}\n`,
    );
    return 1;
  },
};

import { result } from '../check';
import type { HealthCheck } from '../check';
import { installedHooks } from '../claude-settings';

/** Where the Claude Code hook is installed, and whether the agent it governs could remove it. */
export const hooksCheck: HealthCheck = {
  id: 'claude-code-hooks',
  title: 'Claude Code hook placement',
  run(context) {
    const hooks = installedHooks({
      managedDir: context.claudeManagedDir,
      userHome: context.userHome,
      projects: context.projects,
    });
    if (hooks.length === 0) {
      return result(
        this,
        'warn',
        'No CAVRA hook was found in the managed, user or project Claude Code settings looked at: Claude Code runs ungoverned there.',
        'cavra hook install claude-code (in the project), or --user for every project',
      );
    }
    const where = hooks.map(
      (hook) => `${hook.type} hook in ${hook.file} (${hook.scope}${hook.agentWritable ? ', agent-writable' : ''})`,
    );
    if (hooks.every((hook) => hook.agentWritable)) {
      return result(
        this,
        'warn',
        `Every CAVRA hook is in settings the agent can edit, since it runs as you: ${where.join('; ')}. Judgement denies edits of these files, but a hook in managed settings cannot be removed by the agent at all.`,
        'Install the hook into Claude Code managed settings (root-owned), where neither the user nor the agent can override it.',
      );
    }
    return result(this, 'ok', `Installed: ${where.join('; ')}.`);
  },
};

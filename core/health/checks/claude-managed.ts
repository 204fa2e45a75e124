import { managedSettingsFiles, managedWeakenings } from '../claude-settings';
import { result } from '../check';
import type { HealthCheck } from '../check';

/**
 * Claude Code merges every managed-settings.d drop-in over managed-settings.json, later
 * names winning: a drop-in sorted after CAVRA's (or the base file, for keys CAVRA leaves
 * unset) can turn the hook or the sandbox back off. Each such setting is a finding.
 */
export const claudeManagedCheck: HealthCheck = {
  id: 'claude-code-managed',
  title: 'Claude Code managed settings',
  run(context) {
    const weakenings = managedWeakenings(context.claudeManagedDir);
    const files = managedSettingsFiles(context.claudeManagedDir);
    if (weakenings.length > 0) {
      return result(
        this,
        'fail',
        `Managed settings undo what CAVRA installed: ${weakenings.map((w) => w.message).join('; ')}.`,
        `Remove those settings (or the drop-ins) from ${context.claudeManagedDir}, then run: sudo cavra hook install claude-code --managed`,
      );
    }
    return result(this, 'ok', `Nothing in ${files.join(', ')} weakens a CAVRA hook or sandbox.`);
  },
};

import { probeSandbox } from '../../containment/runner';
import { result } from '../check';
import type { HealthCheck } from '../check';

/**
 * Whether `cavra exec` can contain a command here, asked exactly as containment asks it: the
 * runner's own probe starts a real, empty sandbox with every namespace the runner uses, from
 * a root-owned bwrap in a system directory. When it cannot, every contained command is
 * refused, so this is a failure, not a warning.
 */
export const sandboxCheck: HealthCheck = {
  id: 'sandbox',
  title: 'Sandbox (bubblewrap)',
  run() {
    const probe = probeSandbox();
    if (!probe.available) {
      return result(this, 'fail', `No command can be contained: ${probe.reason}.`, probe.fix);
    }
    return result(
      this,
      probe.socat ? 'ok' : 'warn',
      `${probe.bwrap} (${probe.version}) starts sandboxes${probe.socat ? '' : '; socat is missing, so no pack can grant network hosts'}.`,
      probe.socat
        ? null
        : 'install socat: sudo apt-get install socat (Debian, Ubuntu), sudo dnf install socat (Fedora)',
    );
  },
};

import { spawnSync } from 'node:child_process';
import { result } from '../check';
import type { HealthCheck } from '../check';

/**
 * Containment runs commands under bubblewrap on Linux: it must be installed and able to
 * create namespaces (unprivileged user namespaces may be turned off by the distribution).
 */
export const sandboxCheck: HealthCheck = {
  id: 'sandbox',
  title: 'Sandbox (bubblewrap)',
  run() {
    if (process.platform !== 'linux') return result(this, 'warn', `No sandbox check for ${process.platform} yet.`);
    const probe = spawnSync('bwrap', ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', 'true'], {
      encoding: 'utf8',
      timeout: 5_000,
    });
    if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      return result(
        this,
        'warn',
        'bubblewrap (bwrap) is not installed: commands cannot be contained.',
        'apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)',
      );
    }
    if (probe.status !== 0) {
      const why = (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0];
      return result(
        this,
        'warn',
        `bubblewrap cannot create namespaces here: ${why}`,
        'Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap).',
      );
    }
    return result(this, 'ok', 'bubblewrap can create namespaces.');
  },
};

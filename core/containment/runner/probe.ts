import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Whether this machine can start a sandbox, and if not, exactly how to fix it. The tools are
 * taken only from system directories and must be owned by root and not writable by others:
 * a `bwrap` an agent put first on PATH would be a sandbox that contains nothing.
 */
export const SYSTEM_BIN_DIRS = ['/usr/bin', '/bin', '/usr/local/bin', '/usr/sbin', '/sbin'];

export const JUDGEMENT_ONLY_HINT =
  'or, as a recorded and weaker posture, let commands run without containment: cavra sandbox mode judgement-only --reason "…"';

export type SandboxProbe =
  | { available: true; bwrap: string; socat: string | null; version: string }
  | { available: false; reason: string; fix: string };

/** A trusted system binary: root-owned, not group- or world-writable, executable. */
export function systemTool(name: string): string | null {
  for (const dir of SYSTEM_BIN_DIRS) {
    const candidate = `${dir}/${name}`;
    try {
      const stat = fs.statSync(candidate);
      if (!stat.isFile() || stat.uid !== 0 || (stat.mode & 0o022) !== 0 || (stat.mode & 0o111) === 0) continue;
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

/** Explains why bubblewrap could not set up a sandbox, from what it printed. */
export function explainFailure(stderr: string): { reason: string; fix: string } {
  const text = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 400);
  if (/namespace|uid map|setting up uid|Operation not permitted|Permission denied/i.test(stderr)) {
    return {
      reason: `bubblewrap cannot create the sandbox's namespaces: user namespaces are not allowed here (${text})`,
      fix:
        'allow unprivileged user namespaces — Debian: sudo sysctl -w kernel.unprivileged_userns_clone=1; ' +
        'Ubuntu 23.10+: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap); ' +
        'in a container: run it with a seccomp profile that allows unshare, or with --privileged; ' +
        JUDGEMENT_ONLY_HINT,
    };
  }
  return {
    reason: `bubblewrap failed to start the sandbox (${text || 'no message'})`,
    fix: `check that bubblewrap works: bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true; ${JUDGEMENT_ONLY_HINT}`,
  };
}

export function missingBwrap(): { reason: string; fix: string } {
  return {
    reason: 'bubblewrap (bwrap) is not installed in a system directory (root-owned, in /usr/bin or /bin)',
    fix: `install it: sudo apt-get install bubblewrap (Debian, Ubuntu), sudo dnf install bubblewrap (Fedora); ${JUDGEMENT_ONLY_HINT}`,
  };
}

export function missingSocat(): { reason: string; fix: string } {
  return {
    reason:
      "the tenant's packs grant network hosts, and the sandbox's relay to the filtering proxy needs socat, which is not installed",
    fix: 'install it: sudo apt-get install socat (Debian, Ubuntu), sudo dnf install socat (Fedora)',
  };
}

/** Starts a real, empty sandbox with every namespace the runner uses (~10–30 ms). */
export function probeSandbox(): SandboxProbe {
  if (process.platform !== 'linux') {
    return {
      available: false,
      reason: `containment runs on Linux only; on ${process.platform} use the generated profile (cavra sandbox export)`,
      fix: JUDGEMENT_ONLY_HINT,
    };
  }
  const bwrap = systemTool('bwrap');
  if (!bwrap) return { available: false, ...missingBwrap() };
  const result = spawnSync(
    bwrap,
    [
      '--die-with-parent',
      '--unshare-all',
      '--cap-drop',
      'ALL',
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/tmp',
      'true',
    ],
    { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (result.error) return { available: false, ...explainFailure(result.error.message) };
  if (result.status !== 0) return { available: false, ...explainFailure(result.stderr ?? '') };
  const version = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 5_000 }).stdout?.trim() ?? '';
  return { available: true, bwrap, socat: systemTool('socat'), version };
}

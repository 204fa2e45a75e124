import path from 'node:path';
import type { ContainmentProfile } from './runner';

/**
 * The `sandbox` section of Claude Code settings, written from the same profile `cavra exec`
 * runs in, so that Claude Code's own Bash sandbox (bubblewrap on Linux, Seatbelt on macOS)
 * draws the boundary the tenant's packs define. Keys as documented in Claude Code's
 * settings reference (code.claude.com/docs/en/settings, "Sandbox settings").
 *
 * Paths: absolute paths are written with the `//` prefix, which every Claude Code version
 * reads as absolute (current versions also read `/…` so; older ones read `/…` as relative to
 * the settings file, which would silently protect the wrong place). `~/` is the home.
 */
export interface ClaudeCodeSandboxSettings {
  enabled: true;
  failIfUnavailable: true;
  allowUnsandboxedCommands: false;
  filesystem: { denyRead: string[]; denyWrite: string[]; allowWrite: string[] };
  network: { allowedDomains: string[]; allowManagedDomainsOnly: true };
}

export interface ClaudeCodeExportOptions {
  /** Workspace files the profile's deny_read globs name right now (absolute). */
  workspaceMatches: string[];
  /**
   * Managed settings apply to every project on the machine: workspace-relative entries are
   * left out of them (a project export adds them); home and absolute entries stay.
   */
  managed?: boolean;
}

function settingsPath(entry: string): string {
  if (entry.startsWith('~/')) return entry.replace(/\/+$/, '') || '~/';
  if (entry.startsWith('/')) return `/${entry.replace(/\/+$/, '')}`;
  return entry;
}

/** Domains Claude Code's proxy understands: host names and `*.` wildcards, without ports. */
function domainOf(pattern: string): string | null {
  const host = pattern.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  if (host.includes('*') && !/^\*\.[^*]+$/.test(host)) return null;
  return host;
}

const unique = (values: string[]) => [...new Set(values)];

export function claudeCodeSandbox(
  profile: ContainmentProfile,
  options: ClaudeCodeExportOptions,
): ClaudeCodeSandboxSettings {
  const inWorkspace = (entry: string) => path.join(profile.workspace, entry);
  const denyRead = [
    ...profile.deny_read.paths.map(settingsPath),
    ...(options.managed ? [] : options.workspaceMatches.map(settingsPath)),
  ];
  const denyWrite = profile.deny_write.flatMap((entry) => {
    if (entry.startsWith('/') || entry.startsWith('~/')) return [settingsPath(entry)];
    return options.managed ? [] : [settingsPath(inWorkspace(entry))];
  });
  return {
    enabled: true,
    failIfUnavailable: true,
    allowUnsandboxedCommands: false,
    filesystem: {
      denyRead: unique(denyRead),
      denyWrite: unique(denyWrite),
      allowWrite: options.managed ? [] : unique(profile.write_allow.map(settingsPath)),
    },
    network: {
      allowedDomains: unique(
        profile.network.hosts.map((h) => domainOf(h.pattern)).filter((d): d is string => d !== null),
      ),
      allowManagedDomainsOnly: true,
    },
  };
}

/** What the export cannot carry into Claude Code's sandbox, said plainly to the operator. */
export function claudeCodeExportNotes(profile: ContainmentProfile): string[] {
  const notes: string[] = [];
  if (profile.deny_read.globs.length > 0) {
    notes.push(
      "Workspace globs (such as **/.env) are written as the files they match now; a file created later is not covered by Claude Code's sandbox (cavra exec re-resolves them on every run).",
    );
  }
  if (profile.network.hosts.some((h) => h.port !== null)) {
    notes.push('Claude Code allows domains, not ports: host grants with a port are written as the bare domain.');
  }
  if (profile.environment.remove.length > 0) {
    notes.push(
      "Claude Code's sandbox does not remove environment variables by pattern; cavra exec does (run commands through it, or unset them before starting Claude Code).",
    );
  }
  return notes;
}

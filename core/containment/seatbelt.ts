import path from 'node:path';
import type { ContainmentProfile } from './runner';

/**
 * macOS: the same profile as a Seatbelt (SBPL) policy for `sandbox-exec -f profile.sb -- cmd`.
 * Seatbelt cannot be exercised on Linux, so this is generated and tested as text. Later
 * rules override earlier ones for the same operation, so the profile allows broadly first
 * and denies the protected paths after:
 *
 *   everything readable, except the protected read paths (and CAVRA_HOME);
 *   writable: the workspace, local remotes, the private temp dir and /dev/null-like devices,
 *   except the protected write paths (which therefore cannot be created either);
 *   no network, except the filtering proxy's loopback port when hosts are granted;
 *   signals only to processes in the same sandbox.
 *
 * Environment filtering is not a Seatbelt feature: the runner that calls sandbox-exec
 * passes the filtered environment (core/containment/runner sandboxEnvironment).
 */
export interface SeatbeltOptions {
  /** Home directories `~/` stands for. */
  homes: string[];
  /** Workspace files the deny_read globs name now (absolute). */
  workspaceMatches: string[];
  /** The private temp dir for this run. */
  tmpdir: string;
  /** Loopback port of the filtering proxy, when the profile grants hosts. */
  proxyPort?: number;
}

/** An SBPL string literal. */
function quote(text: string): string {
  if (text.includes('\0')) throw new Error('a path with a NUL byte cannot be written into a Seatbelt profile');
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function expand(entry: string, homes: string[], workspace: string): string[] {
  const bare = entry.replace(/\/+$/, '');
  if (bare.startsWith('~/')) return homes.map((home) => path.join(home, bare.slice(2)));
  if (bare.startsWith('/')) return [bare];
  return [path.join(workspace, bare)];
}

/** A path filter: a directory entry (ending in `/`) covers its subtree, a file only itself. */
function filter(entry: string, target: string): string {
  return entry.endsWith('/') ? `(subpath ${quote(target)})` : `(literal ${quote(target)})`;
}

export function seatbeltProfile(profile: ContainmentProfile, options: SeatbeltOptions): string {
  const lines: string[] = [
    `; CAVRA containment profile for ${profile.workspace}`,
    `; packs: ${profile.packs.map((p) => `${p.id}@${p.version}`).join(', ') || 'none'}`,
    '(version 1)',
    '(deny default)',
    '(allow process-fork)',
    '(allow process-exec)',
    '(allow signal (target same-sandbox))',
    '(allow sysctl-read)',
    '(allow mach-lookup)',
    '(allow ipc-posix-shm)',
    '(allow file-ioctl)',
    '(allow file-read*)',
  ];
  const readDenied = [
    ...profile.deny_read.paths.flatMap((entry) =>
      expand(entry, options.homes, profile.workspace).map((target) => filter(entry, target)),
    ),
    ...options.workspaceMatches.map((target) => `(subpath ${quote(target)})`),
  ];
  if (readDenied.length > 0) lines.push('(deny file-read*', ...readDenied.map((f) => `  ${f}`), ')');
  const writable = [profile.workspace, ...profile.write_allow, options.tmpdir];
  lines.push(
    '(allow file-write*',
    ...writable.map((dir) => `  (subpath ${quote(dir)})`),
    '  (literal "/dev/null") (literal "/dev/tty") (regex #"^/dev/fd/")',
    ')',
  );
  const writeDenied = profile.deny_write.flatMap((entry) =>
    expand(entry, options.homes, profile.workspace).map((target) => filter(entry, target)),
  );
  if (writeDenied.length > 0) lines.push('(deny file-write*', ...writeDenied.map((f) => `  ${f}`), ')');
  if (readDenied.length > 0) lines.push('(deny file-write*', ...readDenied.map((f) => `  ${f}`), ')');
  lines.push('(deny network*)');
  if (profile.network.hosts.length > 0) {
    if (options.proxyPort === undefined) throw new Error('the profile grants hosts: give the filtering proxy port');
    lines.push(`(allow network-outbound (remote tcp ${quote(`localhost:${options.proxyPort}`)}))`);
  }
  return `${lines.join('\n')}\n`;
}

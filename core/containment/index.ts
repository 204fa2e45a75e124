// Containment (issue 10): the tenant's packs compiled into an OS sandbox around everything
// that runs. The gate compiles a profile per command (compile), the runner turns it into a
// bubblewrap sandbox (runner/, Node built-ins only, linked by `cavra exec`), and the same
// profile exports to Claude Code's sandbox settings and to a macOS Seatbelt policy.
export { compileProfile, ContainmentError, GUARD_DENY_WRITE, profileDigest, workspaceFor } from './compile';
export { ContainmentService, profileView, settingsView } from './service';
export type { ContainmentPolicy, ContainmentRecorder, ContainmentServiceOptions } from './service';
export { StoredContainmentSettings, DEFAULT_CONTAINMENT_SETTINGS } from './store';
export type { ContainmentSettings, ContainmentSettingsRepository } from './store';
export { containmentHandlers } from './handlers';
export { claudeCodeExportNotes, claudeCodeSandbox } from './claude-code';
export type { ClaudeCodeExportOptions, ClaudeCodeSandboxSettings } from './claude-code';
export { seatbeltProfile } from './seatbelt';
export type { SeatbeltOptions } from './seatbelt';
export { repositoryRemotes } from './git-remotes';
export type { ContainmentGrant, ContainmentProfile } from './runner';
// HOME inside the sandbox: the policy judges a contained command's `~` as this.
export { SANDBOX_HOME } from './runner';

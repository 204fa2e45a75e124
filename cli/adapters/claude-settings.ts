import fs from 'node:fs';
import path from 'node:path';

/** One handler in a Claude Code hook matcher group. */
export type ClaudeHookHandler =
  | { type: 'command'; command: string; timeout: number; onFailure: 'block' }
  | {
      type: 'http';
      url: string;
      headers: Record<string, string>;
      allowedEnvVars: string[];
      timeout: number;
      onFailure: 'block';
    };

/** Recognises the handlers this installer wrote before, so a re-install replaces them. */
function isCavraHandler(handler: unknown): boolean {
  if (typeof handler !== 'object' || handler === null) return false;
  const h = handler as { type?: unknown; command?: unknown; url?: unknown };
  if (h.type === 'command' && typeof h.command === 'string')
    return /cavra(\.cjs)?'? hook claude-code\b/.test(h.command);
  if (h.type === 'http' && typeof h.url === 'string') return h.url.endsWith('/v1/hooks/claude-code/pre-tool-use');
  return false;
}

export interface SettingsChange {
  file: string;
  /** True when the file did not change (the same hook was already installed). */
  unchanged: boolean;
}

/**
 * Merges CAVRA's PreToolUse hook into a Claude Code settings file. Other settings, other
 * hook events and other PreToolUse handlers stay exactly as they were; an earlier CAVRA
 * handler (command or http) is replaced, so installing twice changes nothing. A file that
 * is not a JSON object is refused rather than overwritten. Written atomically.
 */
export function installClaudeCodeHook(file: string, handler: ClaudeHookHandler): SettingsChange {
  let settings: Record<string, unknown> = {};
  let before: string | null = null;
  if (fs.existsSync(file)) {
    before = fs.readFileSync(file, 'utf8');
    let parsed: unknown;
    try {
      parsed = before.trim() === '' ? {} : JSON.parse(before);
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix it first, nothing was changed`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${file} does not hold a JSON object; nothing was changed`);
    }
    settings = parsed as Record<string, unknown>;
  }
  const hooks = settings.hooks ?? {};
  if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) {
    throw new Error(`${file}: "hooks" is not an object; nothing was changed`);
  }
  const events = hooks as Record<string, unknown>;
  const existing = events.PreToolUse ?? [];
  if (!Array.isArray(existing)) throw new Error(`${file}: "hooks.PreToolUse" is not a list; nothing was changed`);

  const groups: unknown[] = [];
  for (const group of existing) {
    const handlers = (group as { hooks?: unknown }).hooks;
    if (!Array.isArray(handlers)) {
      groups.push(group);
      continue;
    }
    const kept = handlers.filter((h) => !isCavraHandler(h));
    if (kept.length > 0) groups.push(kept.length === handlers.length ? group : { ...(group as object), hooks: kept });
  }
  // Every tool call, MCP tools included: a tool the gate cannot map takes the tenant default.
  groups.push({ matcher: '*', hooks: [handler] });
  const next = { ...settings, hooks: { ...events, PreToolUse: groups } };
  const text = `${JSON.stringify(next, null, 2)}\n`;
  if (text === before) return { file, unchanged: true };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.cavra-${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o644 });
  fs.renameSync(temp, file);
  return { file, unchanged: false };
}

/** Where Claude Code reads managed settings on this platform (the path tests override). */
export function defaultManagedDir(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return '/Library/Application Support/ClaudeCode';
  if (platform === 'win32') return 'C:\\Program Files\\ClaudeCode';
  return '/etc/claude-code';
}

/** CAVRA's own drop-in: managed-settings.d files are merged in name order (systemd-style). */
export const MANAGED_DROP_IN = '50-cavra.json';

/**
 * Writes CAVRA's managed-settings drop-in: the hook, `allowManagedHooksOnly` (hooks from
 * user and project settings are ignored, so the agent cannot add its own), and the sandbox
 * section. The file is CAVRA's alone, replaced whole; written atomically, mode 0644.
 */
export function installManagedSettings(managedDir: string, settings: Record<string, unknown>): SettingsChange {
  const file = path.join(managedDir, 'managed-settings.d', MANAGED_DROP_IN);
  const text = `${JSON.stringify(settings, null, 2)}\n`;
  let before: string | null = null;
  try {
    before = fs.readFileSync(file, 'utf8');
  } catch {
    // Not installed yet.
  }
  if (before === text) return { file, unchanged: true };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temp = `${file}.cavra-${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o644 });
  fs.renameSync(temp, file);
  return { file, unchanged: false };
}

export type HookPlacement = 'managed' | 'user' | 'project' | 'none';

function hasCavraHook(file: string): boolean {
  try {
    const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as { hooks?: { PreToolUse?: unknown } };
    const groups = settings.hooks?.PreToolUse;
    return (
      Array.isArray(groups) &&
      groups.some((group) => {
        const handlers = (group as { hooks?: unknown }).hooks;
        return Array.isArray(handlers) && handlers.some(isCavraHandler);
      })
    );
  } catch {
    return false;
  }
}

/** Settings files in a managed directory: the base file and the drop-ins. */
function managedFiles(managedDir: string): string[] {
  const dropIns = path.join(managedDir, 'managed-settings.d');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dropIns).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
  } catch {
    // No drop-in directory.
  }
  return [path.join(managedDir, 'managed-settings.json'), ...names.sort().map((name) => path.join(dropIns, name))];
}

/**
 * Where CAVRA's Claude Code hook is installed, strongest first. Only managed settings are
 * out of the agent's reach: user and project settings are files the agent can edit (and
 * project settings are in its workspace), so a hook found only there is the weaker posture.
 */
export function claudeCodeHookPlacement(options: { projectDir: string; userHome: string; managedDir: string }): {
  placement: HookPlacement;
  weaker: boolean;
  detail: string;
} {
  const managed = managedFiles(options.managedDir).find(hasCavraHook);
  if (managed) {
    let shielded = true;
    try {
      const stat = fs.statSync(managed);
      shielded = stat.uid === 0 && (stat.mode & 0o022) === 0;
    } catch {
      shielded = false;
    }
    return shielded
      ? { placement: 'managed', weaker: false, detail: `managed settings (${managed})` }
      : {
          placement: 'managed',
          weaker: true,
          detail: `managed settings (${managed}), but the file is not root-owned and write-protected, so the agent's user could change it`,
        };
  }
  const user = ['settings.json', 'settings.local.json']
    .map((name) => path.join(options.userHome, '.claude', name))
    .find(hasCavraHook);
  if (user) {
    return { placement: 'user', weaker: true, detail: `user settings only (${user}); the agent can edit them` };
  }
  const project = ['settings.json', 'settings.local.json']
    .map((name) => path.join(options.projectDir, '.claude', name))
    .find(hasCavraHook);
  if (project) {
    return {
      placement: 'project',
      weaker: true,
      detail: `project settings only (${project}): the agent can edit them; install into managed settings (cavra hook install claude-code --managed)`,
    };
  }
  return { placement: 'none', weaker: true, detail: 'no CAVRA hook found in Claude Code settings' };
}

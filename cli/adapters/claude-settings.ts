import fs from 'node:fs';
import path from 'node:path';
import { MANAGED_DROP_IN, cavraHookKind } from '../../core/health';

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
    const kept = handlers.filter((h) => cavraHookKind(h) === null);
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

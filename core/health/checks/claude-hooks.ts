import fs from 'node:fs';
import path from 'node:path';
import { HTTP_PATHS } from '../../gate';
import type { HealthContext } from '../check';

/** A CAVRA PreToolUse hook found in a Claude Code settings file. */
export interface InstalledHook {
  file: string;
  scope: 'managed' | 'user' | 'project';
  type: 'command' | 'http';
  /** http hooks: the port on 127.0.0.1 they post to. */
  port: number | null;
  /** The agent runs as this user: a file this user can change, the agent can change too. */
  agentWritable: boolean;
}

const MANAGED = {
  linux: '/etc/claude-code/managed-settings.json',
  darwin: '/Library/Application Support/ClaudeCode/managed-settings.json',
  win32: 'C:\\Program Files\\ClaudeCode\\managed-settings.json',
} as Record<string, string>;

function writable(file: string): boolean {
  for (const target of [file, path.dirname(file)]) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
      return true;
    } catch {
      // not this one
    }
  }
  return false;
}

function hooksIn(file: string, scope: InstalledHook['scope']): InstalledHook[] {
  let settings: unknown;
  try {
    settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const groups = (settings as { hooks?: { PreToolUse?: unknown } } | null)?.hooks?.PreToolUse;
  if (!Array.isArray(groups)) return [];
  const found: InstalledHook[] = [];
  for (const group of groups) {
    const handlers = (group as { hooks?: unknown } | null)?.hooks;
    if (!Array.isArray(handlers)) continue;
    for (const handler of handlers as { type?: unknown; command?: unknown; url?: unknown }[]) {
      if (
        handler?.type === 'command' &&
        typeof handler.command === 'string' &&
        /\bhook claude-code\b/.test(handler.command)
      ) {
        found.push({ file, scope, type: 'command', port: null, agentWritable: writable(file) });
      }
      if (handler?.type === 'http' && typeof handler.url === 'string' && handler.url.includes(HTTP_PATHS.claudeCode)) {
        let port: number | null = null;
        try {
          port = Number(new URL(handler.url).port) || null;
        } catch {
          port = null;
        }
        found.push({ file, scope, type: 'http', port, agentWritable: writable(file) });
      }
    }
  }
  return found;
}

/** Every CAVRA hook in the managed, user and project Claude Code settings the context names. */
export function installedHooks(context: HealthContext): InstalledHook[] {
  const files: [string, InstalledHook['scope']][] = [];
  const managed = MANAGED[process.platform];
  if (managed) files.push([managed, 'managed']);
  files.push([path.join(context.userHome, '.claude', 'settings.json'), 'user']);
  for (const project of context.projects) {
    files.push([path.join(project, '.claude', 'settings.json'), 'project']);
    files.push([path.join(project, '.claude', 'settings.local.json'), 'project']);
  }
  return files.flatMap(([file, scope]) => hooksIn(file, scope));
}

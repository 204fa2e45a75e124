import fs from 'node:fs';
import path from 'node:path';
import { HTTP_PATHS } from '../gate';

/*
 * Claude Code's settings files, in one place: where they are, how managed settings merge, and
 * which handlers are CAVRA's hook. The installer (cli/adapters/claude-settings.ts), `cavra
 * sandbox status` and `cavra doctor` all read them through this module.
 *
 * Documented behaviour this follows (code.claude.com/docs/en/settings): managed settings are
 * `managed-settings.json` plus the `*.json` drop-ins of `managed-settings.d/` (hidden files
 * ignored), merged in that order with the drop-ins sorted by name: a later scalar wins, arrays
 * are concatenated and de-duplicated, objects merge key by key. Nothing outside managed
 * settings can override them.
 */

/** Where Claude Code reads managed settings on this platform (tests point elsewhere). */
export function claudeManagedDir(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return '/Library/Application Support/ClaudeCode';
  if (platform === 'win32') return 'C:\\Program Files\\ClaudeCode';
  return '/etc/claude-code';
}

/** CAVRA's own drop-in in managed-settings.d. */
export const MANAGED_DROP_IN = '50-cavra.json';

export type HookKind = 'command' | 'http';

/** Which kind of CAVRA hook handler this is, if it is one (a re-install replaces exactly these). */
export function cavraHookKind(handler: unknown): HookKind | null {
  if (typeof handler !== 'object' || handler === null) return null;
  const h = handler as { type?: unknown; command?: unknown; url?: unknown };
  if (h.type === 'command' && typeof h.command === 'string' && /cavra(\.cjs)?'? hook claude-code\b/.test(h.command))
    return 'command';
  if (h.type === 'http' && typeof h.url === 'string' && h.url.endsWith(HTTP_PATHS.claudeCode)) return 'http';
  return null;
}

/** The managed settings files in merge order: the base file, then the drop-ins by name. */
export function managedSettingsFiles(managedDir: string): string[] {
  const dropIns = path.join(managedDir, 'managed-settings.d');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dropIns).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
  } catch {
    // No drop-in directory.
  }
  return [path.join(managedDir, 'managed-settings.json'), ...names.sort().map((name) => path.join(dropIns, name))];
}

export type SettingsScope = 'managed' | 'user' | 'project';

/** Every settings file Claude Code may read, strongest scope first. */
export function claudeSettingsFiles(options: {
  managedDir: string;
  userHome: string;
  projects: string[];
}): { file: string; scope: SettingsScope }[] {
  const local = (dir: string) =>
    ['settings.json', 'settings.local.json'].map((name) => path.join(dir, '.claude', name));
  return [
    ...managedSettingsFiles(options.managedDir).map((file) => ({ file, scope: 'managed' as const })),
    ...local(options.userHome).map((file) => ({ file, scope: 'user' as const })),
    ...options.projects.flatMap((project) => local(project).map((file) => ({ file, scope: 'project' as const }))),
  ];
}

type Read =
  { state: 'missing' } | { state: 'invalid'; reason: string } | { state: 'ok'; settings: Record<string, unknown> };

function readSettings(file: string): Read {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { state: 'missing' };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { state: 'invalid', reason: 'not a JSON object' };
    return { state: 'ok', settings: parsed as Record<string, unknown> };
  } catch (error) {
    return { state: 'invalid', reason: (error as Error).message };
  }
}

/** CAVRA hooks (PreToolUse) in one settings object. */
function hookKindsIn(settings: Record<string, unknown>): { kind: HookKind; handler: Record<string, unknown> }[] {
  const groups = (settings.hooks as { PreToolUse?: unknown } | undefined)?.PreToolUse;
  if (!Array.isArray(groups)) return [];
  const found: { kind: HookKind; handler: Record<string, unknown> }[] = [];
  for (const group of groups) {
    const handlers = (group as { hooks?: unknown } | null)?.hooks;
    if (!Array.isArray(handlers)) continue;
    for (const handler of handlers) {
      const kind = cavraHookKind(handler);
      if (kind) found.push({ kind, handler: handler as Record<string, unknown> });
    }
  }
  return found;
}

/** Whether the agent (running as this user) could change the file, or add one beside it. */
export function agentWritable(file: string): boolean {
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

/** Root-owned and writable by nobody else: what managed settings must be to mean anything. */
function shielded(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    const dir = fs.statSync(path.dirname(file));
    return stat.uid === 0 && (stat.mode & 0o022) === 0 && dir.uid === 0 && (dir.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** A CAVRA PreToolUse hook found in a Claude Code settings file. */
export interface InstalledHook {
  file: string;
  scope: SettingsScope;
  type: HookKind;
  /** http hooks: the port on 127.0.0.1 they post to. */
  port: number | null;
  /** The agent runs as this user: a file this user can change, the agent can change too. */
  agentWritable: boolean;
}

/** Every CAVRA hook in the managed (base and drop-ins), user and project settings named. */
export function installedHooks(options: { managedDir: string; userHome: string; projects: string[] }): InstalledHook[] {
  const found: InstalledHook[] = [];
  for (const { file, scope } of claudeSettingsFiles(options)) {
    const read = readSettings(file);
    if (read.state !== 'ok') continue;
    for (const { kind, handler } of hookKindsIn(read.settings)) {
      let port: number | null = null;
      if (kind === 'http') {
        try {
          port = Number(new URL(String(handler.url)).port) || null;
        } catch {
          port = null;
        }
      }
      // Managed settings are safe only root-owned and write-protected; the others are the user's own files.
      const writable = scope === 'managed' ? !shielded(file) : agentWritable(file);
      found.push({ file, scope, type: kind, port, agentWritable: writable });
    }
  }
  return found;
}

export type HookPlacement = 'managed' | 'user' | 'project' | 'none';

/**
 * Where CAVRA's Claude Code hook is installed, strongest first. Only root-owned managed
 * settings are out of the agent's reach: user and project settings are files the agent can
 * edit (project settings are in its workspace), so a hook found only there is weaker.
 */
export function claudeCodeHookPlacement(options: { projectDir: string; userHome: string; managedDir: string }): {
  placement: HookPlacement;
  weaker: boolean;
  detail: string;
} {
  const hooks = installedHooks({ ...options, projects: [options.projectDir] });
  const managed = hooks.find((hook) => hook.scope === 'managed');
  if (managed) {
    const weakenings = managedWeakenings(options.managedDir);
    if (managed.agentWritable) {
      return {
        placement: 'managed',
        weaker: true,
        detail: `managed settings (${managed.file}), but the file is not root-owned and write-protected, so the agent's user could change it`,
      };
    }
    if (weakenings.length > 0) {
      return {
        placement: 'managed',
        weaker: true,
        detail: `managed settings (${managed.file}), weakened: ${weakenings.map((w) => w.message).join('; ')}`,
      };
    }
    return { placement: 'managed', weaker: false, detail: `managed settings (${managed.file})` };
  }
  const user = hooks.find((hook) => hook.scope === 'user');
  if (user)
    return { placement: 'user', weaker: true, detail: `user settings only (${user.file}); the agent can edit them` };
  const project = hooks.find((hook) => hook.scope === 'project');
  if (project) {
    return {
      placement: 'project',
      weaker: true,
      detail: `project settings only (${project.file}): the agent can edit them; install into managed settings (cavra hook install claude-code --managed)`,
    };
  }
  return { placement: 'none', weaker: true, detail: 'no CAVRA hook found in Claude Code settings' };
}

/** Merged managed settings, with the file that last set each key path (for scalars). */
interface MergedSettings {
  value: Record<string, unknown>;
  /** key path ("sandbox.enabled") → the file whose value is in effect. */
  setBy: Map<string, string>;
  /** key path of an array → which file contributed each entry. */
  contributedBy: Map<string, Map<string, string>>;
  invalid: { file: string; reason: string }[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  file: string,
  prefix: string,
  merged: MergedSettings,
): void {
  for (const [key, value] of Object.entries(source)) {
    const keyPath = prefix ? `${prefix}.${key}` : key;
    const current = target[key];
    if (isObject(value)) {
      const next = isObject(current) ? current : {};
      target[key] = next;
      mergeInto(next, value, file, keyPath, merged);
    } else if (Array.isArray(value)) {
      const list = Array.isArray(current) ? current : [];
      const owners = merged.contributedBy.get(keyPath) ?? new Map<string, string>();
      for (const entry of value) {
        const id = JSON.stringify(entry);
        if (owners.has(id)) continue;
        owners.set(id, file);
        list.push(entry);
      }
      merged.contributedBy.set(keyPath, owners);
      target[key] = list;
    } else {
      target[key] = value;
    }
    merged.setBy.set(keyPath, file);
  }
}

export function mergedManagedSettings(managedDir: string): MergedSettings {
  const merged: MergedSettings = { value: {}, setBy: new Map(), contributedBy: new Map(), invalid: [] };
  for (const file of managedSettingsFiles(managedDir)) {
    const read = readSettings(file);
    if (read.state === 'invalid') merged.invalid.push({ file, reason: read.reason });
    if (read.state === 'ok') mergeInto(merged.value, read.settings, file, '', merged);
  }
  return merged;
}

/** Something in managed settings that undoes what CAVRA's managed install promises. */
export interface ManagedWeakening {
  key: string;
  /** The file that set it. */
  file: string;
  message: string;
}

function at(settings: Record<string, unknown>, keyPath: string): unknown {
  let value: unknown = settings;
  for (const key of keyPath.split('.')) value = isObject(value) ? value[key] : undefined;
  return value;
}

/** Scalars CAVRA's drop-in sets, with the value that keeps the hook and sandbox in force. */
const REQUIRED: { key: string; value: boolean; why: string }[] = [
  { key: 'disableAllHooks', value: false, why: 'every hook, CAVRA’s included, is turned off' },
  { key: 'allowManagedHooksOnly', value: true, why: 'hooks from user and project settings are honoured again' },
  { key: 'sandbox.enabled', value: true, why: 'the Bash sandbox is off' },
  { key: 'sandbox.failIfUnavailable', value: true, why: 'commands run unsandboxed when the sandbox cannot start' },
  { key: 'sandbox.allowUnsandboxedCommands', value: false, why: 'a command may ask to run outside the sandbox' },
  { key: 'sandbox.enableWeakerNestedSandbox', value: false, why: 'the sandbox runs in its weaker nested mode' },
  {
    key: 'sandbox.network.allowManagedDomainsOnly',
    value: true,
    why: 'user and project settings may allow more domains',
  },
  {
    key: 'sandbox.network.allowAllUnixSockets',
    value: false,
    why: 'every Unix socket (the gate’s, ssh-agent, docker) is reachable',
  },
];

/** Lists where anything but CAVRA's drop-in adding entries widens the boundary. */
const WIDENING_LISTS: { key: string; why: string }[] = [
  { key: 'sandbox.excludedCommands', why: 'runs outside the sandbox' },
  { key: 'sandbox.filesystem.allowWrite', why: 'becomes writable' },
  { key: 'sandbox.filesystem.allowRead', why: 'becomes readable inside a protected path' },
  { key: 'sandbox.network.allowedDomains', why: 'becomes reachable' },
  { key: 'sandbox.network.allowUnixSockets', why: 'becomes reachable' },
];

/**
 * What other managed settings files (a drop-in merged after CAVRA's, or the base file for a
 * key CAVRA's drop-in leaves unset) do to the hook and sandbox CAVRA installed. Empty when
 * CAVRA's managed install is absent: then there is nothing of ours to weaken (the placement
 * check reports that instead). An unreadable managed file is listed: Claude Code may skip it
 * or refuse to start, and nobody can tell what it meant to set.
 */
export function managedWeakenings(managedDir: string): ManagedWeakening[] {
  const ours = path.join(managedDir, 'managed-settings.d', MANAGED_DROP_IN);
  const merged = mergedManagedSettings(managedDir);
  const hookFiles = managedSettingsFiles(managedDir).filter((file) => {
    const read = readSettings(file);
    return read.state === 'ok' && hookKindsIn(read.settings).length > 0;
  });
  if (hookFiles.length === 0 && !fs.existsSync(ours)) return [];
  const found: ManagedWeakening[] = merged.invalid.map(({ file, reason }) => ({
    key: '(file)',
    file,
    message: `${file} is not valid settings (${reason})`,
  }));
  const sandboxed = isObject(at(merged.value, 'sandbox'));
  for (const rule of REQUIRED) {
    if (rule.key.startsWith('sandbox.') && !sandboxed) continue;
    const value = at(merged.value, rule.key);
    const setBy = merged.setBy.get(rule.key);
    // Unset means Claude Code's default: only the keys CAVRA writes must be present.
    if (value === undefined) {
      if (
        [
          'allowManagedHooksOnly',
          'sandbox.enabled',
          'sandbox.failIfUnavailable',
          'sandbox.allowUnsandboxedCommands',
        ].includes(rule.key)
      )
        found.push({ key: rule.key, file: ours, message: `${rule.key} is not set in managed settings: ${rule.why}` });
      continue;
    }
    if (value !== rule.value) {
      found.push({
        key: rule.key,
        file: setBy ?? ours,
        message: `${setBy ?? 'managed settings'} sets ${rule.key}: ${JSON.stringify(value)}, so ${rule.why}`,
      });
    }
  }
  for (const list of WIDENING_LISTS) {
    const owners = merged.contributedBy.get(list.key);
    if (!owners) continue;
    for (const [entry, file] of owners) {
      if (file === ours) continue;
      found.push({ key: list.key, file, message: `${file} adds ${entry} to ${list.key}: it ${list.why}` });
    }
  }
  return found;
}

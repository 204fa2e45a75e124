import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_APPROVAL_WAIT_MS, DEFAULT_HTTP_PORT, HTTP_PATHS } from '../../core/gate';
import { gateLocation } from '../../core/gate/client';
import { defaultHome } from '../../core/store';
import { claudeManagedDir } from '../../core/health';
import { installClaudeCodeHook, installManagedSettings } from '../adapters/claude-settings';
import type { ClaudeHookHandler } from '../adapters/claude-settings';
import { launcherPath } from '../adapters/launcher';
import { cavraCommand, shellQuote } from '../adapters/shell-quote';
import { runClaudeCodeHook } from '../hook/claude-code';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';
import { claudeCodeSandbox } from '../../core/containment';
import { parseProfile } from '../../core/containment/runner';

/**
 * The http hook cannot check who answers it: Claude Code posts the token to whatever listens
 * on the port. The command hook talks to a socket in a user-only directory instead.
 */
export const HTTP_HOOK_WARNING =
  'Warning: the http hook is for single-user machines. Claude Code sends the gate token to whatever\n' +
  "  listens on that loopback port, and cannot tell the gate from another local user's program that took\n" +
  '  the port first (it would get the token and could answer allow). The command hook (the default, without\n' +
  '  --http) talks to a socket in a directory only you can open. "cavra doctor" checks who holds the port.\n';

/** Seconds Claude Code gives the hook: the gate's approval wait plus time to answer. */
const HOOK_TIMEOUT_MARGIN_S = 30;

export const hookClaudeCode: Command = {
  name: 'hook claude-code',
  summary: 'Claude Code PreToolUse hook: hook input on stdin, decision on stdout (never exits 1)',
  usage: 'cavra hook claude-code',
  async run(args, io) {
    // bin/cavra.cjs normally runs the small hook bundle instead; this is the same code.
    if (args.length > 0) {
      io.stderr(`CAVRA denied this tool call: unexpected arguments ${args.join(' ')}\n`);
      return 2;
    }
    const result = await runClaudeCodeHook(io.readStdin(), io.env);
    io.stdout(result.stdout);
    io.stderr(result.stderr);
    return result.code;
  },
};

function endpointPort(home: string): number | null {
  try {
    const endpoint = JSON.parse(fs.readFileSync(gateLocation(home).endpoint, 'utf8')) as { http_port?: unknown };
    return typeof endpoint.http_port === 'number' ? endpoint.http_port : null;
  } catch {
    return null;
  }
}

export const hookInstallClaudeCode: Command = {
  name: 'hook install claude-code',
  summary: "Add CAVRA's PreToolUse hook to Claude Code settings (idempotent; other settings untouched)",
  usage:
    'cavra hook install claude-code [--project DIR | --user | --managed [--managed-dir DIR]] [--tenant T] [--http [--port N]] [--approval-wait SECONDS] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        project: { type: 'string' },
        user: { type: 'boolean' },
        http: { type: 'boolean' },
        port: { type: 'string' },
        'approval-wait': { type: 'string' },
        tenant: { type: 'string' },
        json: { type: 'boolean' },
        managed: { type: 'boolean' },
        'managed-dir': { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if ([values.project !== undefined, values.user, values.managed].filter(Boolean).length > 1)
      throw new UsageError('give one of --project DIR, --user or --managed');
    if (values['managed-dir'] !== undefined && !values.managed)
      throw new UsageError('--managed-dir applies to --managed only');
    if (values.port !== undefined && !values.http) throw new UsageError('--port applies to --http only');
    const tenant = values.tenant;
    if (tenant !== undefined && !/^[a-z][a-z0-9-]{0,62}$/.test(tenant))
      throw new UsageError('--tenant must be a tenant id');
    const home = defaultHome(io.env);
    const waitS =
      values['approval-wait'] === undefined ? DEFAULT_APPROVAL_WAIT_MS / 1000 : Number(values['approval-wait']);
    if (!Number.isInteger(waitS) || waitS < 1 || waitS > 86_400) {
      throw new UsageError('--approval-wait must be a whole number of seconds, 1–86400');
    }
    const timeout = waitS + HOOK_TIMEOUT_MARGIN_S;
    const file = values.user
      ? path.join(os.homedir(), '.claude', 'settings.json')
      : path.join(path.resolve(io.cwd, values.project ?? '.'), '.claude', 'settings.json');

    let handler: ClaudeHookHandler;
    if (values.http) {
      const port = values.port === undefined ? (endpointPort(home) ?? DEFAULT_HTTP_PORT) : Number(values.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be 1–65535');
      handler = {
        type: 'http',
        url: `http://127.0.0.1:${port}${HTTP_PATHS.claudeCode}`,
        // Claude Code fills this from its environment; the token never goes into the file.
        headers: {
          Authorization: 'Bearer $CAVRA_GATE_TOKEN',
          ...(tenant ? { 'X-Cavra-Tenant': tenant } : {}),
        },
        allowedEnvVars: ['CAVRA_GATE_TOKEN'],
        timeout,
        onFailure: 'block',
      };
    } else {
      handler = {
        type: 'command',
        command: `${tenant ? `CAVRA_TENANT=${tenant} ` : ''}${cavraCommand(launcherPath(), home, ['hook', 'claude-code'])}`,
        timeout,
        onFailure: 'block',
      };
    }
    if (values.managed) {
      const managedDir = path.resolve(
        io.cwd,
        values['managed-dir'] ?? (io.env.CAVRA_CLAUDE_MANAGED_DIR || claudeManagedDir()),
      );
      return installManaged(io, { managedDir, handler, tenant, json: values.json === true });
    }
    const change = installClaudeCodeHook(file, handler);
    if (values.json) {
      io.stdout(jsonText({ ...change, handler }));
      return 0;
    }
    io.stdout(
      `${change.unchanged ? 'Already installed' : 'Installed'}: CAVRA PreToolUse ${handler.type} hook in ${change.file}\n`,
    );
    io.stdout(
      '  Every tool call is judged by the CAVRA gate (start it with "cavra gate serve", or open the console);\n' +
        '  when the gate cannot answer, the call is blocked.\n',
    );
    if (values.http) {
      io.stdout(
        `  Claude Code sends the gate token from CAVRA_GATE_TOKEN; set it where Claude Code runs:\n` +
          `    export CAVRA_GATE_TOKEN="$(cat ${shellQuote(gateLocation(home).token)})"\n`,
      );
      io.stderr(HTTP_HOOK_WARNING);
    }
    return 0;
  },
};

/**
 * `--managed`: hook and sandbox into Claude Code's managed settings, which neither the user
 * nor the agent can override, with `allowManagedHooksOnly` so hooks from their settings are
 * ignored. The sandbox section holds what applies to every project (home and absolute
 * paths, network); `cavra sandbox export` adds a project's own paths.
 */
async function installManaged(
  io: Parameters<Command['run']>[1],
  options: { managedDir: string; handler: ClaudeHookHandler; tenant: string | undefined; json: boolean },
): Promise<number> {
  // Managed settings hold no workspace: compile against an empty one and keep what is not workspace-relative.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-managed-'));
  let sandbox: Record<string, unknown>;
  try {
    sandbox = await withTenant(io, options.tenant, async (client, tenant) => {
      const view = await client.call('containment.profile', { cwd: scratch }, { tenant });
      return { ...claudeCodeSandbox(parseProfile(view.profile), { workspaceMatches: [], managed: true }) };
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const settings = {
    allowManagedHooksOnly: true,
    hooks: { PreToolUse: [{ matcher: '*', hooks: [options.handler] }] },
    sandbox,
  };
  let change;
  try {
    change = installManagedSettings(options.managedDir, settings);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      io.stderr(
        `cavra hook install claude-code: writing Claude Code's managed settings in ${options.managedDir} needs root.\n` +
          '  Run it as root: sudo cavra hook install claude-code --managed\n' +
          '  (managed settings must be owned by root, so that neither you nor the agent can change them)\n',
      );
      return 1;
    }
    throw error;
  }
  const stat = fs.statSync(change.file);
  const exposed = stat.uid !== 0 || (fs.statSync(path.dirname(change.file)).mode & 0o022) !== 0;
  if (options.json) {
    io.stdout(jsonText({ ...change, settings, rootOwned: !exposed }));
    return 0;
  }
  io.stdout(
    `${change.unchanged ? 'Already installed' : 'Installed'}: CAVRA hook and sandbox in Claude Code managed settings ${change.file}\n`,
  );
  io.stdout(
    '  allowManagedHooksOnly is set: hooks in user and project settings are ignored, and these cannot be overridden.\n' +
      '  The sandbox is required (failIfUnavailable) and has no escape hatch (allowUnsandboxedCommands: false).\n',
  );
  if (exposed) {
    io.stderr(
      `  Warning: ${change.file} is not owned by root with a root-only directory; the agent's user could change it. Install as root for the protection managed settings promise.\n`,
    );
  }
  return 0;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateFixture } from '../../core/gate/testing';
import type { GateFixture } from '../../core/gate/testing';
import { buildCliForTests, cavra } from '../adapters/testing';
import type { CliBuild } from '../adapters/testing';

let cli: CliBuild;
let fx: GateFixture;
let workspace: string;

beforeAll(async () => {
  [cli, fx] = await Promise.all([buildCliForTests(), gateFixture({ approvalWaitMs: 400 })]);
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-claude-ws-'));
}, 60_000);
afterAll(async () => {
  await fx?.close();
  cli?.remove();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

/** A PreToolUse hook input as Claude Code sends it (fields per the hooks reference). */
function payload(tool: string, input: Record<string, unknown>, n: number) {
  return {
    session_id: 'b7c1e6f0-claude-session',
    transcript_path: '/home/dev/.claude/projects/payments/b7c1e6f0.jsonl',
    cwd: workspace,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: input,
    tool_use_id: `toolu_01A${n}`,
  };
}

async function hook(input: unknown) {
  const result = await cavra(cli, fx.home, ['hook', 'claude-code'], {
    input: typeof input === 'string' ? input : JSON.stringify(input),
  });
  const output = result.stdout.trim() === '' ? null : (JSON.parse(result.stdout) as Record<string, unknown>);
  return { ...result, output };
}

describe('cavra hook claude-code', () => {
  const cases: [string, string, Record<string, unknown>, 'allow' | 'deny', RegExp][] = [
    [
      'Bash: an everyday command',
      'Bash',
      { command: 'npm test', description: 'Run tests' },
      'allow',
      /js\.package-scripts/,
    ],
    ['Bash: git status', 'Bash', { command: 'git status' }, 'allow', /git\.command/],
    ['Bash: rm -rf ~', 'Bash', { command: 'rm -rf ~' }, 'deny', /destroy\.rm-root-or-home/],
    ['Bash: rm -rf ~ dressed up', 'Bash', { command: 'cd /tmp && sudo /bin/rm -r -f "$HOME"' }, 'deny', /rm/],
    ['Read: a source file', 'Read', { file_path: 'src/index.ts' }, 'allow', /files\.workspace-read/],
    ['Read: .env', 'Read', { file_path: '.env' }, 'deny', /secrets\.env-read/],
    ['LS: a source directory', 'LS', { path: 'src' }, 'allow', /files\.workspace-read/],
    ['Grep: inside .env files', 'Grep', { pattern: 'KEY', path: 'config', glob: '.env' }, 'deny', /secrets/],
    ['Write: a source file', 'Write', { file_path: 'src/app.ts', content: 'export {};\n' }, 'allow', /CAVRA allow/],
    [
      'Edit: a CI workflow',
      'Edit',
      { file_path: '.github/workflows/ci.yml', old_string: 'on: push', new_string: 'on: [push]' },
      'deny',
      /cicd\.github-actions/,
    ],
    [
      'MultiEdit: a CI workflow',
      'MultiEdit',
      { file_path: '.github/workflows/release.yml', edits: [{ old_string: 'a', new_string: 'b' }] },
      'deny',
      /cicd\.github-actions/,
    ],
    [
      'an MCP tool of an untrusted server',
      'mcp__filesystem__read_text_file',
      { path: 'README.md' },
      'deny',
      /mcp\.untrusted-server/,
    ],
    [
      'a tool CAVRA does not map (tenant default)',
      'WebFetch',
      { url: 'https://example.com' },
      'deny',
      /tenant default/,
    ],
  ];

  it.each(cases)('%s: %s', async (_name, tool, input, expected, rule) => {
    const result = await hook(
      payload(
        tool,
        input,
        cases.findIndex((c) => c[1] === tool && c[2] === input),
      ),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(Object.keys(result.output ?? {})).toEqual(['hookSpecificOutput']);
    const out = (result.output as { hookSpecificOutput: Record<string, unknown> }).hookSpecificOutput;
    expect(Object.keys(out)).toEqual(['hookEventName', 'permissionDecision', 'permissionDecisionReason']);
    expect(out.hookEventName).toBe('PreToolUse');
    expect(out.permissionDecision).toBe(expected);
    expect(String(out.permissionDecisionReason)).toMatch(rule);
  });

  it('allows an MCP tool once its server is trusted for it', async () => {
    await fx.core.gateHost.mcp.trust(fx.tenant, 'docs', ['search'], 'local:evaluator');
    const allowed = await hook(payload('mcp__docs__search', { query: 'hooks' }, 90));
    expect(allowed.output).toMatchObject({ hookSpecificOutput: { permissionDecision: 'allow' } });
    const other = await hook(payload('mcp__docs__delete_page', { page: 'x' }, 91));
    expect(other.output).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny' } });
  });

  it('exits 2 with the reason on stderr, never 1, when the input is bad or the gate is away', async () => {
    const results = await Promise.all([
      hook('this is not json'),
      hook('[1,2]'),
      hook(Buffer.alloc(11 * 1024 * 1024, 'a').toString()),
      cavra(cli, path.join(workspace, 'no-cavra-here'), ['hook', 'claude-code'], {
        input: JSON.stringify(payload('Bash', { command: 'ls' }, 1)),
      }),
    ]);
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^CAVRA denied this tool call: .+/);
    }
    expect(results[2]?.stderr).toMatch(/larger than/);
    expect(results[3]?.stderr).toMatch(/gate/);
  });

  it('runs from a bundle that loads only Node built-ins', () => {
    const bundle = fs.readFileSync(
      path.join(path.dirname(cli.launcher), '..', 'dist', 'cli', 'hook-claude-code.cjs'),
      'utf8',
    );
    const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    expect(required.every((name) => name?.startsWith('node:'))).toBe(true);
  });
});

describe('cavra hook install claude-code', () => {
  it('merges into .claude/settings.json, keeps everything else, and is idempotent', async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-claude-project-'));
    try {
      const file = path.join(project, '.claude', 'settings.json');
      fs.mkdirSync(path.dirname(file));
      const existing = {
        model: 'opus',
        permissions: { allow: ['Bash(npm test)'] },
        hooks: {
          PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './lint-guard.sh' }] }],
          PostToolUse: [{ matcher: 'Write', hooks: [{ type: 'command', command: 'prettier --write' }] }],
        },
      };
      fs.writeFileSync(file, JSON.stringify(existing));
      const first = await cavra(cli, fx.home, ['hook', 'install', 'claude-code', '--project', project]);
      expect(first.code, first.stderr).toBe(0);
      const once = fs.readFileSync(file, 'utf8');
      const second = await cavra(cli, fx.home, ['hook', 'install', 'claude-code', '--project', project]);
      expect(second.stdout).toMatch(/Already installed/);
      expect(fs.readFileSync(file, 'utf8')).toBe(once);
      const settings = JSON.parse(once) as typeof existing & { hooks: { PreToolUse: unknown[] } };
      expect(settings.model).toBe('opus');
      expect(settings.permissions).toEqual(existing.permissions);
      expect(settings.hooks.PostToolUse).toEqual(existing.hooks.PostToolUse);
      expect(settings.hooks.PreToolUse[0]).toEqual(existing.hooks.PreToolUse[0]);
      const cavraGroup = settings.hooks.PreToolUse[1] as { matcher: string; hooks: Record<string, unknown>[] };
      expect(cavraGroup.matcher).toBe('*');
      expect(cavraGroup.hooks[0]).toMatchObject({ type: 'command', onFailure: 'block', timeout: 150 });
      expect(String(cavraGroup.hooks[0]?.command)).toMatch(/^NODE_EXTRA_CA_CERTS='' CAVRA_HOME=.+ hook claude-code$/);

      // The installed command is what Claude Code will run: it must work as written.
      const command = String(cavraGroup.hooks[0]?.command);
      const run = await (
        await import('../adapters/testing')
      ).run('/bin/sh', ['-c', command], {
        input: JSON.stringify(payload('Bash', { command: 'ls' }, 7)),
      });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'allow' } });

      const http = await cavra(cli, fx.home, ['hook', 'install', 'claude-code', '--project', project, '--http']);
      expect(http.code, http.stderr).toBe(0);
      expect(http.stdout).not.toContain(fs.readFileSync(path.join(fx.home, 'gate', 'token'), 'utf8').trim());
      // Issue 8 item 4: the http hook is for single-user machines; the command hook is the default.
      expect(http.stderr).toMatch(/http hook is for single-user machines/);
      expect(http.stderr).toMatch(/command hook \(the default/);
      const withHttp = JSON.parse(fs.readFileSync(file, 'utf8')) as { hooks: { PreToolUse: { hooks: unknown[] }[] } };
      expect(withHttp.hooks.PreToolUse).toHaveLength(2);
      expect(withHttp.hooks.PreToolUse[1]?.hooks[0]).toEqual({
        type: 'http',
        url: fx.gate.claudeCodeHookUrl,
        headers: { Authorization: 'Bearer $CAVRA_GATE_TOKEN' },
        allowedEnvVars: ['CAVRA_GATE_TOKEN'],
        timeout: 150,
        onFailure: 'block',
      });
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it('refuses a settings file that is not JSON and leaves it alone', async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-claude-project-'));
    try {
      const file = path.join(project, '.claude', 'settings.json');
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{ "model": "opus", ');
      const result = await cavra(cli, fx.home, ['hook', 'install', 'claude-code', '--project', project]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/not valid JSON/);
      expect(fs.readFileSync(file, 'utf8')).toBe('{ "model": "opus", ');
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});

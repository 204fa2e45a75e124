import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionSchema } from '../contract';
import type { ActionInput } from '../contract';
import { normalizeAction } from '../normalize';
import { toDecision } from './decisions';
import { evaluate } from './evaluate';
import { loadPack } from './load';
import { buildIndex } from './policy-index';

// The decision's action summary, from the real normalizer and the built-in packs: what the
// console's decision card shows must be what the policy judged, part by part.
const packsDir = path.resolve(__dirname, '../../policy-packs');
const index = buildIndex(
  fs
    .readdirSync(packsDir)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => loadPack(fs.readFileSync(path.join(packsDir, name), 'utf8'), name, os.homedir()).compiled),
  { decision: 'require_approval', severity: 'medium', reason: 'tenant default', approvalRoute: null, packId: null },
);
const cwd = '/srv/cavra-summary-tests/app';

function decide(input: Omit<ActionInput, 'cwd'>) {
  const normalized = normalizeAction(actionSchema.parse({ cwd, ...input }));
  return toDecision(evaluate(index, normalized), normalized, { tenant: 't', tenantMode: 'enforce', now: new Date() });
}

describe('the action summary in a decision', () => {
  it('names each simple command with its arguments and the file it reads with the rule that protects it', () => {
    const decision = decide({ type: 'execute_command', command: "sudo bash -c 'cat config/.env | base64'" });
    const action = decision.action;
    expect(action?.commands.map((c) => [c.program, c.args])).toEqual(
      expect.arrayContaining([
        ['cat', ['config/.env']],
        ['base64', []],
      ]),
    );
    const cat = action?.commands.find((c) => c.program === 'cat');
    expect(cat?.wrappers).toEqual(expect.arrayContaining(['sudo']));
    expect(cat?.depth).toBeGreaterThan(0);
    const env = action?.files.find((f) => f.path === 'config/.env');
    expect(env).toMatchObject({ access: 'read', outside_workspace: false, via: 'cat' });
    expect(env?.rules.length).toBeGreaterThan(0);
    // The winner is among the rules the card shows next to the file.
    expect(env?.rules.map((r) => r.rule)).toContain(decision.explanation.winner);
    expect(decision.decision).toBe('deny');
  });

  it('shows a forced push with its refs and the rule that matched it', () => {
    const decision = decide({ type: 'git_operation', git: { args: ['push', '--force', 'origin', 'HEAD:main'] } });
    const push = decision.action?.git[0];
    expect(push).toMatchObject({ subcommand: 'push', remote: 'origin', force: true });
    expect(push?.refs).toEqual([{ src: 'HEAD', dst: 'main', force: true, delete: false }]);
    expect(push?.rules.length).toBeGreaterThan(0);
  });

  it('keeps MCP argument values and environment assignments out', () => {
    const mcp = decide({
      type: 'mcp_tool_call',
      mcp: { server: 'github', tool: 'create_issue', arguments: { title: 'hello', body: 'token ghp_secretvalue' } },
    });
    expect(mcp.action?.mcp).toMatchObject({
      server: 'github',
      tool: 'create_issue',
      argument_names: ['title', 'body'],
    });
    expect(JSON.stringify(mcp.action)).not.toContain('ghp_secretvalue');
    const env = decide({ type: 'execute_command', command: 'API_TOKEN=s3cr3t-value npm test' });
    expect(JSON.stringify(env.action)).not.toContain('s3cr3t-value');
  });

  it('bounds what an oversized action puts in the record', () => {
    const long = Array.from({ length: 100 }, (_, i) => `echo ${i}`).join('; ');
    const action = decide({ type: 'execute_command', command: long }).action;
    expect(action?.commands.length).toBeLessThanOrEqual(32);
    expect(action?.truncated).toBe(true);
  });
});

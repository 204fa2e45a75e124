import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionSchema } from '../contract';
import type { ActionInput } from '../contract';
import { normalizeAction } from '../normalize';
import { convertCommunityPack, isCommunityFormat } from './community';
import type { DefaultOutcome } from './compile';
import { evaluate } from './evaluate';
import { loadPack } from './load';
import { runPackTests } from './pack-tests';
import { buildIndex } from './policy-index';
import { parse } from 'yaml';

const fixture = fs.readFileSync(path.join(__dirname, 'fixtures/community-baseline.yaml'), 'utf8');
const conversion = convertCommunityPack(fixture);
const pack = loadPack(conversion.yaml, 'converted.yaml', os.homedir());
const tenantDefault: DefaultOutcome = {
  decision: 'require_approval',
  severity: 'medium',
  reason: 'tenant default',
  approvalRoute: null,
  packId: null,
};
const index = buildIndex([pack.compiled], tenantDefault);

function decide(input: ActionInput) {
  const action = actionSchema.parse({ cwd: '/srv/ce-import/app', ...input });
  return evaluate(index, normalizeAction(action)).decision;
}
const run = (command: string) => decide({ type: 'execute_command', command });

describe('Community-Edition import', () => {
  it('recognises the section format and keeps the pack identity', () => {
    expect(isCommunityFormat(parse(fixture))).toBe(true);
    expect(
      isCommunityFormat(parse(fs.readFileSync(path.join(__dirname, '../../policy-packs/cavra-baseline.yaml'), 'utf8'))),
    ).toBe(false);
    expect(pack.document).toMatchObject({ id: 'acme-agent-baseline', version: '0.3.0', mode: 'enforce' });
    expect(pack.document.trusted_mcp_servers).toEqual(['github-enterprise', 'jira-enterprise']);
  });

  it('reports exactly what it could not convert', () => {
    expect(conversion.unconverted.map((note) => note.key)).toEqual([
      'approvals',
      'compliance',
      'commands.block[8]',
      'git.require_pull_request',
      'git.require_ai_attestation',
      'mcp.risk_scoring',
    ]);
    expect(conversion.notes.map((note) => note.key)).toEqual(['filesystem', 'commands.allow_with_attestation']);
  });

  it('passes the tests it derives from its own lists', () => {
    const report = runPackTests(pack.compiled, (action) => normalizeAction(action));
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThan(30);
  });

  it.each([
    [{ type: 'read_file', path: '.env' }, 'deny'],
    [{ type: 'read_file', path: 'config/secrets.yaml' }, 'deny'],
    [{ type: 'read_file', path: 'src/app.py' }, 'allow'],
    [{ type: 'write_file', path: '.github/workflows/ci.yml' }, 'deny'],
    [{ type: 'write_file', path: 'iam/roles.tf' }, 'require_approval'],
    [{ type: 'write_file', path: 'src/app.py' }, 'allow'],
    [{ type: 'execute_command', command: 'terraform apply -auto-approve' }, 'deny'],
    [{ type: 'execute_command', command: 'sudo terraform -chdir=infra apply' }, 'deny'],
    [{ type: 'execute_command', command: 'terraform plan' }, 'allow'],
    [{ type: 'execute_command', command: 'kubectl apply -f x.yaml --context prod-eu' }, 'deny'],
    [{ type: 'execute_command', command: 'kubectl apply -f x.yaml --context dev' }, 'require_approval'],
    [{ type: 'execute_command', command: 'git push --force-with-lease origin feature/x' }, 'deny'],
    [{ type: 'execute_command', command: 'npm test -- --watch=false' }, 'allow'],
    [{ type: 'execute_command', command: 'npm publish' }, 'require_approval'],
    [{ type: 'execute_command', command: 'make' }, 'allow'],
    [{ type: 'execute_command', command: 'make deploy' }, 'require_approval'],
    [{ type: 'execute_command', command: 'gh pr create --fill' }, 'allow'],
    [{ type: 'execute_command', command: 'some-unlisted-tool' }, 'require_approval'],
    [{ type: 'git_operation', git: { args: ['push', 'origin', 'main'] } }, 'deny'],
    [{ type: 'git_operation', git: { args: ['push', 'origin', 'release/1.4'] } }, 'deny'],
    [{ type: 'git_operation', git: { args: ['push', 'origin', 'feature/ce'] } }, 'allow'],
    [{ type: 'mcp_tool_call', mcp: { server: 'github-enterprise', tool: 'create_issue', arguments: {} } }, 'allow'],
    [{ type: 'mcp_tool_call', mcp: { server: 'public-browser-mcp', tool: 'open', arguments: {} } }, 'deny'],
    [{ type: 'mcp_tool_call', mcp: { server: 'someone-elses-mcp', tool: 'read', arguments: {} } }, 'deny'],
  ] as const)('judges %j as CE intends: %s', (action, expected) => {
    expect(decide(action as ActionInput)).toBe(expected);
  });

  it('maps audit_only to shadow mode and fills sensible identity defaults', () => {
    const converted = convertCommunityPack('metadata: { mode: audit_only }\ncommands: { block: ["rm -rf*"] }\n');
    const loaded = loadPack(converted.yaml, 'x', os.homedir());
    expect(loaded.document).toMatchObject({ id: 'community-import', version: '0.0.0', mode: 'shadow' });
    expect(run('echo unrelated')).toBe('require_approval');
  });
});

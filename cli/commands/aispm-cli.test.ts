import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoLicense } from '../../test/support/demo-license';
import { tempHome } from '../../test/support/temp-home';

// `cavra aispm` as a user runs it: the built CLI on a temporary CAVRA_HOME whose ledger holds
// real decisions written by `cavra evaluate` (built by the test global setup).
const root = path.resolve(import.meta.dirname, '../..');
let home: { home: string; cleanup: () => void };

function cavra(args: string[], input = '') {
  const result = spawnSync(process.execPath, [path.join(root, 'bin/cavra.cjs'), ...args], {
    env: { ...process.env, CAVRA_HOME: home.home },
    input,
    cwd: root,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T>(args: string[]): T {
  const result = cavra([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

interface Lag {
  cursor: number;
  ledgerSize: number;
  behindRecords: number;
}

beforeAll(() => {
  home = tempHome();
  // AISPM is an Enterprise feature: the tenant holds a (demo) license, imported as a user would.
  const license = path.join(home.home, 'license.json');
  fs.writeFileSync(license, demoLicense({ tenant: 'evaluation' }));
  expect(cavra(['login', '--local-evaluation']).code).toBe(0);
  const imported = cavra(['license', 'import', license]);
  expect(imported.code, imported.stderr).toBe(0);
  // One denial (secrets), one allow (a runtime command), one approval-gated (infrastructure).
  expect(cavra(['evaluate'], '{"type":"read_file","path":"config/../.env"}').code).toBe(2);
  expect(cavra(['evaluate'], '{"type":"execute_command","command":"npm test"}').code).toBe(0);
  expect(cavra(['evaluate'], '{"type":"execute_command","command":"terraform apply -auto-approve"}').code).toBe(3);
}, 60_000);
afterAll(() => home.cleanup());

describe('cavra aispm', () => {
  it('status --json reads the ledger to its tail and scores what it found', () => {
    const posture = json<{
      score: number;
      riskLevel: string;
      openFindings: { critical: number; high: number };
      coverage: { surfaces: { surface: string; state: string }[] };
      ingestion: Lag;
    }>(['aispm', 'status']);
    expect(posture.ingestion.behindRecords).toBe(0);
    expect(posture.ingestion.cursor).toBe(posture.ingestion.ledgerSize);
    expect(posture.ingestion.ledgerSize).toBeGreaterThanOrEqual(3);
    expect(posture.score).toBeGreaterThan(0);
    expect(posture.score).toBeLessThan(100);
    expect(posture.openFindings.high + posture.openFindings.critical).toBeGreaterThan(0);
    const states = Object.fromEntries(posture.coverage.surfaces.map((s) => [s.surface, s.state]));
    expect(states).toMatchObject({ secrets: 'enforced', infrastructure: 'approval_gated', mcp_tools: 'not_observed' });
  });

  it('status without --json says the score, the risk and the ingestion state in words', () => {
    const result = cavra(['aispm', 'status']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^evaluation: posture \d+(\.\d+)? of 100, (low|medium|high|critical) risk/);
    expect(result.stdout).toContain('(caught up)');
  });

  it('findings --json lists the denial and the approval-gated action, and filters by severity and owner', () => {
    const all = json<{ findings: { title: string; kind: string; severity: string }[]; total: number }>([
      'aispm',
      'findings',
    ]);
    const titles = all.findings.map((f) => f.title);
    expect(titles).toContain('Denied by cavra-secrets/secrets.env-read');
    expect(titles.some((t) => t.includes('cavra-infrastructure/'))).toBe(true);
    expect(all.total).toBe(all.findings.length);
    const low = json<{ findings: { severity: string }[] }>(['aispm', 'findings', '--severity', 'low']);
    expect(low.findings.every((f) => f.severity === 'low')).toBe(true);
    const owned = json<{ findings: unknown[] }>(['aispm', 'findings', '--owner', 'nobody@acme.example']);
    expect(owned.findings).toEqual([]);
  });

  it('coverage --json gives a row per repository and agent with every surface', () => {
    const coverage = json<{ surfaces: string[]; rows: { cells: Record<string, { state: string }> }[] }>([
      'aispm',
      'coverage',
    ]);
    expect(coverage.surfaces).toEqual(
      expect.arrayContaining(['secrets', 'infrastructure', 'source_control', 'cicd', 'mcp_tools', 'runtime_commands']),
    );
    expect(coverage.rows.length).toBeGreaterThan(0);
    for (const row of coverage.rows) expect(Object.keys(row.cells).sort()).toEqual([...coverage.surfaces].sort());
    expect(coverage.rows.some((row) => row.cells.secrets?.state === 'enforced')).toBe(true);
  });

  it('refuses a value it does not know, naming the option, and a tenant that does not exist', () => {
    const bad = cavra(['aispm', 'findings', '--severity', 'urgent']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--severity: "urgent"');
    const status = cavra(['aispm', 'findings', '--status', 'open,closed']);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('--status: "closed"');
    const tenant = cavra(['aispm', 'status', '--tenant', 'no-such-tenant', '--json']);
    expect(tenant.code).not.toBe(0);
    expect(tenant.stdout).toBe('');
    expect(tenant.stderr).toMatch(/no-such-tenant/);
  });
});

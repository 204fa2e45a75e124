import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home';

// The built CLI that `npx cavra` runs, on a temporary CAVRA_HOME (built by the test global setup).
const root = path.resolve(import.meta.dirname, '../..');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

function home(): string {
  const temp = tempHome();
  cleanups.push(temp.cleanup);
  return temp.home;
}

function cavra(args: string[], options: { home: string; input?: string; cwd?: string }) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin/cavra.cjs'), ...args], {
    env: { ...process.env, CAVRA_HOME: options.home },
    input: options.input ?? '',
    cwd: options.cwd ?? root,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cavra evaluate', () => {
  it('denies reading config/../.env with exit 2 and the Decision JSON', () => {
    const result = cavra(['evaluate'], { home: home(), input: '{"type":"read_file","path":"config/../.env"}' });
    expect(result.code).toBe(2);
    const decision = JSON.parse(result.stdout) as {
      decision: string;
      target: string;
      evidence_ref: string | null;
      explanation: { winner: string };
    };
    expect(decision).toMatchObject({ decision: 'deny', target: '.env' });
    expect(decision.explanation.winner).toBe('cavra-secrets/secrets.env-read');
    expect(decision.evidence_ref).toMatch(/#\d+$/);
  });

  it('does not allow sudo terraform apply (exit 3: approval)', () => {
    const action = {
      type: 'execute_command',
      command: 'sudo /usr/local/bin/terraform -chdir=infra apply -auto-approve',
    };
    const result = cavra(['evaluate'], { home: home(), input: JSON.stringify(action) });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: 'require_approval', approval: { state: 'pending' } });
  });

  it('allows npm test (exit 0), and a dry run records nothing', () => {
    const input = '{"type":"execute_command","command":"npm test"}';
    const data = home();
    const real = cavra(['evaluate'], { home: data, input });
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ decision: 'allow' });
    const dry = cavra(['evaluate', '--dry-run', '--tenant', 'evaluation'], { home: data, input });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ decision: 'allow', evidence_ref: null });
  });

  it('exits 1 naming the problem for malformed JSON, a missing field or an unknown tenant', () => {
    const data = home();
    const malformed = cavra(['evaluate'], { home: data, input: '{"type":"read_file",\n "path": }' });
    expect(malformed.code).toBe(1);
    expect(malformed.stdout).toBe('');
    expect(malformed.stderr).toContain('stdin is not valid JSON: line 2, column 10: `}` where a value belongs');
    const missing = cavra(['evaluate'], { home: data, input: '{"type":"read_file"}' });
    expect([missing.code, missing.stderr.trim()]).toEqual([1, 'cavra evaluate: path: is required for read_file']);
    const type = cavra(['evaluate'], { home: data, input: '{"type":"launch_missiles"}' });
    expect(type.code).toBe(1);
    expect(type.stderr).toMatch(/type: /);
    const empty = cavra(['evaluate'], { home: data, input: '' });
    expect([empty.code, empty.stderr]).toEqual([1, 'cavra evaluate: stdin is empty: give the Action JSON on stdin\n']);
    const tenant = cavra(['evaluate', '--tenant', 'nobody'], {
      home: data,
      input: '{"type":"execute_command","command":"ls"}',
    });
    expect(tenant.code).toBe(1);
    expect(tenant.stderr).toContain('nobody');
  });
});

describe('cavra policy', () => {
  it('test passes every built-in pack', () => {
    const result = cavra(['policy', 'test'], { home: home() });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => /^(PASS|FAIL) /.test(line));
    expect(lines).toHaveLength(
      fs.readdirSync(path.join(root, 'policy-packs')).filter((n) => n.endsWith('.yaml')).length,
    );
    expect(lines.every((line) => line.startsWith('PASS '))).toBe(true);
    expect(result.stdout).toMatch(/\d+ packs: \d+ passed, 0 failed/);
  });

  it('test fails with a readable report when a pack test fails, and validate gives file:line:column', () => {
    const data = home();
    const file = path.join(data, 'acme.yaml');
    fs.writeFileSync(
      file,
      'id: acme\nversion: 1.0.0\ndescription: d\nrules:\n  - { id: r, commands: [frob], decision: deny, reason: no }\ntests:\n  - { name: frob is allowed, action: { type: execute_command, command: frob }, expect: allow }\n',
    );
    const failing = cavra(['policy', 'test', file], { home: data });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('FAIL acme 1.0.0  0/1 tests');
    expect(failing.stdout).toContain('✗ frob is allowed: expected allow, got deny from rule r');
    expect(cavra(['policy', 'validate', file], { home: data }).stdout).toBe(
      'ok: acme 1.0.0 (enforce): 1 rules, 1 tests, unsigned\n',
    );

    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('decision: deny', 'decision: nope'));
    const invalid = cavra(['policy', 'validate', file], { home: data });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(new RegExp(`^${file.replace(/[/.]/g, '\\$&')}:5:\\d+: rules\\[0\\]\\.decision: `));
  });

  it('imports a Community-Edition pack with a report, writes it with --out, and installs it', () => {
    const data = home();
    const fixture = path.join(root, 'core/policy/fixtures/community-baseline.yaml');
    expect(cavra(['login', '--local-evaluation'], { home: data }).code).toBe(0);
    const printed = cavra(['policy', 'import', fixture], { home: data });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('id: acme-agent-baseline');
    expect(printed.stderr).toMatch(/^Converted acme-agent-baseline 0\.3\.0: \d+ rules, (\d+)\/\1 tests pass/);
    expect(printed.stderr).toContain('not converted: git.require_pull_request');
    const out = path.join(data, 'converted.yaml');
    expect(cavra(['policy', 'import', fixture, '--out', out], { home: data }).code).toBe(0);
    expect(cavra(['policy', 'validate', out], { home: data }).stdout).toMatch(/^ok: acme-agent-baseline 0\.3\.0/);
    const installed = cavra(['policy', 'import', fixture, '--install'], { home: data });
    expect(installed.code).toBe(0);
    expect(installed.stderr).toContain('Installed acme-agent-baseline 0.3.0 in evaluation');
    expect(cavra(['policy', 'assign', 'acme-agent-baseline', '--repository', 'legacy'], { home: data }).stdout).toBe(
      'Assigned acme-agent-baseline 0.3.0 to repository legacy\n',
    );
    const list = cavra(['policy', 'list'], { home: data });
    expect(list.stdout).toMatch(/acme-agent-baseline\s+0\.3\.0\s+enforce\s+\d+\s+passed \d+\/\d+\s+legacy/);
  });

  it('prints the JSON Schema the repository publishes', () => {
    const printed = cavra(['policy', 'schema'], { home: home() });
    const committed = fs.readFileSync(path.join(root, 'policy-packs/schema/pack.schema.json'), 'utf8');
    expect(JSON.parse(printed.stdout)).toEqual(JSON.parse(committed));
  });
});

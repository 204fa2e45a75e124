import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home';
import { demoLicense } from '../../test/support/demo-license';

const root = path.resolve(import.meta.dirname, '../..');

// The built CLI on a fresh data directory, with the test run's keychain.
describe('cavra readiness run, packet export and packet verify', () => {
  let temp: { home: string; cleanup: () => void };
  const cavra = (...args: string[]) => {
    const result = spawnSync(process.execPath, [path.join(root, 'bin/cavra.cjs'), ...args], {
      env: { ...process.env, CAVRA_HOME: temp.home },
      encoding: 'utf8',
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  beforeAll(() => {
    temp = tempHome();
    // Readiness runs and license imports change state: the CLI acts as the signed-in local evaluator.
    expect(cavra('login', '--local-evaluation').code).toBe(0);
  });
  afterAll(() => temp.cleanup());

  it('refuses the gates without a license, naming the fix', () => {
    const refused = cavra('readiness', 'run');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Enterprise feature \("readiness"\).*cavra license import/);
  });

  it('with a license: the pilot gate is red with named prerequisites; the packet exports, not ready, and verifies', () => {
    const license = path.join(temp.home, 'license.json');
    fs.writeFileSync(license, demoLicense({ tenant: 'evaluation' }));
    expect(cavra('license', 'import', license).code).toBe(0);
    const pilot = cavra('readiness', 'run', '--gate', 'pilot', '--repository', 'acme/app');
    expect(pilot.code).toBe(2);
    expect(pilot.stdout).toMatch(/^Pilot gate for tenant evaluation: RED/);
    expect(pilot.stdout).toMatch(/PASS {4}Tenant isolation/);
    expect(pilot.stdout).toMatch(/- agent_workflows: No file, command, Git .* in repository acme\/app/);
    expect(cavra('readiness', 'run', '--repository', 'x').code).toBe(1);

    const exported = cavra('packet', 'export');
    expect(exported.stderr).toContain('Running validators');
    expect(exported.code).toBe(2);
    expect(exported.stdout).toMatch(/ready_for_aispm_production: false/);
    expect(exported.stdout).toMatch(/- report_delivery: No report was accepted by an SMTP server/);
    const dir = /Readiness packet: (.+)/.exec(exported.stdout)?.[1] as string;
    expect(fs.existsSync(path.join(dir, 'packet.dsse.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'evidence', 'manifest.json'))).toBe(true);

    const verified = cavra('packet', 'verify', dir);
    expect(verified.stdout).toMatch(/^Verified readiness packet/);
    expect(verified.stdout).toMatch(/ready_for_aispm_production {2}false/);
    expect(verified.code).toBe(0);

    const readable = path.join(dir, 'packet.json');
    const packet = JSON.parse(fs.readFileSync(readable, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(readable, JSON.stringify({ ...packet, ready_for_aispm_production: true, blockers: [] }));
    const edited = cavra('packet', 'verify', dir);
    expect(edited.code).toBe(2);
    expect(edited.stdout).toMatch(/VERIFICATION FAILED[\s\S]*packet.json was edited/);
  });

  it('closes the trial out: refuses a closeout without its decisions, then exports a closeout packet that verifies', () => {
    const missing = cavra('packet', 'closeout', '--decision', 'extend', '--feedback', 'good');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--package-access-removed .* or --package-access-kept/);
    const closed = cavra(
      'packet',
      'closeout',
      '--decision',
      'stop',
      '--feedback',
      'The deny rules fit; SSO came too late for us.',
      '--package-access-removed',
      'registry token revoked',
      '--surrender-license',
    );
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toMatch(/^Closeout packet: /);
    expect(closed.stdout).toMatch(/license: surrendered \(entitlement now suspended\)/);
    expect(closed.stdout).toMatch(/Remaining blockers \(\d+\):/);
    const dir = /Closeout packet: (.+)/.exec(closed.stdout)?.[1] as string;
    const verified = cavra('packet', 'verify', dir);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^Verified trial closeout packet/);
    expect(verified.stdout).toMatch(/pilot decision {14}stop/);
    expect(verified.stdout).toMatch(/package access {14}removed: registry token revoked/);
    // The license is surrendered: the Enterprise workflows are refused from now on.
    expect(cavra('readiness', 'run').stderr).toMatch(/suspended|surrendered/);
  });
});

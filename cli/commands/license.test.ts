import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home';
import { demoLicense, demoRevocationList } from '../../test/support/demo-license';

const root = path.resolve(import.meta.dirname, '../..');

// The built CLI (a demo build, as `npm ci` makes it) on a fresh data directory.
describe('cavra license', () => {
  let temp: { home: string; cleanup: () => void };
  const cavra = (...args: string[]) => {
    const result = spawnSync(process.execPath, [path.join(root, 'bin/cavra.cjs'), ...args], {
      env: { ...process.env, CAVRA_HOME: temp.home },
      encoding: 'utf8',
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const file = (name: string, text: string) => {
    const at = path.join(temp.home, name);
    fs.writeFileSync(at, text);
    return at;
  };
  beforeAll(() => {
    temp = tempHome();
    // Imports change state: the CLI signs in as the labelled local evaluator, as a first run would.
    const login = cavra('login', '--local-evaluation');
    expect(login.code, login.stderr).toBe(0);
  });
  afterAll(() => temp.cleanup());

  it('status says missing and labels the demo build', () => {
    const status = cavra('license', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Status:\s+MISSING/);
    expect(status.stdout).toContain('DEMO BUILD');
  });

  it('validate exits 2 on a license for another tenant and 0 on a good one, importing nothing', () => {
    const other = cavra('license', 'validate', file('other.json', demoLicense({ tenant: 'acme-eval' })));
    expect(other.code).toBe(2);
    expect(other.stdout).toMatch(/NOT valid.*\n.*for tenant "acme-eval"/);
    const good = cavra('license', 'validate', file('good.json', demoLicense({ tenant: 'evaluation' })));
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^Valid: license lic-demo-\w+ \(trial\)/);
    expect(cavra('license', 'status', '--json').stdout).toContain('"status": "missing"');
  });

  it('import, then status with days remaining and features; a revocation list suspends it', () => {
    const license = file('license.json', demoLicense({ tenant: 'evaluation', licenseId: 'lic-cli-1' }));
    const imported = cavra('license', 'import', license);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Status:\s+TRIAL/);
    expect(imported.stdout).toMatch(/Signed by: the DEMO key/);
    expect(imported.stdout).toMatch(/\(29 days remaining\)|\(30 days remaining\)/);
    const json = JSON.parse(cavra('license', 'status', '--json').stdout) as { enabledFeatures: string[] };
    expect(json.enabledFeatures).toContain('readiness');
    const revoked = cavra(
      'license',
      'revocations',
      'import',
      file('revocations.json', demoRevocationList([{ licenseId: 'lic-cli-1', reason: 'evaluation ended' }])),
    );
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/Status:\s+SUSPENDED/);
    expect(revoked.stdout).toContain('evaluation ended');
  });

  it('a bad file is a clear error naming the field', () => {
    const bad = cavra('license', 'import', file('bad.json', '{"payloadType":"x"}'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/document: The license is not a signed CAVRA license/);
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceLedgers } from '../../core/evidence';
import { KeychainSecretStore, probeKeychain } from '../../core/secrets';
import { TenantDirectory } from '../../core/tenants';
import { tempHome } from '../../test/support/temp-home';
import type { CliIO } from '../io';
import { runCli } from '../main';

// The real Secret Service holds tenant keys (HOUSE rule 11): run under scripts/with-keyring.sh.
beforeAll(() => {
  const probe = probeKeychain(new KeychainSecretStore('probe'));
  if (!probe.available) throw new Error(`No usable OS keychain; run under scripts/with-keyring.sh.\n${probe.reason}`);
});

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

const root = path.resolve(import.meta.dirname, '../..');
/** Child processes run the built launcher, as npx does (`npm test` builds first). */
const launcher = path.join(root, 'bin/cavra.cjs');

function home(): string {
  const temp = tempHome('cavra-cli-evidence-');
  cleanups.push(temp.cleanup);
  return temp.home;
}

async function cavra(args: string[], env: NodeJS.ProcessEnv, stdin = '') {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    readStdin: async () => stdin,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    cwd: root,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const action = (i: number, command = 'npm test') =>
  JSON.stringify({
    type: 'execute_command',
    command,
    cwd: '/work/payments-api',
    repository: 'payments-api',
    agent: { id: 'claude-code', session: `s-${i % 3}` },
    actor: 'dev@acme.example',
  });

describe('cavra evidence', () => {
  it('every non-dry-run evaluate appends its decision; dry runs record nothing', async () => {
    const env = { ...process.env, CAVRA_HOME: home() };
    for (let i = 0; i < 6; i++) {
      const result = await cavra(['evaluate'], env, action(i, i === 5 ? 'terraform apply -auto-approve' : 'npm test'));
      expect([0, 2, 3]).toContain(result.code);
      const decision = JSON.parse(result.stdout) as { evidence_ref: string | null };
      expect(decision.evidence_ref).toMatch(/^cavra\.evidence\/evaluation\/[0-9a-f]+#\d+$/);
    }
    expect((await cavra(['evaluate', '--dry-run'], env, action(9))).code).toBe(0);
    const tenants = new TenantDirectory(env.CAVRA_HOME as string);
    const ledgers = new EvidenceLedgers(tenants);
    cleanups.unshift(() => {
      ledgers.close();
      tenants.close();
    });
    const ledger = ledgers.ledger('evaluation');
    const decisions = ledger.query({ types: ['decision'], limit: 500 }).records;
    expect(decisions).toHaveLength(6);
    expect(ledger.query({ types: ['decision'], session: 's-2' }).records.map((r) => r.seq)).toHaveLength(2);
    expect(decisions[0]?.summary).toMatch(/terraform apply/);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('exports, prints the key to pin, and verifies; tampering exits 2 naming the record', async () => {
    const env = { ...process.env, CAVRA_HOME: home() };
    for (let i = 0; i < 5; i++) await cavra(['evaluate'], env, action(i));
    const out = path.join(env.CAVRA_HOME as string, 'bundle');
    const exported = await cavra(['evidence', 'export', '--out', out], env);
    expect(exported.stderr).toMatch(/records \(100%\)/);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/Exported records 0–\d+ \(\d+\) of tenant evaluation/);
    const key = await cavra(['evidence', 'key'], env);
    expect(key.code).toBe(0);
    const keyFile = path.join(env.CAVRA_HOME as string, 'tenant.vkey');
    fs.writeFileSync(keyFile, key.stdout);
    const verified = await cavra(['evidence', 'verify', out, '--trusted-key', keyFile], env);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/^Verified /);
    expect(verified.stdout).toMatch(/pinned with --trusted-key/);
    const json = await cavra(['evidence', 'verify', out, '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, key: { pinned: false } });
    expect(json.stdout).not.toMatch(/PRIVATE/);

    const records = path.join(out, 'records.jsonl');
    const lines = fs.readFileSync(records, 'utf8').split('\n');
    const at = lines.findIndex((line) => line.includes('"target":"npm test'));
    lines[at] = (lines[at] as string).replace('npm test', 'npm tesT');
    fs.writeFileSync(records, lines.join('\n'));
    const tampered = await cavra(['evidence', 'verify', out, '--trusted-key', keyFile], env);
    expect(tampered.code).toBe(2);
    expect(tampered.stdout).toMatch(/VERIFICATION FAILED/);
    expect(tampered.stdout).toContain(
      `records.jsonl, line ${at + 1}, record ${at}: record ${at}: the payload does not match`,
    );
  });

  it('reports unreadable input with exit 1: missing directory, unreadable key file, missing argument', async () => {
    const env = { ...process.env };
    const missing = await cavra(['evidence', 'verify', '/nonexistent/bundle'], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/Cannot verify [\s\S]*does not exist/);
    const noKey = await cavra(['evidence', 'verify', '/tmp', '--trusted-key', '/nonexistent/key'], env);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/--trusted-key: cannot read/);
    const usage = await cavra(['evidence', 'verify'], env);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/Usage: cavra evidence verify DIR/);
  });

  it('verify stands alone: no CAVRA_HOME, no HOME, no keychain, no network', async () => {
    const env = { ...process.env, CAVRA_HOME: home() };
    await cavra(['evaluate'], env, action(1));
    const out = path.join(env.CAVRA_HOME as string, 'bundle');
    expect((await cavra(['evidence', 'export', '--out', out], env)).code).toBe(0);
    const child = spawnSync(process.execPath, [launcher, 'evidence', 'verify', out, '--json'], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent' },
      encoding: 'utf8',
      cwd: root,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ ok: true });
    expect(fs.existsSync('/nonexistent')).toBe(false);
  });

  it('without a keychain: decisions are still recorded, export refuses plainly, status says why', () => {
    const cavraHome = home();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CAVRA_HOME: cavraHome };
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, [launcher, ...args], {
        env,
        input,
        encoding: 'utf8',
        cwd: root,
      });
    const evaluated = run(['evaluate'], action(1));
    expect(evaluated.stderr).not.toMatch(/internal error/i);
    const status = run(['evidence', 'status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/signing +UNAVAILABLE — .*no evidence signing key/);
    const exported = run(['evidence', 'export', '--out', path.join(cavraHome, 'bundle')]);
    expect(exported.status).toBe(1);
    expect(exported.stderr).toMatch(/the bundle cannot be signed: .*no OS keychain was available/);
    expect(fs.existsSync(path.join(cavraHome, 'bundle'))).toBe(false);
    const key = run(['evidence', 'key']);
    expect(key.status).toBe(1);
    expect(key.stderr).toMatch(/has no evidence signing key/);
  });
});

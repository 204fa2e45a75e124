import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home';

/*
 * `cavra doctor` (issue 8 item 9) through the built launcher, on real components: a data
 * directory made without a keychain, a port taken by another user, hooks in real settings files.
 */
const root = path.resolve(import.meta.dirname, '..', '..');
const launcher = path.join(root, 'bin', 'cavra.cjs');
const cleanups: (() => void)[] = [];
afterEach(() =>
  cleanups
    .splice(0)
    .reverse()
    .forEach((fn) => fn()),
);

interface Report {
  status: string;
  checks: { id: string; status: string; message: string; fix: string | null }[];
}

function cavra(args: string[], options: { home: string; cwd?: string; keychain?: boolean; managedDir?: string }) {
  const env: NodeJS.ProcessEnv =
    options.keychain === false
      ? { PATH: process.env.PATH, HOME: process.env.HOME, CAVRA_HOME: options.home }
      : { ...process.env, CAVRA_HOME: options.home };
  // Claude Code's managed settings: a temp root per test (never the machine's /etc/claude-code).
  env.CAVRA_CLAUDE_MANAGED_DIR = options.managedDir ?? path.join(options.home, 'no-claude-managed-settings');
  const result = spawnSync(process.execPath, [launcher, ...args], { env, cwd: options.cwd ?? root, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function doctor(
  home: string,
  cwd: string,
  keychain = true,
  managedDir?: string,
): { code: number | null; report: Report } {
  const run = cavra(['doctor', '--json'], { home, cwd, keychain, ...(managedDir ? { managedDir } : {}) });
  return { code: run.code, report: JSON.parse(run.stdout) as Report };
}

const check = (report: Report, id: string) => report.checks.find((c) => c.id === id);

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-doctor-project-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function home(): string {
  const temp = tempHome();
  cleanups.push(temp.cleanup);
  return temp.home;
}

describe('cavra doctor', () => {
  it('without a keychain: the keychain and signing-key checks fail and say how to fix; keys provision fixes it once one is there', () => {
    const dir = home();
    const cwd = project();
    // Creating tenants and provisioning keys change state: the CLI acts as the signed-in local evaluator.
    expect(cavra(['login', '--local-evaluation'], { home: dir, keychain: false }).code).toBe(0);
    const created = cavra(['tenants', 'create', 'acme-eval', '--name', 'Acme'], { home: dir, keychain: false });
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/acme-eval has no usable evidence signing key/);
    expect(created.stderr).toMatch(/cavra keys provision --tenant acme-eval/);

    const broken = doctor(dir, cwd, false);
    expect(broken.code).toBe(2);
    expect(broken.report.status).toBe('fail');
    expect(check(broken.report, 'keychain')).toMatchObject({ status: 'fail', fix: expect.any(String) });
    expect(check(broken.report, 'signing-keys')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/evaluation.*acme-eval|acme-eval.*evaluation/),
      fix: expect.stringMatching(/cavra keys provision --tenant evaluation; cavra keys provision --tenant acme-eval/),
    });
    // Every check runs, whatever the others found.
    expect(broken.report.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['keychain', 'signing-keys', 'gate', 'hook-port', 'claude-code-hooks', 'sandbox', 'node']),
    );

    const refused = cavra(['keys', 'provision', '--tenant', 'acme-eval'], { home: dir, keychain: false });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/No OS keychain/);
    for (const tenant of ['evaluation', 'acme-eval']) {
      const provisioned = cavra(['keys', 'provision', '--tenant', tenant], { home: dir });
      expect(provisioned.code, provisioned.stderr).toBe(0);
      expect(provisioned.stdout).toMatch(new RegExp(`Provisioned evidence signing key [0-9a-f]+ for tenant ${tenant}`));
    }
    const again = cavra(['keys', 'provision', '--tenant', 'acme-eval'], { home: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has an evidence signing key/);
    const fixed = doctor(dir, cwd);
    expect(check(fixed.report, 'keychain')?.status).toBe('ok');
    expect(check(fixed.report, 'signing-keys')?.status).toBe('ok');
  }, 120_000);

  it('finds a hook only in settings the agent can edit, and fails when another user or program holds the http hook port', async () => {
    const dir = home();
    const cwd = project();
    expect(cavra(['tenants', 'list'], { home: dir }).code).toBe(0);
    const none = doctor(dir, cwd);
    expect(check(none.report, 'claude-code-hooks')?.status).toBe('warn');
    expect(check(none.report, 'hook-port')?.status).toBe('ok');

    expect(cavra(['hook', 'install', 'claude-code', '--project', cwd], { home: dir }).code).toBe(0);
    const writable = doctor(dir, cwd);
    expect(check(writable.report, 'claude-code-hooks')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/agent-writable/),
      fix: expect.stringMatching(/managed settings/),
    });

    // Another local user listens first on the port the http hook posts its token to.
    const squatter = spawn(
      process.execPath,
      [
        '-e',
        "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => console.log(s.address().port));",
      ],
      { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => squatter.kill('SIGKILL'));
    const port = await new Promise<number>((resolve) =>
      squatter.stdout?.once('data', (chunk) => resolve(Number(String(chunk).trim()))),
    );
    expect(
      cavra(['hook', 'install', 'claude-code', '--project', cwd, '--http', '--port', String(port)], { home: dir }).code,
    ).toBe(0);
    const squatted = doctor(dir, cwd);
    expect(squatted.code).toBe(2);
    expect(check(squatted.report, 'hook-port')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(new RegExp(`port ${port} is held by another user \\(uid 65534\\)`)),
    });

    // A program of this user that is not the gate is no better.
    const own = net.createServer();
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => own.close());
    const ownPort = (own.address() as net.AddressInfo).port;
    cavra(['hook', 'install', 'claude-code', '--project', cwd, '--http', '--port', String(ownPort)], { home: dir });
    const settings = JSON.parse(fs.readFileSync(path.join(cwd, '.claude', 'settings.json'), 'utf8')) as unknown;
    expect(JSON.stringify(settings)).toContain(`:${ownPort}/`);
    const foreign = doctor(dir, cwd);
    expect(check(foreign.report, 'hook-port')?.message).toMatch(
      new RegExp(`port ${ownPort} is held by pid ${process.pid}`),
    );
  }, 120_000);

  it('reads managed-settings.d: a drop-in merged after CAVRA’s that turns the hook or sandbox off is a finding, one merged before it is not', () => {
    const dir = home();
    const cwd = project();
    const managed = path.join(project(), 'etc-claude-code');
    const install = cavra(['hook', 'install', 'claude-code', '--managed'], { home: dir, managedDir: managed });
    expect(install.code, install.stderr).toBe(0);
    const dropIns = path.join(managed, 'managed-settings.d');
    expect(fs.readdirSync(dropIns)).toEqual(['50-cavra.json']);

    const clean = doctor(dir, cwd, true, managed);
    expect(check(clean.report, 'claude-code-managed')?.status).toBe('ok');
    // The hook is found in the drop-in (only managed-settings.json used to be read).
    expect(check(clean.report, 'claude-code-hooks')).toMatchObject({
      status: 'ok',
      message: expect.stringContaining(path.join(dropIns, '50-cavra.json')),
    });

    // Merged before CAVRA's drop-in: its scalars lose, so nothing is weakened.
    fs.writeFileSync(path.join(dropIns, '10-early.json'), JSON.stringify({ sandbox: { enabled: false } }));
    fs.writeFileSync(path.join(dropIns, '.99-hidden.json'), JSON.stringify({ disableAllHooks: true }));
    expect(check(doctor(dir, cwd, true, managed).report, 'claude-code-managed')?.status).toBe('ok');

    const late = path.join(dropIns, '90-local.json');
    fs.writeFileSync(
      late,
      JSON.stringify({
        disableAllHooks: true,
        sandbox: { allowUnsandboxedCommands: true, excludedCommands: ['curl'], filesystem: { allowWrite: ['~/'] } },
      }),
    );
    const weakened = doctor(dir, cwd, true, managed);
    expect(weakened.code).toBe(2);
    const finding = check(weakened.report, 'claude-code-managed');
    expect(finding?.status).toBe('fail');
    for (const key of ['disableAllHooks', 'sandbox.allowUnsandboxedCommands'])
      expect(finding?.message).toContain(`${late} sets ${key}`);
    expect(finding?.message).toMatch(/90-local\.json adds "curl" to sandbox\.excludedCommands/);
    expect(finding?.message).toMatch(/90-local\.json adds "~\/" to sandbox\.filesystem\.allowWrite/);
    expect(finding?.message).not.toMatch(/10-early|99-hidden/);
    expect(finding?.fix).toMatch(/sudo cavra hook install claude-code --managed/);

    // A drop-in the agent's user could rewrite is no protection either.
    fs.rmSync(late);
    fs.chmodSync(path.join(dropIns, '50-cavra.json'), 0o666);
    expect(check(doctor(dir, cwd, true, managed).report, 'claude-code-hooks')?.message).toMatch(
      /managed, agent-writable/,
    );
  }, 120_000);

  it('asks the sandbox exactly as containment does: where no sandbox can start, the check fails and says how to fix it', async () => {
    const dir = home();
    const cwd = project();
    const ok = doctor(dir, cwd);
    expect(check(ok.report, 'sandbox')).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/^\/usr\/bin\/bwrap \(bubblewrap [0-9.]+\) starts sandboxes/),
    });
    // No capabilities inside a user namespace: bubblewrap cannot create its namespaces.
    const script = `exec setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all "${process.execPath}" "${launcher}" doctor --json`;
    const denied = spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c', script], {
      env: { ...process.env, CAVRA_HOME: dir, CAVRA_CLAUDE_MANAGED_DIR: path.join(dir, 'none') },
      cwd,
      encoding: 'utf8',
    });
    const report = JSON.parse(denied.stdout) as Report;
    expect(check(report, 'sandbox')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/No command can be contained: bubblewrap cannot create the sandbox's namespaces/),
      fix: expect.stringMatching(/user namespaces.*judgement-only/s),
    });
    expect(denied.status).toBe(2);
  }, 120_000);
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome } from '../test/support/temp-home';

const root = path.resolve(import.meta.dirname, '..');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

function cavra(args: string[], home?: string) {
  const env = { ...process.env };
  if (home) env.CAVRA_HOME = home;
  const result = spawnSync(process.execPath, [path.join(root, 'bin/cavra.cjs'), ...args], { env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function home() {
  const temp = tempHome();
  cleanups.push(temp.cleanup);
  return temp.home;
}

/** A data directory the CLI is signed in to as the local evaluator (state changes need a sign-in). */
function signedInHome() {
  const dir = home();
  expect(cavra(['login', '--local-evaluation'], dir).code).toBe(0);
  return dir;
}

describe('cavra CLI (the built launcher that npx runs)', () => {
  it('--help lists the commands and --version prints the package version', () => {
    const help = cavra(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['tenants list', 'tenants create', 'console'])
      expect(help.stdout).toContain(`cavra ${command}`);
    const version = cavra(['--version']);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  // Issue 8 item 10: `cavra tenants --help` said "unknown command". Every group, at every depth
  // (in-process: runCli is what the launcher runs, and no command runs for a help text).
  it('--help after every command group lists that group', async () => {
    const commands = await (await import('./commands')).allCommands();
    const { runCli } = await import('./main');
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = {
        readStdin: async () => '',
        stdout: (text: string) => void (stdout += text),
        stderr: (text: string) => void (stderr += text),
        env: {},
        cwd: root,
      };
      return { code: await runCli(args, io), stdout, stderr };
    };
    const groups = new Set(
      commands.flatMap((command) => {
        const words = command.name.split(' ');
        return words.slice(0, -1).map((_, i) => words.slice(0, i + 1).join(' '));
      }),
    );
    expect(groups).toContain('tenants');
    expect(groups).toContain('hook install');
    for (const group of groups) {
      const words = group.split(' ');
      const result = await run([...words, '--help']);
      expect(result.code, `cavra ${group} --help: ${result.stderr}`).toBe(0);
      for (const command of commands.filter((c) => c.name.startsWith(`${group} `))) {
        expect(result.stdout).toContain(command.usage);
      }
      const bare = await run(words);
      expect(bare.code).toBe(1);
      expect(bare.stderr).toContain(`Usage: cavra ${group} <command>`);
    }
    const unknown = await run(['tenants', 'bogus']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Run "cavra tenants --help"');
    // And through the launcher once.
    expect(cavra(['tenants', '--help']).stdout).toContain('cavra tenants list');
  });

  it('tenants list shows the default evaluation tenant of a fresh data directory', () => {
    const result = cavra(['tenants', 'list'], home());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/evaluation\s+evaluation\s+Evaluation tenant \(default\)/);
  });

  it('tenants create makes a tenant that tenants list then shows', () => {
    const dir = signedInHome();
    const created = cavra(['tenants', 'create', 'acme-eval', '--name', 'Acme Evaluation'], dir);
    expect(created).toMatchObject({ code: 0, stdout: 'Created tenant acme-eval (Acme Evaluation)\n' });
    const listed = JSON.parse(cavra(['tenants', 'list', '--json'], dir).stdout) as { id: string }[];
    expect(listed.map((t) => t.id)).toEqual(['evaluation', 'acme-eval']);
  });

  it.each([
    [['tenants', 'create', '', '--name', 'X'], 'id: is required'],
    [['tenants', 'create', 'evaluation', '--name', 'X'], 'id: is already taken: tenant "evaluation" exists'],
    [['tenants', 'create', 'a'.repeat(64), '--name', 'X'], 'id: must be at most 63 characters'],
    [['tenants', 'create', '../../etc', '--name', 'X'], 'id: must not contain path characters'],
    [['tenants', 'create', 'ok-id', '--name', ''], 'displayName: is required'],
    [['tenants', 'create', 'ok-id'], '--name is required'],
    [['tenants', 'create', 'ok-id', '--name', 'X', '--bogus'], "Unknown option '--bogus'"],
  ])('tenants create %j fails with a message on stderr and writes nothing', (args, message) => {
    const dir = signedInHome();
    cavra(['tenants', 'list'], dir);
    const before = fs.readdirSync(path.join(dir, 'tenants'));
    const result = cavra(args, dir);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(fs.readdirSync(path.join(dir, 'tenants'))).toEqual(before);
  });

  it('--help after -- belongs to the wrapped command, not to cavra', () => {
    // After `--`, "--help" is just an argument: here a second tenant id, which is refused.
    const result = cavra(['tenants', 'create', 'acme', '--name', 'A', '--', '--help'], home());
    expect(result.stdout).not.toContain('Usage: cavra tenants create');
    expect(result.stderr).toContain('Give exactly one tenant id');
    expect(cavra(['tenants', 'create', '--help']).stdout).toContain('Usage: cavra tenants create');
  });

  it('state changes need a sign-in: unsigned, the core refuses and says how to sign in', () => {
    const dir = home();
    const refused = cavra(['tenants', 'create', 'acme', '--name', 'A'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Sign in first.*cavra login/);
    expect(cavra(['whoami'], dir).stdout).toMatch(/not signed in: reads only/);
    expect(cavra(['login', '--local-evaluation'], dir).stdout).toMatch(/Signed in to evaluation as Local evaluator/);
    expect(cavra(['whoami'], dir).stdout).toMatch(/local_evaluation, signed in/);
    expect(cavra(['tenants', 'create', 'acme', '--name', 'A'], dir).code).toBe(0);
    expect(cavra(['logout'], dir).stdout).toBe('Signed out of evaluation.\n');
    expect(cavra(['tenants', 'create', 'acme2', '--name', 'A'], dir).code).toBe(1);
  });

  it('keeps the data directory 0700 and the registry 0600', () => {
    const dir = home();
    fs.chmodSync(dir, 0o755);
    cavra(['tenants', 'list'], dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'registry.sqlite')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'tenants', 'evaluation', 'tenant.sqlite')).mode & 0o777).toBe(0o600);
  });

  it('tenants onboard: five mistakes are reported at once with their field paths and nothing is created', () => {
    const dir = signedInHome();
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      file,
      [
        'id: Acme_Prod',
        'display_name: Acme Production',
        'sso: { issuer: "http://idp.acme.example", client_id: cavra-console }',
        'role_mappings:',
        '  - { group: secops, roles: [security_approver] }',
        'packs:',
        '  - { pack: cavra-nonexistent }',
        'report_recipients:',
        '  - { email: not-an-address }',
        '',
      ].join('\n'),
    );
    const before = fs.readdirSync(path.join(dir, 'tenants'));
    const result = cavra(['tenants', 'onboard', '--file', file], dir);
    expect(result.code).toBe(1);
    for (const field of [
      'id:',
      'sso.issuer:',
      'role_mappings.0.roles.0:',
      'packs.0.pack:',
      'report_recipients.0.email:',
    ])
      expect(result.stderr).toContain(`  ${field}`);
    expect(result.stderr).toMatch(/5 mistake\(s\); nothing was created/);
    expect(fs.readdirSync(path.join(dir, 'tenants'))).toEqual(before);
  });

  it('tenants onboard: a correct file creates a tenant whose status is complete', () => {
    const dir = signedInHome();
    const file = path.join(dir, 'tenant.yaml');
    fs.writeFileSync(
      file,
      [
        'id: acme-prod',
        'display_name: Acme Production',
        'sso: { issuer: "https://login.acme.example", client_id: cavra-console, scopes: [profile, email, groups] }',
        'role_mappings:',
        '  - { group: secops, roles: [security_reviewer] }',
        '  - { group: platform, roles: [operator, tenant_admin] }',
        '  - { group: eval, roles: [evaluator] }',
        '  - { group: leadership, roles: [report_recipient, executive] }',
        'inventory:',
        '  environments: [production]',
        '  repositories: [{ name: payments-api, environment: production }]',
        'packs: [{ pack: cavra-secrets }, { pack: cavra-infrastructure, repository: payments-api }]',
        'retention: { days: 365 }',
        'report_recipients: [{ email: ciso@acme.example, reports: [executive, security] }]',
        'contacts: [{ name: Sec On-call, email: oncall@acme.example, role: security }]',
        'escalation_routes: [{ name: security-oncall, contacts: [oncall@acme.example], after: 30m }]',
        '',
      ].join('\n'),
    );
    const result = cavra(['tenants', 'onboard', '--file', file], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Created tenant acme-prod (Acme Production)');
    const status = JSON.parse(cavra(['tenants', 'status', '--tenant', 'acme-prod', '--json'], dir).stdout) as {
      complete: boolean;
      items: { item: string; done: boolean }[];
    };
    expect(status.items.filter((item) => !item.done)).toEqual([]);
    expect(status.complete).toBe(true);
  });

  it('unknown commands fail clearly', () => {
    const result = cavra(['frobnicate'], home());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });
});

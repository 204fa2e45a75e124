// The bubblewrap runner on its own, with a real sandbox: unprivileged (uid 65534) where user
// namespaces are allowed, and cleaning up after a runner that was killed mid-command.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePathGlob } from '../../policy';
import type { ContainmentProfile } from './profile';
import { runContained } from './run';

const NOBODY = 65534;
let base: string;
let bundle: string;

const glob = (pattern: string) => compilePathGlob(pattern, '/').map((g) => ({ pattern, regex: g.regex.source }));

function profileFor(workspace: string): ContainmentProfile {
  return {
    v: 1,
    workspace,
    deny_read: { paths: ['~/.aws/'], globs: glob('**/.env'), except: [] },
    deny_write: ['.mcp.json', '.github/workflows/'],
    write_allow: [],
    network: { hosts: [] },
    environment: { remove: [{ pattern: '*TOKEN*', regex: '^(?:.*TOKEN.*)$' }], keep: [] },
    packs: [],
  };
}

/** A site: workspace with a secret, a home with a credential, a CAVRA_HOME; owned by `uid`. */
function site(name: string, uid: number): { workspace: string; home: string; cavraHome: string } {
  const dir = path.join(base, name);
  const s = { workspace: path.join(dir, 'ws'), home: path.join(dir, 'home'), cavraHome: path.join(dir, 'cavra') };
  fs.mkdirSync(s.workspace, { recursive: true });
  fs.mkdirSync(path.join(s.home, '.aws'), { recursive: true });
  fs.mkdirSync(s.cavraHome, { recursive: true });
  fs.writeFileSync(path.join(s.workspace, '.env'), 'CANARY-env\n');
  fs.writeFileSync(path.join(s.home, '.aws', 'credentials'), 'CANARY-aws\n');
  for (const p of [
    dir,
    s.workspace,
    s.home,
    path.join(s.home, '.aws'),
    path.join(s.home, '.aws', 'credentials'),
    s.cavraHome,
    path.join(s.workspace, '.env'),
  ]) {
    fs.chownSync(p, uid, uid);
  }
  return s;
}

beforeAll(async () => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-runner-')));
  fs.chmodSync(base, 0o755);
  // The runner as a standalone script (Node built-ins only), runnable by any user.
  const entry = path.join(base, 'entry.ts');
  fs.writeFileSync(
    entry,
    `import { runContained } from ${JSON.stringify(path.join(import.meta.dirname, 'run.ts'))};
const [profile, cwd, cavraHome, ...argv] = process.argv.slice(2);
runContained({ profile: JSON.parse(profile), argv, cwd, env: process.env, cavraHome })
  .then(({ code }) => process.exit(code), (error) => { console.error(String(error)); process.exit(126); });
`,
  );
  bundle = path.join(base, 'runner.cjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'error',
  });
  fs.chmodSync(bundle, 0o644);
}, 60_000);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('the runner', () => {
  it('works unprivileged (uid 65534) where user namespaces are allowed', async () => {
    const s = site('nobody', NOBODY);
    const result = spawnSync(
      'setpriv',
      [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        process.execPath,
        bundle,
        JSON.stringify(profileFor(s.workspace)),
        s.workspace,
        s.cavraHome,
        'sh',
        '-c',
        'cat .env "$HOME/.aws/credentials" 2>&1; echo "token=$API_TOKEN"; id -u; echo made > out.txt; echo x > .mcp.json',
      ],
      {
        cwd: s.workspace,
        env: { ...process.env, HOME: s.home, API_TOKEN: 'CANARY-token' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.stdout).not.toMatch(/CANARY/);
    expect(result.stdout).toContain(`${NOBODY}\n`);
    expect(result.stdout).toContain('token=\n');
    expect(result.status).not.toBe(0); // the .mcp.json write is refused
    expect(fs.readFileSync(path.join(s.workspace, 'out.txt'), 'utf8')).toBe('made\n');
    expect(fs.statSync(path.join(s.workspace, 'out.txt')).uid).toBe(NOBODY);
    expect(fs.existsSync(path.join(s.workspace, '.mcp.json'))).toBe(false);
  }, 60_000);

  it('removes the placeholders of a runner that was killed, once the next run in the workspace ends', async () => {
    const s = site('killed', 0);
    const runner = spawn(
      process.execPath,
      [bundle, JSON.stringify(profileFor(s.workspace)), s.workspace, s.cavraHome, 'sleep', '60'],
      { cwd: s.workspace, env: { ...process.env, HOME: s.home }, stdio: 'ignore' },
    );
    const placeholder = path.join(s.workspace, '.mcp.json');
    for (let i = 0; i < 200 && !fs.existsSync(placeholder); i++) await new Promise((r) => setTimeout(r, 50));
    expect(fs.statSync(placeholder).isDirectory()).toBe(true);
    runner.kill('SIGKILL');
    await new Promise((resolve) => runner.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fs.existsSync(placeholder)).toBe(true); // nobody cleaned up: the runner died
    const next = await runContained({
      profile: profileFor(s.workspace),
      argv: ['true'],
      cwd: s.workspace,
      env: { ...process.env, HOME: s.home },
      cavraHome: s.cavraHome,
    });
    expect(next.code).toBe(0);
    expect(fs.existsSync(placeholder)).toBe(false);
    expect(fs.existsSync(path.join(s.workspace, '.github'))).toBe(false);
  }, 60_000);

  it('keeps placeholders while another sandbox of the same workspace still runs', async () => {
    const s = site('concurrent', 0);
    const long = runContained({
      profile: profileFor(s.workspace),
      argv: ['sh', '-c', 'sleep 2; echo late > still-protected 2>/dev/null; echo x > .mcp.json'],
      cwd: s.workspace,
      env: { ...process.env, HOME: s.home },
      cavraHome: s.cavraHome,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const short = await runContained({
      profile: profileFor(s.workspace),
      argv: ['true'],
      cwd: s.workspace,
      env: process.env,
      cavraHome: s.cavraHome,
    });
    expect(short.code).toBe(0);
    expect(fs.existsSync(path.join(s.workspace, '.mcp.json'))).toBe(true); // still the long run's mount point
    const { code } = await long;
    expect(code).not.toBe(0); // .mcp.json stayed unwritable to the end
    expect(fs.existsSync(path.join(s.workspace, '.mcp.json'))).toBe(false);
  }, 60_000);
  it('keeps every run of one workspace started and contained while the others start and end at different moments', async () => {
    // Runs of one workspace overlap in every order: one reserves the missing protected paths,
    // later ones find them already there, and they end in a different order than they began.
    // A run must never fail to start because another removed a mount point it planned to
    // bind, and a protected path must never become writable inside a run because another run
    // that ended removed the placeholder under it.
    const s = site('many', 0);
    const attempt = (i: number, sleep: number) =>
      [
        `echo started > ran-${i}`,
        `sleep ${sleep}`,
        `if (echo x > .mcp.json) 2>/dev/null; then echo breach > breach-${i}-mcp; fi`,
        `if (mkdir -p .github/workflows && echo x > .github/workflows/evil.yml) 2>/dev/null; then echo breach > breach-${i}-ci; fi`,
        'true',
      ].join('; ');
    // [start offset, time inside] in seconds; half of them in child processes (as `cavra exec`
    // runs), half in this process (as `cavra mcp-proxy` may run several).
    const schedule: [number, number][] = [
      [0, 1.2],
      [0.5, 2.4],
      [0.1, 0.3],
      [0.6, 1.6],
      [1.1, 0.6],
      [1.25, 0.2],
      [0.05, 0.05],
      [1.3, 0.1],
    ];
    const stderr: string[] = [];
    const runs = schedule.map(async ([start, sleep], i) => {
      await new Promise((resolve) => setTimeout(resolve, start * 1000));
      const argv = ['sh', '-c', attempt(i, sleep)];
      if (i % 2 === 1) {
        return runContained({
          profile: profileFor(s.workspace),
          argv,
          cwd: s.workspace,
          env: { ...process.env, HOME: s.home },
          cavraHome: s.cavraHome,
        }).then(({ code }) => code);
      }
      const child = spawn(
        process.execPath,
        [bundle, JSON.stringify(profileFor(s.workspace)), s.workspace, s.cavraHome, ...argv],
        {
          cwd: s.workspace,
          env: { ...process.env, HOME: s.home },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => stderr.push(chunk));
      return new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    });
    const codes = await Promise.all(runs);
    expect(stderr.join(''), 'no run failed to start').toBe('');
    expect(codes).toEqual(schedule.map(() => 0));
    const left = fs.readdirSync(s.workspace).sort();
    expect(left.filter((name) => name.startsWith('breach-'))).toEqual([]);
    expect(left.filter((name) => name.startsWith('ran-'))).toEqual(schedule.map((_, i) => `ran-${i}`).sort());
    // The last one out removed every placeholder, and nothing was created under them.
    expect(fs.existsSync(path.join(s.workspace, '.mcp.json'))).toBe(false);
    expect(fs.existsSync(path.join(s.workspace, '.github'))).toBe(false);
    expect(
      fs
        .readdirSync(path.join(s.cavraHome, 'containment', 'leases'))
        .flatMap((d) => fs.readdirSync(path.join(s.cavraHome, 'containment', 'leases', d))),
    ).toEqual([]);
  }, 60_000);

  it('never shows a masked secret through a planted or altered mask file', async () => {
    const s = site('planted', 0);
    const run = () =>
      runContained({
        profile: profileFor(s.workspace),
        argv: ['sh', '-c', 'cat .env > seen.txt'],
        cwd: s.workspace,
        env: { ...process.env, HOME: s.home },
        cavraHome: s.cavraHome,
      });
    const mask = path.join(s.cavraHome, 'containment', 'empty');
    const planted = path.join(base, 'planted-secret');
    fs.writeFileSync(planted, 'PLANTED\n');
    // A link where the mask file belongs, then the mask file itself made writable and filled.
    fs.mkdirSync(path.dirname(mask), { recursive: true });
    fs.symlinkSync(planted, mask);
    expect((await run()).code).toBe(0);
    expect(fs.readFileSync(path.join(s.workspace, 'seen.txt'), 'utf8')).toBe('');
    expect(fs.lstatSync(mask).isSymbolicLink()).toBe(false);
    fs.chmodSync(mask, 0o644);
    fs.writeFileSync(mask, 'PLANTED\n');
    expect((await run()).code).toBe(0);
    expect(fs.readFileSync(path.join(s.workspace, 'seen.txt'), 'utf8')).toBe('');
    expect(fs.readFileSync(planted, 'utf8')).toBe('PLANTED\n'); // the link's target was left alone
  }, 60_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCodeExportNotes, claudeCodeSandbox } from './claude-code';
import { compileProfile } from './compile';
import type { ContainmentProfile } from './runner';
import { scanWorkspace } from './runner';
import { seatbeltProfile } from './seatbelt';

/**
 * Claude Code's sandbox settings as documented (code.claude.com/docs/en/settings, "Sandbox
 * settings"; managed-only keys from the same page), with their types. An export may use
 * only these keys, with these types.
 */
const DOCUMENTED_SANDBOX_KEYS: Record<string, 'boolean' | 'array' | 'number' | 'string' | 'object'> = {
  enabled: 'boolean',
  failIfUnavailable: 'boolean',
  autoAllowBashIfSandboxed: 'boolean',
  excludedCommands: 'array',
  allowUnsandboxedCommands: 'boolean',
  enableWeakerNestedSandbox: 'boolean',
  'network.allowUnixSockets': 'array',
  'network.allowAllUnixSockets': 'boolean',
  'network.allowLocalBinding': 'boolean',
  'network.allowedDomains': 'array',
  'network.deniedDomains': 'array',
  'network.httpProxyPort': 'number',
  'network.socksProxyPort': 'number',
  'network.allowManagedDomainsOnly': 'boolean',
  'filesystem.allowWrite': 'array',
  'filesystem.denyWrite': 'array',
  'filesystem.denyRead': 'array',
  'filesystem.allowRead': 'array',
  'filesystem.allowManagedReadPathsOnly': 'boolean',
};

function leafKeys(value: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(value).flatMap(([key, child]) =>
    typeof child === 'object' && child !== null && !Array.isArray(child)
      ? leafKeys(child as Record<string, unknown>, `${prefix}${key}.`)
      : [[`${prefix}${key}`, child] as [string, unknown]],
  );
}

const typeOf = (value: unknown) => (Array.isArray(value) ? 'array' : typeof value);

let root: string;
let profile: ContainmentProfile;
let matches: string[];

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-export-')));
  const workspace = path.join(root, 'app');
  fs.mkdirSync(path.join(workspace, 'config'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.env'), 'X=1\n');
  fs.writeFileSync(path.join(workspace, 'config', '.env'), 'Y=2\n');
  fs.writeFileSync(path.join(workspace, '.env.example'), 'X=\n');
  profile = compileProfile({
    assigned: {
      broken: [],
      packs: [
        {
          id: 'p',
          version: '1.0.0',
          section: {
            deny_read: ['~/.ssh/', '~/.aws/', '~/.config/gh/', '/etc/shadow', '**/.env'],
            except_read: ['**/.env.example'],
            deny_write: ['.github/workflows/', 'Jenkinsfile', '~/.bashrc'],
            network: { hosts: ['registry.npmjs.org:443', '*.pythonhosted.org', '10.1.2.3:8080'] },
            environment: { remove: ['*TOKEN*'] },
          },
        },
      ],
    },
    cwd: workspace,
    cavraHome: path.join(root, 'cavra home'),
    userHome: path.join(root, 'home'),
  });
  matches = scanWorkspace(profile.workspace, profile.deny_read.globs, profile.deny_read.except).matches.map(
    (m) => m.path,
  );
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('the Claude Code export', () => {
  it('uses only documented sandbox keys, with their documented types', () => {
    const sandbox = claudeCodeSandbox(profile, { workspaceMatches: matches }) as unknown as Record<string, unknown>;
    for (const [key, value] of leafKeys(sandbox)) {
      expect(Object.keys(DOCUMENTED_SANDBOX_KEYS), key).toContain(key);
      expect(typeOf(value), key).toBe(DOCUMENTED_SANDBOX_KEYS[key]);
    }
  });

  it('is strict: required, no fallback outside the sandbox, managed domains only', () => {
    const sandbox = claudeCodeSandbox(profile, { workspaceMatches: matches });
    expect(sandbox).toMatchObject({
      enabled: true,
      failIfUnavailable: true,
      allowUnsandboxedCommands: false,
      network: { allowManagedDomainsOnly: true },
    });
  });

  it('writes the profile in Claude Code path syntax: // absolute, ~/ home, resolved workspace files', () => {
    const { filesystem, network } = claudeCodeSandbox(profile, { workspaceMatches: matches });
    expect(filesystem.denyRead).toEqual(
      expect.arrayContaining([
        '~/.ssh',
        '~/.aws',
        '~/.config/gh',
        '//etc/shadow',
        `/${profile.workspace}/.env`,
        `/${profile.workspace}/config/.env`,
      ]),
    );
    expect(filesystem.denyRead).toContain(`/${path.join(root, 'cavra home')}`);
    expect(filesystem.denyRead.some((p) => p.endsWith('.env.example'))).toBe(false);
    expect(filesystem.denyWrite).toEqual(
      expect.arrayContaining([
        `/${profile.workspace}/.github/workflows`,
        `/${profile.workspace}/Jenkinsfile`,
        `/${profile.workspace}/.git/hooks`,
        `/${profile.workspace}/.claude`,
        '~/.bashrc',
      ]),
    );
    expect(network.allowedDomains).toEqual(['*.pythonhosted.org', '10.1.2.3', 'registry.npmjs.org']);
    for (const p of [...filesystem.denyRead, ...filesystem.denyWrite]) expect(p).toMatch(/^(\/\/|~\/)/);
  });

  it('leaves workspace paths out of managed settings (they apply to every project)', () => {
    const { filesystem } = claudeCodeSandbox(profile, { workspaceMatches: matches, managed: true });
    expect(filesystem.denyRead.some((p) => p.includes(profile.workspace))).toBe(false);
    expect(filesystem.denyWrite).toEqual(['~/.bashrc']);
    expect(filesystem.denyRead).toContain('~/.ssh');
  });

  it('says what it cannot carry', () => {
    const notes = claudeCodeExportNotes(profile).join('\n');
    expect(notes).toMatch(/created later is not covered/);
    expect(notes).toMatch(/domains, not ports/);
    expect(notes).toMatch(/environment variables/);
  });
});

describe('the macOS Seatbelt profile', () => {
  const options = { homes: ['/Users/dev'], workspaceMatches: ['/Users/dev/app/.env'], tmpdir: '/private/tmp/cavra-1' };

  it('denies by default, reads broadly, then masks protected paths (later rules win)', () => {
    const text = seatbeltProfile({ ...profile, network: { hosts: [] } }, options);
    expect(text.split('\n').slice(2, 4)).toEqual(['(version 1)', '(deny default)']);
    const allowRead = text.indexOf('(allow file-read*)');
    const denyRead = text.indexOf('(deny file-read*');
    expect(allowRead).toBeGreaterThan(0);
    expect(denyRead).toBeGreaterThan(allowRead);
    expect(text).toContain('(subpath "/Users/dev/.ssh")');
    expect(text).toContain('(literal "/etc/shadow")');
    expect(text).toContain('(subpath "/Users/dev/app/.env")');
    expect(text).toContain('(allow signal (target same-sandbox))');
  });

  it('writes only to the workspace and the private temp dir, never to protected paths', () => {
    const text = seatbeltProfile({ ...profile, network: { hosts: [] } }, options);
    const allowWrite = text.indexOf('(allow file-write*');
    const denyWrite = text.indexOf('(deny file-write*');
    expect(text.slice(allowWrite, denyWrite)).toContain(`(subpath ${JSON.stringify(profile.workspace)})`);
    expect(text.slice(allowWrite, denyWrite)).toContain('(subpath "/private/tmp/cavra-1")');
    expect(denyWrite).toBeGreaterThan(allowWrite);
    expect(text.slice(denyWrite)).toContain(`(subpath ${JSON.stringify(`${profile.workspace}/.git/hooks`)})`);
    expect(text.slice(denyWrite)).toContain(`(literal ${JSON.stringify(`${profile.workspace}/Jenkinsfile`)})`);
    expect(text.slice(denyWrite)).toContain('(literal "/Users/dev/.bashrc")');
  });

  it('has no network, or only the filtering proxy port when hosts are granted', () => {
    expect(seatbeltProfile({ ...profile, network: { hosts: [] } }, options)).toMatch(/\(deny network\*\)\n$/);
    const granted = seatbeltProfile(profile, { ...options, proxyPort: 3128 });
    expect(granted).toContain('(deny network*)\n(allow network-outbound (remote tcp "localhost:3128"))');
    expect(() => seatbeltProfile(profile, options)).toThrow(/proxy port/);
  });

  it('quotes paths so that a name cannot end the string and add a rule', () => {
    const text = seatbeltProfile(
      { ...profile, network: { hosts: [] } },
      {
        ...options,
        workspaceMatches: ['/Users/dev/app/"))(allow file-write* (subpath "/")) ;.env'],
      },
    );
    expect(text).toContain('(subpath "/Users/dev/app/\\"))(allow file-write* (subpath \\"/\\")) ;.env")');
    expect(text).not.toMatch(/^\(allow file-write\* \(subpath "\/"\)\)/m);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionSchema } from '../contract';
import { normalizeAction } from '../normalize';
import type { DefaultOutcome } from './compile';
import { containmentSectionSchema } from './containment-section';
import { evaluate } from './evaluate';
import { loadPack, PackLoadError } from './load';
import { buildIndex } from './policy-index';

const packsDir = path.resolve(__dirname, '../../policy-packs');
const builtin = (id: string) =>
  loadPack(fs.readFileSync(path.join(packsDir, `${id}.yaml`), 'utf8'), `${id}.yaml`, os.homedir());

describe('the containment: pack section', () => {
  it('accepts literal home and absolute paths, workspace globs, hosts and variable globs', () => {
    const section = {
      deny_read: ['~/.ssh/', '/etc/shadow', '**/.env', 'secrets/**', '**/*.{pem,key}'],
      except_read: ['**/.env.example'],
      deny_write: ['.github/workflows/', 'Jenkinsfile', '~/.bashrc', '/etc/hosts'],
      network: {
        hosts: ['registry.npmjs.org:443', '*.pythonhosted.org', '10.0.0.7:8080', '[::1]:3000'],
        repository_remotes: true,
      },
      environment: { remove: ['*TOKEN*', 'AWS_*'], keep: ['GIT_AUTHOR_*'] },
    };
    expect(containmentSectionSchema.parse(section)).toEqual(section);
  });

  it.each([
    ['a glob in a home path', { deny_read: ['~/.ssh/id_*'] }, /literal/],
    ['a glob in an absolute path', { deny_read: ['/etc/*'] }, /literal/],
    ['".." segments', { deny_read: ['../other/.env'] }, /"\.\."/],
    ['the whole home', { deny_read: ['~/'] }, /whole file system or home/],
    ['a broken glob', { deny_read: ['src/{a,b'] }, /"\{"/],
    ['a glob where a write path must be literal', { deny_write: ['.github/**'] }, /literal path/],
    ['the whole workspace read-only', { deny_write: ['.'] }, /whole workspace/],
    ['a host with a scheme', { network: { hosts: ['https://registry.npmjs.org'] } }, /host name/],
    ['a bare wildcard host', { network: { hosts: ['*'] } }, /must name a host/],
    ['a port out of range', { network: { hosts: ['example.com:70000'] } }, /port outside/],
    ['a variable name with a dash', { environment: { remove: ['MY-TOKEN'] } }, /variable name/],
    ['an unknown key', { deny_reads: ['x'] }, /Unrecognized key/],
  ])('refuses %s', (_name, section, message) => {
    const result = containmentSectionSchema.safeParse(section);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toMatch(message);
  });

  it('reports a bad section with file, line and column like any pack error', () => {
    const text = [
      'id: p',
      'version: 1.0.0',
      'description: d',
      'containment:',
      '  deny_read:',
      "    - '~/.ssh/id_*'",
      'rules:',
      '  - { id: r, commands: [ls], decision: allow, reason: x }',
    ].join('\n');
    expect(() => loadPack(text, 'p.yaml', '/home/u')).toThrow(PackLoadError);
    try {
      loadPack(text, 'p.yaml', '/home/u');
    } catch (error) {
      expect((error as PackLoadError).errors[0]).toMatchObject({
        file: 'p.yaml',
        line: 6,
        key: 'containment.deny_read[0]',
      });
    }
  });
});

describe('the built-in packs fill it (one pack, two layers)', () => {
  it('cavra-secrets masks the credential stores, workspace secrets and secret variables', () => {
    const section = builtin('cavra-secrets').document.containment;
    expect(section?.deny_read).toEqual(
      expect.arrayContaining(['~/.ssh/', '~/.aws/', '~/.config/gh/', '**/.env', '**/.env.*', '**/id_rsa*']),
    );
    expect(section?.environment?.remove).toEqual(
      expect.arrayContaining(['*TOKEN*', '*SECRET*', '*PASSWORD*', 'AWS_*']),
    );
  });

  it('cavra-cicd protects pipeline definitions; cavra-baseline grants only registries and the repository remotes', () => {
    expect(builtin('cavra-cicd').document.containment?.deny_write).toEqual(
      expect.arrayContaining(['.github/workflows/', '.gitlab-ci.yml', 'Jenkinsfile', '.circleci/']),
    );
    const network = builtin('cavra-baseline').document.containment?.network;
    expect(network?.repository_remotes).toBe(true);
    for (const host of network?.hosts ?? []) expect(host).toMatch(/:443$/);
  });

  // What the sandbox masks, the same pack's judgement denies reading: the two layers agree.
  it('every workspace file cavra-secrets masks is one its own rules deny reading', () => {
    const pack = builtin('cavra-secrets');
    const tenantDefault: DefaultOutcome = {
      decision: 'allow',
      severity: 'low',
      reason: 'default',
      approvalRoute: null,
      packId: null,
    };
    const index = buildIndex([pack.compiled], tenantDefault);
    const globs = (pack.document.containment?.deny_read ?? []).filter((g) => !g.startsWith('/') && !g.startsWith('~/'));
    expect(globs.length).toBeGreaterThan(10);
    for (const glob of globs) {
      const sample = glob.replace(/^\*\*\//, 'config/').replace(/\*/g, 'prod');
      const action = actionSchema.parse({ type: 'read_file', path: sample, cwd: '/srv/app' });
      expect(evaluate(index, normalizeAction(action), {}).decision, `${glob} → ${sample}`).not.toBe('allow');
    }
  });
});

// The workspace scan's matcher: `**/name` globs are tested on the entry's name alone, and
// that must decide exactly as the glob's own regular expression on the whole path does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePathGlob, loadPack } from '../../policy';
import type { CompiledGlob } from './profile';
import { scanMatcher, scanWorkspace } from './workspace-scan';

const PACKS = path.resolve(__dirname, '..', '..', '..', 'policy-packs');

const compiled = (pattern: string): CompiledGlob[] =>
  compilePathGlob(pattern, '/').map((glob) => ({ pattern, regex: glob.regex.source }));

/** Every workspace glob of the built-in packs' containment sections (deny and except). */
function builtInGlobs(): CompiledGlob[] {
  const out: CompiledGlob[] = [];
  for (const file of fs.readdirSync(PACKS).filter((name) => name.endsWith('.yaml'))) {
    const { document } = loadPack(fs.readFileSync(path.join(PACKS, file), 'utf8'), file, os.homedir());
    const section = document.containment;
    for (const entry of [...(section?.deny_read ?? []), ...(section?.except_read ?? [])]) {
      if (!entry.startsWith('/') && !entry.startsWith('~/')) out.push(...compiled(entry.replace(/^\.\//, '')));
    }
  }
  return out;
}

// Globs whose last part can match more than a name, or that are not `**/…` at all.
const TRICKY = [
  '**/[!a]bc',
  '**/a?b',
  '**/{x,y}.pem',
  '*.env',
  'config/**/secret',
  '**/.aws/**',
  '**/creds/*.json',
  'deploy/.env',
  '**/*',
  '**/id_*',
  '**/secret.d/',
];

const NAMES = [
  '.env',
  '.ENV',
  'x.env',
  '.env.local',
  '.env.example',
  'a/b',
  'abc',
  'xbc',
  'bbc',
  'a/bc',
  'a.pem',
  'x.pem',
  'id_rsa',
  'id_rsa.pub',
  'credentials',
  'config.json',
  'secret',
  'service-account-1.json',
  'kubeconfig',
  'README.md',
  'key.pem.bak',
  'terraform.tfstate',
  'terraform.tfstate.backup',
  'a?b',
  'aXb',
  'id_',
  'secret.d',
];
const DIRS = [
  '',
  'src',
  '.aws',
  'config',
  'config/deep',
  'creds',
  'deploy',
  'a',
  'a/b',
  '.docker',
  '.kube',
  'secret.d',
];

describe('the scan matcher', () => {
  it('decides every path exactly as the globs themselves do (built-in packs and tricky globs)', () => {
    const globs = [...builtInGlobs(), ...TRICKY.flatMap(compiled)];
    expect(globs.length).toBeGreaterThan(30);
    const paths = DIRS.flatMap((dir) => NAMES.map((name) => (dir === '' ? name : `${dir}/${name}`)));
    let compared = 0;
    const disagreements: string[] = [];
    // One glob at a time and all together: each must agree with the path regex.
    for (const set of [...globs.map((glob) => [glob]), globs]) {
      const matcher = scanMatcher(set);
      const whole = new RegExp(set.map((glob) => `(?:${glob.regex})`).join('|'), 'i');
      for (const relative of paths) {
        const name = relative.slice(relative.lastIndexOf('/') + 1);
        const byMatcher = (matcher.name?.test(name) ?? false) || (matcher.path?.test(relative) ?? false);
        if (byMatcher !== whole.test(relative))
          disagreements.push(`${set.map((g) => g.pattern).join(', ')} on ${relative}`);
        compared++;
      }
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(10_000);
  });

  it('tests the name-only globs of the built-in packs on the name, and keeps the rest as path tests', () => {
    const matcher = scanMatcher([...compiled('**/.env'), ...compiled('**/*.pem'), ...compiled('**/.aws/credentials')]);
    expect(matcher.name?.source).toBe('^(?:\\.env$|[^/]*\\.pem$)');
    expect(matcher.path?.source).toContain('\\.aws\\/credentials$');
    expect(scanMatcher(compiled('**/[!a]bc')).name).toBeNull();
  });
});

describe('scanWorkspace', () => {
  let root: string;
  beforeAll(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-scan-')));
    for (const dir of ['src/deep', '.aws', 'node_modules/pkg', 'secrets.d'])
      fs.mkdirSync(path.join(root, dir), { recursive: true });
    for (const file of [
      '.env',
      'src/deep/.env.local',
      'src/deep/ok.ts',
      '.aws/credentials',
      'node_modules/pkg/.env',
      '.env.example',
    ])
      fs.writeFileSync(path.join(root, file), 'x');
    fs.symlinkSync(path.join(root, 'src', 'deep', 'ok.ts'), path.join(root, 'link.pem'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds names and paths, honours the exceptions, resolves matching links, skips node_modules', () => {
    const deny = ['**/.env', '**/.env.*', '**/.aws/credentials', '**/*.pem', '**/secrets.d/'].flatMap(compiled);
    const except = compiled('**/.env.example');
    const found = scanWorkspace(root, deny, except).matches.map(
      (m) => `${path.relative(root, m.path)}${m.directory ? '/' : ''}`,
    );
    expect(found.sort()).toEqual(['.aws/credentials', '.env', 'secrets.d/', 'src/deep/.env.local', 'src/deep/ok.ts']);
  });
});

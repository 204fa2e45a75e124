import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A real workspace and home directory on disk for the judgement corpus: secrets, keys,
 * symlinks and a hard link to them, ordinary fixtures, a git repository, agent control files.
 * Filesystem-aware judgement (globs, recursive readers, links) is exercised against it.
 */
export interface JudgementWorkspace {
  root: string;
  workspace: string;
  home: string;
  cleanup(): void;
}

const WORKSPACE_FILES: Record<string, string> = {
  '.env': 'DATABASE_URL=postgres://u:secret@db/app\nAPI_KEY=sk-live-123\n',
  '.env.example': 'DATABASE_URL=\nAPI_KEY=\n',
  '.gitignore': 'node_modules\n.env\ndist\n*.pem\ninfra/*.tfstate\ndata/\nconfig/secrets.*\n',
  'config/.env': 'STRIPE_SECRET_KEY=sk_live_456\n',
  'config/app.json': '{"port": 3000}\n',
  'config/secrets.json': '{"token": "t-789"}\n',
  'config/secrets.yaml': 'token: t-789\n',
  'keys/deploy.pem': '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
  'infra/main.tf': 'resource "null_resource" "x" {}\n',
  'infra/terraform.tfstate': '{"version": 4}\n',
  'src/index.ts': 'export const answer = 42;\n',
  'src/util.ts': 'export function id<T>(x: T): T { return x; }\n',
  'src/old.ts': 'export {};\n',
  'src/a.ts': 'export {};\n',
  'test/fixtures/a.json': '{"a": 1}\n',
  'test/fixtures/b.json': '{"b": 2}\n',
  'test/tmp/scratch.txt': 'scratch\n',
  'docs/guide.md': '# Guide\n',
  'README.md': '# App\n',
  'package.json':
    '{"name":"app","version":"1.0.0","scripts":{"test":"vitest run","build":"tsc","dev":"vite","preview":"vite preview"}}\n',
  'data.txt': 'b 2\na 1\n',
  'data.csv': 'name,count\na,1\n',
  'list.txt': 'src/index.ts\nsrc/util.ts\n',
  'logs/app.log': 'started\n',
  'setup.cfg': '[metadata]\nversion = 1\n',
  Makefile: 'all:\n\t@echo build\ntest:\n\t@echo test\nbuild:\n\t@echo build\n',
  Dockerfile: 'FROM node:20\n',
  'scripts/test.sh': '#!/bin/sh\necho test\n',
  'scripts/show.sh': '#!/bin/sh\ncat "$1"\n',
  'tools/print.py': 'import sys\nprint(open(sys.argv[1]).read())\n',
  'tools/print.js': 'console.log(require("fs").readFileSync(process.argv[2], "utf8"))\n',
  'tools/print.rb': 'puts File.read(ARGV[0])\n',
  'tools/print.pl': 'print while <>;\n',
  'tools/gen.py': 'print("generated")\n',
  'tools/gen.js': 'console.log("generated")\n',
  'tools/edit.py': 'print("{}")\n',
  'dist/index.js': 'console.log(1)\n',
  '.claude/settings.json': '{"hooks": {}}\n',
  '.mcp.json': '{"mcpServers": {}}\n',
  '.vscode/settings.json': '{}\n',
  'app.db': '',
  'patches/fix.patch':
    'diff --git a/src/index.ts b/src/index.ts\n--- a/src/index.ts\n+++ b/src/index.ts\n@@ -1 +1 @@\n-export const answer = 42;\n+export const answer = 43;\n',
  'patches/settings.patch':
    'diff --git a/.claude/settings.json b/.claude/settings.json\n--- a/.claude/settings.json\n+++ b/.claude/settings.json\n@@ -1 +1 @@\n-{"hooks": {}}\n+{}\n',
  'patches/workflow.patch': '--- /dev/null\n+++ b/workflows/x.yml\n@@ -0,0 +1 @@\n+on: push\n',
  'patches/ci.patch':
    'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1 @@\n-export {};\n+export const a = 1;\n--- /dev/null\n+++ b/.github/workflows/x.yml\n@@ -0,0 +1 @@\n+on: push\n',
  'test.db': '',
};

const HOME_FILES: Record<string, string> = {
  '.ssh/id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n',
  '.ssh/id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\ny\n-----END OPENSSH PRIVATE KEY-----\n',
  '.ssh/id_ed25519.pub': 'ssh-ed25519 AAAA dev@example\n',
  '.ssh/config': 'Host *\n',
  '.ssh/known_hosts': 'example.com ssh-ed25519 AAAA\n',
  '.aws/credentials': '[default]\naws_secret_access_key = x\n',
  '.aws/config': '[default]\nregion = eu-west-1\n',
  '.kube/config': 'apiVersion: v1\n',
  '.docker/config.json': '{"auths": {}}\n',
  '.netrc': 'machine github.com password x\n',
  '.npmrc': '//registry.npmjs.org/:_authToken=x\n',
  '.gitconfig': '[user]\n\tname = Dev\n',
  '.bashrc': 'export PATH=$PATH\n',
  '.claude/settings.json': '{}\n',
  '.claude/.credentials.json': '{"token": "x"}\n',
  '.config/gh/hosts.yml': 'github.com:\n  oauth_token: x\n',
};

function writeTree(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

export function createJudgementWorkspace(): JudgementWorkspace {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-judgement-')));
  const workspace = path.join(root, 'app');
  const home = path.join(root, 'home');
  writeTree(workspace, WORKSPACE_FILES);
  writeTree(home, HOME_FILES);
  fs.mkdirSync(path.join(root, 'other'), { recursive: true });
  fs.mkdirSync(path.join(workspace, 'public'), { recursive: true });
  // Routes to protected files that do not look like them.
  fs.symlinkSync('../.env', path.join(workspace, 'docs/env-link'));
  fs.symlinkSync('../config', path.join(workspace, 'docs/config-dir'));
  fs.symlinkSync('../keys/deploy.pem', path.join(workspace, 'docs/key-link'));
  fs.mkdirSync(path.join(workspace, 'data'), { recursive: true });
  fs.linkSync(path.join(workspace, '.env'), path.join(workspace, 'data/backup.txt'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: workspace,
      stdio: 'ignore',
      env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1' },
    });
  git('init', '-q', '-b', 'feature/login');
  git(
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.com',
    'add',
    'src',
    'README.md',
    'package.json',
    'docs/env-link',
  );
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'init');
  git('remote', 'add', 'origin', 'https://github.com/example/app.git');
  return { root, workspace, home, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

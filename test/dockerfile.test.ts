// The container recipe (issue 12): no Docker here, so the test checks what can be checked without
// one — every file it copies from the repository or from the build exists after `npm ci` and the
// build, its command is the CLI's `server`, and nothing is downloaded outside the npm registry.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

describe('Dockerfile', () => {
  it('is based on Debian node:20-slim and builds with npm ci, fetching nothing with curl, wget or git', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^FROM node:20-slim\b/);
    const runs = instructions.filter((line) => line.startsWith('RUN ')).join('\n');
    expect(runs).toContain('npm ci');
    expect(runs).not.toMatch(/\b(curl|wget|git clone|npx)\b/);
    expect(dockerfile).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD=1');
    expect(dockerfile).toContain('npm_config_nodedir=/usr/local');
  });

  it('copies only files that exist (in the repository, or made by npm ci and the build in the build stage)', () => {
    const copies = instructions.filter((line) => line.startsWith('COPY '));
    expect(copies.length).toBeGreaterThan(3);
    for (const copy of copies) {
      const parts = copy.split(/\s+/).slice(1);
      const fromBuild = parts[0]?.startsWith('--from=');
      const sources = parts.filter((part) => !part.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        if (source === '.') continue;
        const relative = fromBuild ? source.replace(/^\/app\/?/, '') : source;
        expect(fs.existsSync(path.join(root, relative)), `${copy}: ${relative}`).toBe(true);
      }
    }
  });

  it('runs `cavra server` from the launcher, with TLS and the database from the environment only', () => {
    const cmd = instructions.find((line) => line.startsWith('CMD '));
    const args = JSON.parse((cmd as string).slice('CMD '.length)) as string[];
    expect(args.slice(0, 3)).toEqual(['node', 'bin/cavra.cjs', 'server']);
    expect(fs.existsSync(path.join(root, args[1] as string))).toBe(true);
    expect(args.join(' ')).not.toMatch(/postgres|DATABASE|--insecure-loopback/);
    expect(instructions.some((line) => line.startsWith('USER ') && !line.endsWith('root'))).toBe(true);
    const healthcheck = instructions.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck).toContain('/healthz');
    expect(fs.readFileSync(path.join(root, '.dockerignore'), 'utf8')).toMatch(/^node_modules$/m);
  });
});

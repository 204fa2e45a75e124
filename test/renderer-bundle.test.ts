import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// HOUSE rule 10: the browser bridge is test/dev-only. Build both renderer bundles and prove
// the production one carries none of the bridge's code or wire names.
const root = path.resolve(import.meta.dirname, '..');
const read = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(js|html|css)$/.test(entry.name))
    .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');

describe('production renderer bundle', () => {
  let production = '';
  let bridge = '';
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build.mjs', 'renderer'], { cwd: root, stdio: 'pipe' });
    production = read(path.join(root, 'dist/renderer'));
    bridge = read(path.join(root, 'dist/renderer-bridge'));
  }, 120_000);

  it('does not contain the bridge entry or its wire names', () => {
    for (const marker of ['cavra-bridge', '/api/invoke', '/api/events', 'cavra.bridge.token', 'Bearer ']) {
      expect(bridge, `the bridge bundle should contain ${marker}`).toContain(marker);
      expect(production, `the production bundle must not contain ${marker}`).not.toContain(marker);
    }
  });

  it('loads only same-origin scripts under a CSP that forbids network access', () => {
    const html = fs.readFileSync(path.join(root, 'dist/renderer/index.html'), 'utf8');
    expect(html).toContain("connect-src 'none'");
    expect(html).not.toMatch(/<script[^>]+src="(https?:)?\/\//);
  });
});

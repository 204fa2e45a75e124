import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const scheme = JSON.parse(
  fs.readFileSync(path.join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'),
) as object;
const config = parse(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  return ajv.compile(scheme);
}

describe('electron-builder.yml (HOUSE rule 12)', () => {
  it('validates against app-builder-lib scheme.json', () => {
    const validate = validator();
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('rejects an unknown key, so the validation above has teeth', () => {
    const validate = validator();
    expect(validate({ ...config, fusesTypo: { runAsNode: false } })).toBe(false);
    expect(validate({ ...config, electronFuses: { ...(config.electronFuses as object), runAsNodee: false } })).toBe(
      false,
    );
  });

  it('writes every fuse out explicitly with the locked-down value', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
      enableCookieEncryption: true,
      loadBrowserProcessSpecificV8Snapshot: false,
    });
  });

  it('signs on every platform and ships the right targets', () => {
    expect(config).toMatchObject({
      appId: expect.any(String),
      productName: 'CAVRA Enterprise',
      asarUnpack: ['**/*.node'],
      mac: { hardenedRuntime: true, notarize: true },
      linux: { target: ['AppImage', 'deb'] },
    });
    const win = config.win as Record<string, unknown>;
    expect(win.signtoolOptions ?? win.azureSignOptions).toBeTruthy();
    expect(config.files).toContain('!dist/renderer-bridge/**');
    // Everything the desktop app loads at run time, the core worker included.
    for (const built of ['dist/main/**', 'dist/preload/**', 'dist/renderer/**', 'dist/core/**', 'policy-packs/**']) {
      expect(config.files).toContain(built);
    }
  });

  it('never rebuilds native modules for Electron on install', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.postinstall).toBeUndefined();
    expect(pkg.scripts.prepare ?? '').not.toMatch(/rebuild|install-app-deps/);
    expect(config.npmRebuild).toBe(false);
    expect(fs.readFileSync(path.join(root, 'scripts/release.mjs'), 'utf8')).toMatch(/install-app-deps/);
  });

  it('packs the MCP server the governed workflow (trial step 4) runs, with everything it loads', () => {
    // electron-builder copies production dependencies (never devDependencies) beside the app,
    // whatever `files` lists, unless a pattern excludes node_modules.
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const server = '@modelcontextprotocol/server-filesystem';
    expect(pkg.dependencies[server]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies[server]).toBeUndefined();
    expect((config.files as string[]).filter((pattern) => pattern.includes('node_modules'))).toEqual([]);
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; dependencies?: Record<string, string> }>;
    };
    // Node's resolution over the lockfile's paths: the nearest node_modules up from the dependent wins.
    const resolve = (from: string, name: string): string | undefined => {
      for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
        const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
        if (lock.packages[candidate]) return candidate;
        if (!dir) return undefined;
      }
    };
    const seen = new Set<string>();
    const queue: [string, string][] = [['', server]];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const [from, name] = next;
      const found = resolve(from, name);
      expect(found, `${name} (needed by ${from || 'the app'}) is in the lockfile`).toBeDefined();
      if (!found || seen.has(found)) continue;
      seen.add(found);
      const entry = lock.packages[found];
      // A package marked dev would be left out of the packaged app.
      expect(entry?.dev, `${found} is a production package`).toBeUndefined();
      for (const dependency of Object.keys(entry?.dependencies ?? {})) queue.push([found, dependency]);
    }
    expect(seen.size).toBeGreaterThan(4);
  });
});

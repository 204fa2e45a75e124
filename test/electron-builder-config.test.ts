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
});

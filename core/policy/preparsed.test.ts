import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

/*
 * Built-in packs pre-parsed at build time (scripts/build.mjs → __CAVRA_PREPARSED_PACKS__) are
 * used only for the exact text they were built from: an edited or tampered pack file on disk
 * is parsed and validated in full, and its digest is that of its own text.
 */

const dir = path.resolve(import.meta.dirname, '../../policy-packs');
const baselineText = fs.readFileSync(path.join(dir, 'cavra-baseline.yaml'), 'utf8');
const sha = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const globals = globalThis as { __CAVRA_PREPARSED_PACKS__?: unknown };

async function freshLoader(preparsed: Record<string, unknown>) {
  globals.__CAVRA_PREPARSED_PACKS__ = preparsed;
  vi.resetModules();
  return import('./load');
}

afterEach(() => {
  delete globals.__CAVRA_PREPARSED_PACKS__;
  vi.resetModules();
});

describe('pre-parsed built-in packs', () => {
  it('stand in for parsing only the exact text they were built from', async () => {
    const { loadPack } = await freshLoader({});
    const reference = loadPack(baselineText, 'cavra-baseline.yaml', os.homedir());
    // A marker in the built document shows which path was taken.
    const built = { ...reference.document, description: 'from the build' };
    const { loadPack: withBuilt } = await freshLoader({ [sha(baselineText)]: built });

    const same = withBuilt(baselineText, 'cavra-baseline.yaml', os.homedir());
    expect(same.document.description).toBe('from the build');
    expect(same.sha256).toBe(reference.sha256);
    expect(same.compiled.rules.length).toBe(reference.compiled.rules.length);

    // One byte more (a tampered or edited file): read in full, its own digest.
    const edited = `${baselineText}\n`;
    const loaded = withBuilt(edited, 'cavra-baseline.yaml', os.homedir());
    expect(loaded.document.description).toBe(reference.document.description);
    expect(loaded.sha256).toBe(sha(edited));
    expect(loaded.sha256).not.toBe(reference.sha256);
  });

  it('never spare a tampered file its validation', async () => {
    const { loadPack } = await freshLoader({});
    const reference = loadPack(baselineText, 'cavra-baseline.yaml', os.homedir());
    const { loadPack: withBuilt, PackLoadError } = await freshLoader({ [sha(baselineText)]: reference.document });
    const tampered = baselineText.replace(/decision: allow/, 'decision: allow-everything');
    expect(tampered).not.toBe(baselineText);
    expect(() => withBuilt(tampered, 'cavra-baseline.yaml', os.homedir())).toThrow(PackLoadError);
  });

  it('are what the build script produces: every shipped pack, keyed by its text, surviving JSON', async () => {
    const { execFileSync } = await import('node:child_process');
    const root = path.resolve(import.meta.dirname, '../..');
    const out = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/preparse-packs.ts')], {
        cwd: root,
        encoding: 'utf8',
      }),
    ) as Record<string, { id: string }>;
    const files = fs.readdirSync(dir).filter((name) => name.endsWith('.yaml'));
    expect(Object.keys(out).sort()).toEqual(
      files.map((name) => sha(fs.readFileSync(path.join(dir, name), 'utf8'))).sort(),
    );
    const { loadPack } = await freshLoader(out);
    for (const name of files) {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      expect(loadPack(text, name, os.homedir()).document.id).toBe(out[sha(text)]?.id);
    }
  }, 60_000);
});

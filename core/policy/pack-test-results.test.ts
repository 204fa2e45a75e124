import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ContractError } from '../contract';
import { localEvaluationPrincipal } from '../identity';
import { normalizeAction } from '../normalize';
import { TenantDirectory } from '../tenants';
import { tempHome } from '../../test/support/temp-home';
import { engineFingerprint } from './engine-fingerprint';
import { FilePackTestResults, packTestKey, packTestResultsPath } from './pack-test-results';
import type { Normalizer, PackTestReport } from './pack-tests';
import { findBuiltinPackDir, PolicyService } from '.';

/*
 * Pack test results kept between processes: a second process on the same data directory
 * activates the built-in packs without running their tests again; a changed pack re-runs them;
 * and nothing written into the cache can make a pack that fails its tests importable or
 * assignable, nor keep a passing built-in pack from activating.
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

const builtinDir = findBuiltinPackDir() as string;

/** A data directory with its own copy of the built-in packs (so a test may edit them). */
function dataDirectory() {
  const { home, cleanup } = tempHome('cavra-pack-results-');
  cleanups.push(cleanup);
  const packs = path.join(home, 'builtin-packs');
  fs.mkdirSync(packs);
  for (const name of fs.readdirSync(builtinDir).filter((n) => n.endsWith('.yaml'))) {
    fs.copyFileSync(path.join(builtinDir, name), path.join(packs, name));
  }
  return { home, packs, cacheFile: packTestResultsPath(home) };
}

/**
 * One "process": a policy service on the data directory with a normalizer of its own (so
 * nothing run by another service of this test process is shared in memory) that counts the
 * pack test actions it normalizes.
 */
function process_(dir: { home: string; packs: string; cacheFile: string }) {
  // A tenant store of its own: only the cache file is shared with the earlier processes.
  const { home, cleanup } = tempHome('cavra-pack-results-tenants-');
  cleanups.push(cleanup);
  const tenants = new TenantDirectory(home);
  tenants.bootstrap(localEvaluationPrincipal);
  cleanups.push(() => tenants.close());
  const counter = { normalized: 0 };
  const normalize: Normalizer = (action, options) => {
    counter.normalized++;
    return normalizeAction(action, options);
  };
  const service = new PolicyService({
    tenants,
    builtinDir: dir.packs,
    normalize,
    userHome: os.homedir(),
    testResults: new FilePackTestResults(dir.cacheFile),
  });
  return { service, tenant: tenants.defaultTenant() as string, counter };
}

function storedEntries(cacheFile: string): Record<string, { at: string; report: PackTestReport }> {
  return (
    JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as {
      entries: Record<string, { at: string; report: PackTestReport }>;
    }
  ).entries;
}

function writeEntries(cacheFile: string, entries: Record<string, { at: string; report: PackTestReport }>): void {
  fs.writeFileSync(cacheFile, JSON.stringify({ format: 1, entries }));
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

const tinyPack = (version: string, expectation: string) => `id: acme-rules
version: ${version}
description: ACME's own rules
rules:
  - { id: no-frob, commands: [frob], decision: deny, reason: frob is banned at ACME }
tests:
  - { name: frob is denied, action: { type: execute_command, command: frob --all }, expect: ${expectation} }
`;

describe('pack test results kept between processes', () => {
  it('lets a second process activate the built-in packs without running their tests, and re-runs a changed pack', () => {
    const dir = dataDirectory();
    const first = process_(dir);
    first.service.prepare(first.tenant);
    expect(first.counter.normalized).toBeGreaterThan(100);
    const entries = storedEntries(dir.cacheFile);
    const packIds = Object.values(entries).map((entry) => entry.report.packId);
    expect(packIds).toContain('cavra-secrets');
    expect(Object.values(entries).every((entry) => entry.report.failed === 0)).toBe(true);

    // A second process on a fresh tenant store in the same data directory: no test is run.
    const second = process_(dir);
    second.service.prepare(second.tenant);
    expect(second.counter.normalized).toBe(0);
    const judged = second.service.evaluate(second.tenant, { type: 'read_file', path: '/srv/app/.env' } as never);
    expect(judged.decision.decision).toBe('deny');

    // A changed pack text is a new key: its tests run again (and only its).
    const file = path.join(dir.packs, 'cavra-mcp-trust.yaml');
    fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}\n# edited\n`);
    const third = process_(dir);
    third.service.prepare(third.tenant);
    const mcpTests = third.service.pack(third.tenant, 'cavra-mcp-trust').loaded.document.tests?.length ?? 0;
    expect(mcpTests).toBeGreaterThan(0);
    expect(third.counter.normalized).toBe(mcpTests);
  });

  it('keys results by pack text, judging code and home', () => {
    const key = packTestKey('a'.repeat(64), 'engine-1', '/home/dev');
    expect(packTestKey('a'.repeat(64), 'engine-2', '/home/dev')).not.toBe(key);
    expect(packTestKey('b'.repeat(64), 'engine-1', '/home/dev')).not.toBe(key);
    expect(packTestKey('a'.repeat(64), 'engine-1', '/home/other')).not.toBe(key);
    expect(packTestKey('a'.repeat(64), 'engine-1', '/home/dev')).toBe(key);
  });

  it('never takes a forged pass to import or assign a pack that fails its tests', () => {
    const dir = dataDirectory();
    const { service, tenant } = process_(dir);
    service.prepare(tenant);
    const entries = storedEntries(dir.cacheFile);
    const template = Object.entries(entries)[0];
    expect(template).toBeDefined();

    // Import of a failing pack: the rejection carries the real run, whatever the cache says.
    const failing = tinyPack('1.0.0', 'allow');
    const rejected = (() => {
      try {
        service.importPack(tenant, failing, null, localEvaluationPrincipal);
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(rejected).toBeInstanceOf(ContractError);
    expect((rejected as ContractError).message).toContain('fails 1 of its own tests');
    // Forge a pass for every key the cache holds and for this pack, then try again in a new process.
    const forged: PackTestReport = {
      packId: 'acme-rules',
      version: '1.0.0',
      passed: 1,
      failed: 0,
      results: [{ name: 'frob is denied', expect: 'allow', got: 'allow', decidedBy: null, ok: true, message: '' }],
    };
    writeEntries(
      dir.cacheFile,
      Object.fromEntries(
        [...Object.keys(entries), packTestKey(sha256(failing), engineFingerprint() as string, os.homedir())].map(
          (key) => [key, { at: new Date().toISOString(), report: forged }],
        ),
      ),
    );
    const again = process_(dir);
    expect(() => again.service.importPack(again.tenant, failing, null, localEvaluationPrincipal)).toThrow(
      /fails 1 of its own tests/,
    );

    // A built-in file edited to fail its tests, with a forged pass under its exact key. The
    // forged pass can only speak for text already in the install's built-in directory (whoever
    // writes both could change the code as well), but it never makes the pack assignable:
    // assigning runs the tests in the process.
    const file = path.join(dir.packs, 'cavra-baseline.yaml');
    const broken = fs
      .readFileSync(file, 'utf8')
      .replace('version: 1.0.0', 'version: 1.0.9')
      .replace("      - 'npm test'\n", '');
    fs.writeFileSync(file, broken);
    const fingerprint = engineFingerprint() as string;
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);
    const sha = sha256(broken);
    const testCount = (parse(broken) as { tests: unknown[] }).tests.length;
    expect(testCount).toBeGreaterThan(10);
    writeEntries(dir.cacheFile, {
      [packTestKey(sha, fingerprint, os.homedir())]: {
        at: new Date().toISOString(),
        report: { packId: 'cavra-baseline', version: '1.0.9', passed: testCount, failed: 0, results: [] },
      },
    });
    const fresh = process_(dir);
    expect(fresh.service.pack(fresh.tenant, 'cavra-baseline').summary.version).toBe('1.0.9');
    fresh.service.unassign(fresh.tenant, 'cavra-baseline', null, localEvaluationPrincipal);
    expect(() => fresh.service.assign(fresh.tenant, 'cavra-baseline', null, localEvaluationPrincipal)).toThrow(
      /cavra-baseline 1\.0\.9 fails .*fix them before assigning/,
    );
  });

  it('runs the tests again when the cache claims a shipped pack fails, so a forged failure cannot disable it', () => {
    const dir = dataDirectory();
    const first = process_(dir);
    first.service.prepare(first.tenant);
    const entries = storedEntries(dir.cacheFile);
    writeEntries(
      dir.cacheFile,
      Object.fromEntries(
        Object.entries(entries).map(([key, entry]) => [
          key,
          { at: entry.at, report: { ...entry.report, passed: 0, failed: entry.report.passed } },
        ]),
      ),
    );
    const second = process_(dir);
    second.service.prepare(second.tenant);
    expect(second.counter.normalized).toBeGreaterThan(100);
    const { packs, rejected } = second.service.listPacks(second.tenant);
    expect(rejected).toEqual([]);
    expect(packs.find((p) => p.id === 'cavra-secrets')?.tests.status).toBe('passed');
    expect(
      second.service.evaluate(second.tenant, { type: 'read_file', path: '/srv/app/.env' } as never).decision.decision,
    ).toBe('deny');
  });

  it('ignores a cache file that is not its own: garbage, a symlink, or too large', () => {
    const dir = dataDirectory();
    fs.mkdirSync(path.dirname(dir.cacheFile), { recursive: true });
    const elsewhere = path.join(dir.home, 'elsewhere.json');
    for (const plant of [
      () => fs.writeFileSync(dir.cacheFile, '{"format": 1, "entries": {"x": {"at": 1}}}'),
      () => fs.writeFileSync(dir.cacheFile, 'not json'),
      () => {
        fs.writeFileSync(elsewhere, JSON.stringify({ format: 1, entries: {} }));
        fs.rmSync(dir.cacheFile, { force: true });
        fs.symlinkSync(elsewhere, dir.cacheFile);
      },
    ]) {
      plant();
      const results = new FilePackTestResults(dir.cacheFile);
      expect(results.find('x')).toBeNull();
    }
    // Saving replaces the planted symlink with a file of its own; the link's target is untouched.
    new FilePackTestResults(dir.cacheFile).save('k', {
      packId: 'p',
      version: '1',
      passed: 0,
      failed: 0,
      results: [],
    });
    expect(fs.lstatSync(dir.cacheFile).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(elsewhere, 'utf8')).toBe(JSON.stringify({ format: 1, entries: {} }));
    expect(new FilePackTestResults(dir.cacheFile).find('k')?.packId).toBe('p');
  });
});

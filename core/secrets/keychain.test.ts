import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidSecretRefError, KeychainSecretStore, probeKeychain, tenantSecrets } from './index';

// These tests use the real Secret Service (HOUSE rule 11). Run them under
// scripts/with-keyring.sh; without a keychain they fail here, loudly, instead of skipping.
const namespace = () => `test-${crypto.randomBytes(6).toString('hex')}`;

beforeAll(() => {
  const probe = probeKeychain(new KeychainSecretStore(namespace()));
  if (!probe.available) {
    throw new Error(`No usable OS keychain; run the tests under scripts/with-keyring.sh.\n${probe.reason}`);
  }
});

describe('KeychainSecretStore (real Secret Service)', () => {
  it('stores, reads and deletes a secret', () => {
    const store = new KeychainSecretStore(namespace());
    const ref = { tenant: 'acme', service: 'connector/smtp', account: 'relay' };
    expect(store.get(ref)).toBeNull();
    store.set(ref, 'p@ss wörd');
    expect(store.get(ref)).toBe('p@ss wörd');
    store.set(ref, 'rotated');
    expect(store.get(ref)).toBe('rotated');
    expect(store.delete(ref)).toBe(true);
    expect(store.delete(ref)).toBe(false);
    expect(store.get(ref)).toBeNull();
  });

  it('keeps tenants and installs apart', () => {
    const ns = namespace();
    const store = new KeychainSecretStore(ns);
    const acme = tenantSecrets(store, 'acme');
    const globex = tenantSecrets(store, 'globex');
    acme.set('evidence-signing', 'key', 'acme-secret');
    expect(globex.get('evidence-signing', 'key')).toBeNull();
    expect(
      new KeychainSecretStore(namespace()).get({ tenant: 'acme', service: 'evidence-signing', account: 'key' }),
    ).toBeNull();
    expect(acme.get('evidence-signing', 'key')).toBe('acme-secret');
    expect(acme.delete('evidence-signing', 'key')).toBe(true);
  });

  it('refuses malformed references and empty secrets', () => {
    const store = new KeychainSecretStore(namespace());
    expect(() => store.get({ tenant: '', service: 's', account: 'a' })).toThrow(InvalidSecretRefError);
    expect(() => store.get({ tenant: 'a/b', service: 's', account: 'a' })).toThrow(/tenant id/);
    expect(() => store.get({ tenant: 'acme', service: 's\n', account: 'a' })).toThrow(/printable/);
    expect(() => store.set({ tenant: 'acme', service: 's', account: 'a' }, '')).toThrow(/empty/);
    expect(() => new KeychainSecretStore('bad namespace')).toThrow(/identifier/);
  });

  it('fails closed with advice when no Secret Service is reachable', () => {
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const entry = path.join(import.meta.dirname, 'index.ts');
    const script = `
      import { KeychainSecretStore, KeychainUnavailableError, probeKeychain } from ${JSON.stringify(entry)};
      const store = new KeychainSecretStore('unavailable-test');
      const outcome = {};
      try { store.set({ tenant: 'acme', service: 's', account: 'a' }, 'secret-value'); outcome.set = 'stored'; }
      catch (e) { outcome.set = e instanceof KeychainUnavailableError ? e.message : 'other: ' + e.message; }
      outcome.probe = probeKeychain(store);
      console.log(JSON.stringify(outcome));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const outcome = JSON.parse(child.stdout) as { set: string; probe: { available: boolean; advice: string } };
    expect(outcome.set).toMatch(/^The OS keychain is not available/);
    expect(outcome.set).toMatch(/DBUS_SESSION_BUS_ADDRESS/);
    expect(outcome.set).not.toContain('secret-value');
    expect(outcome.probe.available).toBe(false);
    expect(outcome.probe.advice).toMatch(/Secret Service/);
  });
});

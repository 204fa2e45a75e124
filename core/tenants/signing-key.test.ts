import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localEvaluationPrincipal } from '../identity';
import { KeychainSecretStore, probeKeychain } from '../secrets';
import type { SecretStore } from '../secrets';
import { TenantDirectory } from './index';
import { tempHome } from '../../test/support/temp-home';

// Real Secret Service (HOUSE rule 11): run under scripts/with-keyring.sh.
beforeAll(() => {
  const probe = probeKeychain(new KeychainSecretStore('probe'));
  if (!probe.available) throw new Error(`No usable OS keychain; run under scripts/with-keyring.sh.\n${probe.reason}`);
});

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

function directory(options?: { secrets?: SecretStore }) {
  const { home, cleanup } = tempHome();
  const dir = new TenantDirectory(home, undefined, options);
  cleanups.push(() => {
    dir.close();
    cleanup();
  });
  return { dir, home };
}

describe('tenant evidence signing keys', () => {
  it('generates a key at creation: private half in the keychain, public half in the tenant record', () => {
    const { dir } = directory();
    dir.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
    const recorded = dir.signingPublicKey('acme');
    expect(recorded?.publicKey).toHaveLength(32);
    const signer = dir.evidenceSigner('acme');
    expect(signer.publicKey.equals(recorded?.publicKey as Buffer)).toBe(true);
    expect(dir.signingKeyStatus('acme')).toEqual({ state: 'ready', keyId: recorded?.keyId });
    const secret = new KeychainSecretStore(dir.installId()).get({
      tenant: 'acme',
      service: 'evidence-signing',
      account: 'ed25519',
    });
    expect(secret).toMatch(/^[A-Za-z0-9+/]+=*$/);
    // Nothing secret is written to disk next to the tenant data.
    const files = fs.readdirSync(dir.home, { recursive: true }).map(String);
    for (const file of files.filter((f) => fs.statSync(path.join(dir.home, f)).isFile())) {
      expect(fs.readFileSync(path.join(dir.home, file)).includes(Buffer.from(secret as string))).toBe(false);
    }
  });

  it('gives every tenant its own key and every install its own namespace', () => {
    const a = directory();
    const b = directory();
    a.dir.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
    a.dir.create({ id: 'globex', displayName: 'Globex', kind: 'evaluation' }, localEvaluationPrincipal);
    b.dir.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
    const keys = [a.dir.evidenceSigner('acme'), a.dir.evidenceSigner('globex'), b.dir.evidenceSigner('acme')];
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(3);
  });

  it('rolls creation back completely, keychain entry included, when a step fails', () => {
    const { home } = tempHome();
    const real = new KeychainSecretStore('rollback-test');
    const failing: SecretStore = {
      get: (ref) => real.get(ref),
      delete: (ref) => real.delete(ref),
      set: (ref, value) => {
        real.set(ref, value);
        throw new Error('keychain write reported failure after storing');
      },
    };
    const dir = new TenantDirectory(home, undefined, { secrets: failing });
    cleanups.push(() => {
      dir.close();
      fs.rmSync(home, { recursive: true, force: true });
    });
    expect(() => dir.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal)).toThrow(
      /reported failure/,
    );
    expect(dir.exists('acme')).toBe(false);
    expect(fs.existsSync(path.join(home, 'tenants', 'acme'))).toBe(false);
    expect(real.get({ tenant: 'acme', service: 'evidence-signing', account: 'ed25519' })).toBeNull();
  });

  it('reports a missing private key plainly and never regenerates over a recorded key', () => {
    const { dir } = directory();
    dir.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
    new KeychainSecretStore(dir.installId()).delete({
      tenant: 'acme',
      service: 'evidence-signing',
      account: 'ed25519',
    });
    const status = dir.signingKeyStatus('acme');
    expect(status.state).toBe('key_missing');
    expect(status.state === 'key_missing' && status.message).toMatch(/no private key/);
    expect(() => dir.provisionSigningKey('acme')).toThrow(/already has/);
  });

  it('without a keychain creates the tenant unable to sign, says so, and provisions later', () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const entry = path.join(import.meta.dirname, 'index.ts');
    const identity = path.join(import.meta.dirname, '..', 'identity', 'index.ts');
    const script = `
      import { TenantDirectory } from ${JSON.stringify(entry)};
      import { localEvaluationPrincipal } from ${JSON.stringify(identity)};
      const dir = new TenantDirectory(${JSON.stringify(home)});
      dir.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
      const status = dir.signingKeyStatus('acme');
      let provision;
      try { dir.provisionSigningKey('acme'); provision = 'provisioned'; } catch (e) { provision = e.message; }
      console.log(JSON.stringify({ exists: dir.exists('acme'), key: dir.signingPublicKey('acme'), status, provision }));
      dir.close();`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const outcome = JSON.parse(child.stdout) as {
      exists: boolean;
      key: unknown;
      status: { state: string; message: string };
      provision: string;
    };
    expect(outcome.exists).toBe(true);
    expect(outcome.key).toBeNull();
    expect(outcome.status.state).toBe('no_key');
    expect(outcome.status.message).toMatch(/no OS keychain was available/);
    expect(outcome.provision).toMatch(/OS keychain is not available/);
    // Back in a session with a keychain, the key can be provisioned.
    const dir = new TenantDirectory(home);
    cleanups.push(() => dir.close());
    const { keyId } = dir.provisionSigningKey('acme');
    expect(dir.signingKeyStatus('acme')).toEqual({ state: 'ready', keyId });
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TenantDirectory, DEFAULT_TENANT_ID } from './index';
import { localEvaluationPrincipal } from '../identity';
import { openDatabase } from '../store';
import { tempHome } from '../../test/support/temp-home';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

function directory() {
  const { home, cleanup } = tempHome();
  const dir = new TenantDirectory(home);
  cleanups.push(() => {
    dir.close();
    cleanup();
  });
  return { dir, home };
}

describe('TenantDirectory', () => {
  it('bootstraps a default evaluation tenant with its own database file', () => {
    const { dir, home } = directory();
    dir.bootstrap(localEvaluationPrincipal);
    dir.bootstrap(localEvaluationPrincipal); // idempotent
    const tenants = dir.listFor(localEvaluationPrincipal.id);
    expect(tenants.map((t) => t.id)).toEqual([DEFAULT_TENANT_ID]);
    expect(tenants[0]?.kind).toBe('evaluation');
    expect(fs.existsSync(path.join(home, 'tenants', DEFAULT_TENANT_ID, 'tenant.sqlite'))).toBe(true);
    expect(dir.installRoles(localEvaluationPrincipal.id)).toEqual(['install_admin']);
  });

  it('uses WAL and records its own tenant id in each tenant database', () => {
    const { dir } = directory();
    dir.bootstrap(localEvaluationPrincipal);
    const db = dir.store(DEFAULT_TENANT_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare(`SELECT value FROM tenant_meta WHERE key = 'tenant_id'`).get()).toEqual({
      value: DEFAULT_TENANT_ID,
    });
  });

  it('refuses a tenant database that belongs to another tenant', () => {
    const { dir, home } = directory();
    dir.bootstrap(localEvaluationPrincipal);
    dir.create({ id: 'acme', displayName: 'Acme', kind: 'evaluation' }, localEvaluationPrincipal);
    dir.close();
    // Swap acme's database for the evaluation tenant's file.
    fs.copyFileSync(
      path.join(home, 'tenants', 'evaluation', 'tenant.sqlite'),
      path.join(home, 'tenants', 'acme', 'tenant.sqlite'),
    );
    fs.rmSync(path.join(home, 'tenants', 'acme', 'tenant.sqlite-wal'), { force: true });
    fs.rmSync(path.join(home, 'tenants', 'acme', 'tenant.sqlite-shm'), { force: true });
    const reopened = new TenantDirectory(home);
    cleanups.push(() => reopened.close());
    expect(() => reopened.store('acme')).toThrow(/belongs to tenant "evaluation"/);
  });

  it('lists only tenants the principal belongs to', () => {
    const { dir } = directory();
    dir.bootstrap(localEvaluationPrincipal);
    const other = { id: 'human:alice', displayName: 'Alice', kind: 'human' as const };
    dir.create({ id: 'alice-co', displayName: 'Alice Co', kind: 'evaluation' }, other);
    expect(dir.listFor(other.id).map((t) => t.id)).toEqual(['alice-co']);
    expect(dir.listFor(localEvaluationPrincipal.id).map((t) => t.id)).toEqual([DEFAULT_TENANT_ID]);
    expect(dir.rolesIn(other.id, 'alice-co')).toEqual(['tenant_admin']);
  });

  it('refuses to open a registry written by a newer schema', () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const db = openDatabase(path.join(home, 'registry.sqlite'));
    db.exec(`CREATE TABLE schema_migrations (component TEXT, version INTEGER, name TEXT, applied_at TEXT)`);
    db.prepare(`INSERT INTO schema_migrations VALUES ('registry', 99, 'future', '')`).run();
    db.close();
    expect(() => new TenantDirectory(home)).toThrow(/newer than this build/);
  });
});

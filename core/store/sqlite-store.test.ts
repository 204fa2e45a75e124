import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScript } from '../../test/support/bundled-script';
import { tempHome } from '../../test/support/temp-home';
import { migrate } from './migrations';
import { openDatabase } from './database';
import { StoreUsageError } from './port';
import { tenantMigrations } from './schema';
import { SqliteStore, sqliteStatement } from './sqlite-store';

describe('SQLite adapter specifics', () => {
  const { home, cleanup } = tempHome('cavra-sqlite-store-');
  afterAll(cleanup);

  it('rewrites $n to positional parameters in order of use, leaving quoted text alone', () => {
    expect(sqliteStatement(`SELECT $2, '$1', "$3", $1, $2`, ['a', 'b', 'c'])).toEqual({
      sql: `SELECT ?, '$1', "$3", ?, ?`,
      params: ['b', 'a', 'b'],
    });
    expect(() => sqliteStatement('SELECT $3', ['a'])).toThrow(StoreUsageError);
  });

  it('rolls back a unit of work that waited on something other than its session, and stays usable', async () => {
    const db = openDatabase(path.join(home, 'guard.sqlite'));
    migrate(db, tenantMigrations);
    const store = new SqliteStore({ tenant: () => db });
    await expect(
      store.transaction({ tenant: 'acme' }, async (session) => {
        await session.run(`INSERT INTO containment_settings (key, value) VALUES ('early', '1')`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await session.run(`INSERT INTO containment_settings (key, value) VALUES ('late', '1')`);
      }),
    ).rejects.toThrow(/awaited something other than its session/);
    expect(db.inTransaction).toBe(false);
    const rows = await store.transaction({ tenant: 'acme' }, (session) =>
      session.all('SELECT key FROM containment_settings'),
    );
    expect(rows).toEqual([]);
    db.close();
  });

  describe('many processes opening one fresh database at once', () => {
    let opener: string;
    beforeAll(async () => {
      opener = await bundledScript(path.join(import.meta.dirname, 'fresh-opener.ts'), home);
    });

    // A CLI hook and the console starting together on a fresh CAVRA_HOME both found schema v0
    // and both applied migration 1; the loser failed (`table already exists` or `database is locked`).
    it('all of them succeed and the schema is applied exactly once', async () => {
      for (let round = 0; round < 2; round += 1) {
        const file = path.join(home, `fresh-${round}.sqlite`);
        const go = path.join(home, `go-${round}`);
        const children = Array.from({ length: 6 }, () => {
          const child = spawn(process.execPath, [opener, file, go], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk) => (stderr += String(chunk)));
          return new Promise<{ code: number | null; stderr: string }>((resolve) =>
            child.on('exit', (code) => resolve({ code, stderr })),
          );
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        fs.writeFileSync(go, '');
        const results = await Promise.all(children);
        expect(results.filter((result) => result.code !== 0)).toEqual([]);
        const db = openDatabase(file, { readonly: true });
        const applied = db
          .prepare(`SELECT component, COUNT(*) AS n FROM schema_migrations GROUP BY component`)
          .all() as { component: string; n: number }[];
        db.close();
        for (const row of applied) expect(row.n).toBe(tenantMigrations[row.component]?.length);
      }
    });
  });
});

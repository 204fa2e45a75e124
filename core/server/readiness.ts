import type { MigrationSet, Store } from '../store';

export interface ReadinessReport {
  ready: boolean;
  checks: { database: 'ok' | string; migrations: 'current' | string; registry?: 'loaded' | string };
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
}

/**
 * Ready when the shared store answers and every migration component is at the version this
 * build expects (a replica of an older build, or a database nobody migrated, is not ready).
 */
export function storeReadiness(store: Store, expected: MigrationSet): Readiness {
  return {
    async check() {
      let versions: Map<string, number>;
      try {
        const rows = await store.read('install', (session) =>
          session.all<{ component: string; version: number }>(
            'SELECT component, MAX(version) AS version FROM schema_migrations GROUP BY component',
          ),
        );
        versions = new Map(rows.map((row) => [row.component, Number(row.version)]));
      } catch (error) {
        // The driver's message names host and port at most, never the password.
        const reason = error instanceof Error ? error.message.slice(0, 200) : 'unreachable';
        return { ready: false, checks: { database: `unreachable: ${reason}`, migrations: 'unknown' } };
      }
      const behind = Object.entries(expected)
        .filter(([component, migrations]) => (versions.get(component) ?? 0) !== migrations.length)
        .map(
          ([component, migrations]) => `${component} v${versions.get(component) ?? 0} (expected v${migrations.length})`,
        );
      return behind.length === 0
        ? { ready: true, checks: { database: 'ok', migrations: 'current' } }
        : { ready: false, checks: { database: 'ok', migrations: `not current: ${behind.join(', ')}` } };
    },
  };
}

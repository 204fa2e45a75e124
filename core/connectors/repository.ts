import type { ConnectorConfig, ConnectorKind, RetryPolicy } from '../contract';
import type { SqliteDatabase } from '../store';

export interface StoredConnector extends ConnectorConfig {
  updatedAt: string;
  updatedBy: string;
}

/** Connector settings per tenant, behind an async interface for the coming PostgreSQL store. */
export interface ConnectorRepository {
  list(tenant: string): Promise<StoredConnector[]>;
  get(tenant: string, id: string): Promise<StoredConnector | null>;
  save(tenant: string, connector: StoredConnector): Promise<void>;
  remove(tenant: string, id: string): Promise<boolean>;
}

interface Row {
  id: string;
  kind: ConnectorKind;
  name: string;
  enabled: number;
  anchor: number;
  retry: string | null;
  settings: string;
  updated_at: string;
  updated_by: string;
}

const toConnector = (row: Row): StoredConnector => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  enabled: row.enabled === 1,
  anchor: row.anchor === 1,
  ...(row.retry ? { retry: JSON.parse(row.retry) as RetryPolicy } : {}),
  settings: JSON.parse(row.settings) as Record<string, unknown>,
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
});

export class SqliteConnectorRepository implements ConnectorRepository {
  constructor(private readonly db: (tenant: string) => SqliteDatabase) {}

  async list(tenant: string) {
    return (this.db(tenant).prepare(`SELECT * FROM connectors ORDER BY id`).all() as Row[]).map(toConnector);
  }

  async get(tenant: string, id: string) {
    const row = this.db(tenant).prepare(`SELECT * FROM connectors WHERE id = ?`).get(id) as Row | undefined;
    return row ? toConnector(row) : null;
  }

  async save(tenant: string, connector: StoredConnector) {
    this.db(tenant)
      .prepare(
        `INSERT INTO connectors (id, kind, name, enabled, anchor, retry, settings, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name, enabled = excluded.enabled,
           anchor = excluded.anchor, retry = excluded.retry, settings = excluded.settings,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .run(
        connector.id,
        connector.kind,
        connector.name,
        connector.enabled ? 1 : 0,
        connector.anchor ? 1 : 0,
        connector.retry ? JSON.stringify(connector.retry) : null,
        JSON.stringify(connector.settings),
        connector.updatedAt,
        connector.updatedBy,
      );
  }

  async remove(tenant: string, id: string) {
    return this.db(tenant).prepare(`DELETE FROM connectors WHERE id = ?`).run(id).changes === 1;
  }
}

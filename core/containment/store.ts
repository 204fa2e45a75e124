import type { ContainmentEnforcement } from '../contract';
import type { SqliteDatabase } from '../store';

/** How a tenant's commands are contained, as stored. */
export interface ContainmentSettings {
  enforcement: ContainmentEnforcement;
  reason: string | null;
  changedAt: string | null;
  changedBy: string | null;
}

export const DEFAULT_CONTAINMENT_SETTINGS: ContainmentSettings = {
  enforcement: 'sandbox',
  reason: null,
  changedAt: null,
  changedBy: null,
};

/** The containment settings repository (HOUSE rule 15): SQLite now, PostgreSQL behind the same port later. */
export interface ContainmentSettingsRepository {
  get(tenant: string): Promise<ContainmentSettings>;
  save(tenant: string, settings: ContainmentSettings): Promise<void>;
}

const KEY = 'enforcement';

/** Reads a stored value strictly: anything but a known shape is refused, never read as "off". */
function parseStored(text: string): ContainmentSettings {
  const value = JSON.parse(text) as Partial<ContainmentSettings>;
  if (value.enforcement !== 'sandbox' && value.enforcement !== 'judgement_only') {
    throw new Error('the stored containment setting is not one this build understands');
  }
  const optionalText = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    enforcement: value.enforcement,
    reason: optionalText(value.reason),
    changedAt: optionalText(value.changedAt),
    changedBy: optionalText(value.changedBy),
  };
}

/** The tenant database's `containment_settings` table (migration `containment` in core/store). */
export class SqliteContainmentSettings implements ContainmentSettingsRepository {
  constructor(private readonly store: (tenant: string) => SqliteDatabase) {}

  async get(tenant: string): Promise<ContainmentSettings> {
    const row = this.store(tenant).prepare(`SELECT value FROM containment_settings WHERE key = ?`).get(KEY) as
      { value: string } | undefined;
    return row ? parseStored(row.value) : { ...DEFAULT_CONTAINMENT_SETTINGS };
  }

  async save(tenant: string, settings: ContainmentSettings): Promise<void> {
    this.store(tenant)
      .prepare(
        `INSERT INTO containment_settings (key, value) VALUES (?, ?)
           ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      )
      .run(KEY, JSON.stringify(settings));
  }
}
